"""Reads do not write (issue 12): a page shown to a signed-in user writes nothing but its audit rows,
once the session's activity stamp is fresh (it is written at most every SEEN_RESOLUTION seconds)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_reads_do_not_write import _AUDIT_INSERT, _WRITE

from .test_query_counts import PAGES


@pytest.mark.parametrize(("name", "who", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_a_page_writes_nothing_but_its_audit_rows(client, cast, name, who, url):  # type: ignore[no-untyped-def]
    client.force_login(who(cast))
    path = url(cast)
    assert client.get(path).status_code == 200  # the session's first stamps are written here
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if _WRITE.match(q["sql"])]
    assert [sql for sql in writes if not _AUDIT_INSERT.match(sql)] == []
    assert len(writes) <= 1
