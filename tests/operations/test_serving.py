"""Serving: oversized bodies refused unread, warm-up before traffic, owner-only files, database connections.

The last test starts the real server (`kneadwell serve`: gunicorn, preloaded, threaded) on a fresh
SQLite database and sends it 50 referrals at once, then a 300 MB sign-in POST.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

MB = 1024 * 1024


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def wsgi_post(path: str, length: int, **environ: str) -> tuple[str, dict[str, str], bytes]:
    from kneadwell.wsgi import application

    captured: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        captured.update(status=status, headers=dict(headers))

    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.5",
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": Unreadable(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **environ,
    }
    body = b"".join(application(env, start_response))
    return str(captured["status"]), captured["headers"], body  # type: ignore[return-value]


def test_a_300_mb_anonymous_post_to_the_sign_in_page_is_refused_unread(db):
    status, _, body = wsgi_post(reverse("account_login"), 300 * MB)
    assert status.startswith("413")
    assert b"too large" in body


def test_an_oversized_api_request_gets_the_error_envelope(db):
    status, headers, body = wsgi_post("/api/v1/referrals", 300 * MB, HTTP_AUTHORIZATION="Bearer kw_x")
    assert status.startswith("413")
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {"detail", "errors"}
    assert payload["errors"][0]["field"] == "body"


def test_anonymous_requests_get_the_smaller_limit(client, db, settings):
    settings.KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES = 1024
    response = client.post(reverse("account_login"), {"login": "x" * 2000, "password": "y"})
    assert response.status_code == 413


def test_a_signed_in_upload_within_the_limit_is_read(client, cast, settings):
    settings.KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES = 1024
    client.force_login(cast.desk)
    response = client.post(reverse("desk-today"), {"padding": "x" * 200_000})
    assert response.status_code != 413


def test_an_unreadable_content_length_is_a_bad_request(db):
    status, _, _ = wsgi_post(reverse("account_login"), 0, CONTENT_LENGTH="lots")
    assert status.startswith("400")


def test_the_api_answers_413_in_its_envelope_when_django_refuses_the_body(client, cast, bearer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/api/v1/referrals",
        data=json.dumps({"reason": "x" * 5000}),
        content_type="application/json",
        **bearer(cast.desk),
    )
    assert response.status_code == 413
    assert response.json()["errors"] == [{"field": "body", "message": "The request body is too large."}]


# ---------------------------------------------------------------------------------- start-up


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("KNEADWELL_", "DATABASE_URL", "DJANGO_"))
    }
    clean.update({"KNEADWELL_DATA_DIR": str(tmp_path), "SECRET_KEY": "s" * 60, **env})
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )


def test_loading_the_wsgi_application_loads_the_code_set_and_catalogue(tmp_path):
    result = _python(
        "import sys, kneadwell.wsgi; from kneadwell.knowledge import catalogue; "
        "print('simple_icd_10_cm' in sys.modules, catalogue._load.cache_info().currsize)",
        tmp_path,
    )
    assert result.stdout.split() == ["True", "1"], result.stderr


def test_postgresql_connections_persist_and_are_checked(tmp_path):
    result = _python(
        "import kneadwell.settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        tmp_path,
        DATABASE_URL="postgres://kneadwell@db.example:5432/kneadwell",
    )
    assert result.stdout.split() == ["60", "True"], result.stderr


def test_the_sqlite_database_data_dir_and_secret_are_owner_only(tmp_path):
    data = tmp_path / "fresh"
    result = _python("import kneadwell.settings", data, KNEADWELL_DEMO="true", SECRET_KEY="")
    assert result.returncode == 0, result.stderr
    for path in (data, data / "kneadwell.sqlite3", data / "secret_key"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_uploaded_files_are_owner_only(settings, tmp_path):
    storage = FileSystemStorage(location=tmp_path / "uploads")
    name = storage.save("clearances/2026/letter.pdf", ContentFile(b"%PDF-"))
    assert stat.S_IMODE(Path(storage.path(name)).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "uploads" / "clearances").stat().st_mode) == 0o700


# ---------------------------------------------------------------------------------- the real server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SET_UP = """
from kneadwell.accounts.models import Role, User
from kneadwell.accounts.services import token_create
from kneadwell.referrals.models import ReferringProvider
user = User.objects.create_user("rita", password="correct-horse-battery", role=Role.REFERRER)
ReferringProvider.objects.create(user=user, name="Dr Rita Reyes", kind="physician")
print(token_create(user=user).secret)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("serve")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNEADWELL_", "DATABASE_URL", "DJANGO_", "DEBUG"))
    }
    env.update(KNEADWELL_DATA_DIR=str(data), SECRET_KEY="s" * 60, WEB_CONCURRENCY="2", KNEADWELL_THREADS="8")
    kneadwell = [sys.executable, "-m", "kneadwell.cli"]
    subprocess.run([*kneadwell, "manage", "migrate", "-v0"], env=env, check=True)
    token = (
        subprocess.run(
            [*kneadwell, "manage", "shell", "-c", SET_UP], env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = _free_port()
    process = subprocess.Popen(
        [*kneadwell, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    process.stderr.read().decode() if process.stderr else "server did not start"
                ) from None
            time.sleep(0.2)
    yield base, port, token
    process.terminate()
    process.wait(timeout=30)


def test_fifty_referrals_at_once_right_after_start_all_succeed(server):
    base, _, token = server
    statuses: list[int] = []
    start = threading.Barrier(50)

    def refer(n: int) -> None:
        body = {
            "new_patient": {"given_name": f"Patient{n}", "family_name": "Burst", "birth_date": "1980-01-01"},
            "diagnoses": [{"condition": "whiplash", "icd10": "S13.4XXA", "onset": "2026-10-20"}],
            "areas": [{"region": "neck"}],
        }
        request = urllib.request.Request(
            f"{base}/api/v1/referrals",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=refer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 50


def test_the_real_server_cuts_a_300_mb_sign_in_post_short(server):
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            + f"Content-Length: {300 * MB}\r\n\r\n".encode()
            + b"x" * 65536
        )
        answer = sock.recv(4096)
    # The answer comes after 64 KB of the 300 MB: nothing waited for (or read) the rest.
    assert answer.startswith(b"HTTP/1.1 413")
