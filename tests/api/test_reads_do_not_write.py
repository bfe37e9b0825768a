"""Reads do not write (issue 12): every GET of the API, found and answered or refused, writes nothing
but its audit rows, once the token's last use has been recorded (at most every few minutes)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kneadwell.api.v1 import api

from .conftest import API

_WRITE = re.compile(r"^(\d+ times: )?\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_AUDIT_INSERT = re.compile(r'^(\d+ times: )?\s*INSERT INTO "accounts_auditevent"', re.IGNORECASE)


def _get_paths() -> list[str]:
    schema = api.get_openapi_schema(path_prefix="")
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations)


def _concrete(path: str, cast) -> str:  # type: ignore[no-untyped-def]
    """The path with its parameters filled from the test cast (an unknown id where the cast has none:
    a 404 must not write either)."""
    ids = {
        "/patients/": cast.pat.public_id,
        "/appointments/": cast.pat_appointment.public_id,
        "/therapists/": cast.tess.public_id,
        "/locations/": cast.hospital.public_id,
    }
    prefix = next((p for p in ids if path.startswith(p)), None)
    filled = path
    for name in re.findall(r"\{(\w+)\}", path):
        value = ids[prefix] if prefix is not None and name == "id" else "00000000-0000-4000-8000-000000000000"
        filled = filled.replace("{" + name + "}", str(value), 1)
    return filled


@pytest.mark.parametrize("who", ["desk", "tess_user", "pat_user", "rita_user"])
def test_no_get_writes_anything_but_its_audit_rows(api_as, cast, who):
    client = api_as(getattr(cast, who))
    assert client.get("/me").status_code == 200  # the token's first use is recorded here, once
    paths = _get_paths()
    assert len(paths) > 30  # every GET operation of the API, not a hand-picked few
    for path in paths:
        concrete = _concrete(path, cast)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(concrete)
        assert response.status_code < 500, (concrete, response.status_code)
        writes = [q["sql"] for q in queries.captured_queries if _WRITE.match(q["sql"])]
        others = [sql for sql in writes if not _AUDIT_INSERT.match(sql)]
        assert others == [], f"GET {API}{concrete} wrote: {others}"
        assert len(writes) <= 1, f"GET {API}{concrete}: audit rows in {len(writes)} statements"
