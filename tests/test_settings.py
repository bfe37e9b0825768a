"""Settings read from the environment fail loudly on values they do not understand."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from kneadwell.settings import envbool, envint, envsecret


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("False", False), ("1", True), ("off", False), ("", None)]
)
def test_envbool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("KW_FLAG", raw)
    assert envbool("KW_FLAG", None) is expected  # type: ignore[arg-type]


def test_envbool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("KW_FLAG", "yes please")
    with pytest.raises(ImproperlyConfigured, match="KW_FLAG"):
        envbool("KW_FLAG", False)


def test_envint_refuses_a_non_number(monkeypatch):
    monkeypatch.setenv("KW_N", "eight")
    with pytest.raises(ImproperlyConfigured, match="KW_N"):
        envint("KW_N", 1)


def test_envsecret_reads_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "s"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("KW_SECRET", raising=False)
    monkeypatch.setenv("KW_SECRET_FILE", str(secret))
    assert envsecret("KW_SECRET") == "from-a-file"


def _import_settings(tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNEADWELL_", "DEBUG", "SECRET_KEY", "DATABASE_URL"))
    }
    clean.update({"KNEADWELL_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import kneadwell.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _import_settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_starts_with_a_secret_key_and_debug_off(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3"]


def test_the_demo_generates_a_local_secret_in_the_data_dir(tmp_path):
    result = _import_settings(tmp_path, KNEADWELL_DEMO="true")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_selects_postgresql(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@db.example:5432/kw")
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def test_an_unsupported_database_is_refused(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="x" * 50, DATABASE_URL="mysql://u@db/kw")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_a_bad_trusted_proxy_stops_start_up(tmp_path):
    result = _import_settings(
        tmp_path, SECRET_KEY="x" * 50, KNEADWELL_TRUSTED_PROXIES="10.0.0.0/8,proxy.local"
    )
    assert result.returncode != 0
    assert "KNEADWELL_TRUSTED_PROXIES" in result.stderr
    assert "proxy.local" in result.stderr


def _setting(tmp_path, expression: str, **env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNEADWELL_", "DEBUG", "SECRET_KEY", "DATABASE_URL"))
    }
    clean.update({"KNEADWELL_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, **env})
    result = subprocess.run(
        [sys.executable, "-c", f"import kneadwell.settings as s; print({expression})"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_request_limits_come_from_the_environment(tmp_path):
    assert _setting(tmp_path, "s.KNEADWELL_MAX_REQUEST_BYTES, s.KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES") == (
        f"{12 * 1024 * 1024} {64 * 1024}"
    )
    assert (
        _setting(
            tmp_path,
            "s.KNEADWELL_MAX_REQUEST_BYTES, s.KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES",
            KNEADWELL_MAX_REQUEST_MB="20",
            KNEADWELL_MAX_ANONYMOUS_REQUEST_KB="8",
        )
        == f"{20 * 1024 * 1024} {8 * 1024}"
    )


def test_the_second_factor_rule_is_on_outside_the_demo_and_off_in_it(tmp_path):
    assert (
        _setting(tmp_path, "s.KNEADWELL_REQUIRE_ADMIN_MFA, s.KNEADWELL_CLINICIAN_MFA_DEFAULT") == "True True"
    )
    assert _setting(tmp_path, "s.KNEADWELL_REQUIRE_ADMIN_MFA", KNEADWELL_DEMO="true") == "False"


def test_passwords_need_twelve_characters(tmp_path):
    assert "'min_length': 12" in _setting(tmp_path, "s.AUTH_PASSWORD_VALIDATORS")


def test_sqlite_syncs_every_commit_unless_told_otherwise(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's durability setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        # 2 is FULL: a commit is on disk before it is answered (docs/operations.md).
        assert cursor.fetchone()[0] == 2


def test_an_unknown_sqlite_durability_setting_is_refused(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="x" * 50, KNEADWELL_SQLITE_SYNCHRONOUS="OFF")
    assert result.returncode != 0
    assert "KNEADWELL_SQLITE_SYNCHRONOUS" in result.stderr
