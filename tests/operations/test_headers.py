"""Response headers: HSTS, a Content-Security-Policy with no inline script, no-store on patient data; check --deploy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "kneadwell" / "templates"


def csp(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_a_policy_that_allows_no_inline_script(client, db):
    policy = csp(client.get(reverse("account_login")))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    inline_script = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE
    )
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if inline_script.search(text) or handler.search(text) or " style=" in text:
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_hsts_is_sent_when_configured(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("account_login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_signed_in_page_is_never_stored(client, cast):
    client.force_login(cast.pat_user)
    response = client.get(reverse("patient-home"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_api_answer_is_never_stored(client, cast, bearer):
    response = client.get("/api/v1/me", **bearer(cast.desk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_api_error_is_never_stored(client, db):
    assert "no-store" in client.get("/api/v1/me")["Cache-Control"]


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNEADWELL_", "DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        KNEADWELL_DATA_DIR=str(tmp_path),
        SECRET_KEY="k" + "x9Qv-7#pL2_zR8$mW4!tN6^bY1&cH3*e" * 2,
        ALLOWED_HOSTS="kneadwell.example-clinic.org",
        CSRF_TRUSTED_ORIGINS="https://kneadwell.example-clinic.org",
        BEHIND_TLS_PROXY="true",
        KNEADWELL_TRUSTED_PROXIES="127.0.0.1/32",
    )
    return env


def test_check_deploy_has_nothing_to_say_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kneadwell.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_defaults_turn_on_hsts_and_https(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import kneadwell.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)",
        ],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["31536000", "True", "True"], result.stderr


@pytest.mark.parametrize("path", ["/healthz"])
def test_the_health_check_is_exempt_from_the_https_redirect(client, db, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code == 200
    assert client.get(reverse("account_login")).status_code == 301
