import os
import subprocess
import sys


def test_healthz_is_200_with_the_database_status(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    """A real unreachable database: PostgreSQL on a port where nothing listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KNEADWELL_", "DATABASE_URL"))}
    env.update(
        {
            "KNEADWELL_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "kneadwell.settings",
        }
    )
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json()['database']['ok'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503", "False"]
