"""The audit trail's hash chain: what a row's hash covers, and how a chain is checked. No Django.

Each row's hash is SHA-256 over a canonical JSON array of its content and the
previous row's hash. Change one byte of an old row, and its hash no longer
matches; recompute that hash, and the next row's `prev_hash` no longer does;
delete a row, and the `seq` numbers show a gap. The chain proves the rows are
the ones written, in that order, unless someone rewrites every later row too;
to catch that, keep the head hash printed by `kneadwell audit verify`
somewhere the database's users cannot write (see docs/operations.md).

The canonical form is deliberately independent of the database: a timestamp
read back from SQLite (text), PostgreSQL (an aware datetime) or a backup file
opened with the plain `sqlite3` module hashes the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# The columns a hash covers, in this order. `actor_id` is deliberately left out:
# deleting a user sets it to NULL (the username stays, and is covered).
HASHED_COLUMNS: tuple[str, ...] = (
    "seq",
    "at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "channel",
    "ip",
    "path",
    "detail",
)
# What verification reads: the hashed columns, then the links and the row's id (for reports).
VERIFY_COLUMNS: tuple[str, ...] = (*HASHED_COLUMNS, "prev_hash", "hash", "id")


def canonical_instant(value: dt.datetime | str) -> str:
    """An instant as UTC text with microseconds, whatever form the database returned it in."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        # Django stores aware instants in SQLite as naive UTC text.
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_detail(value: Mapping[str, Any] | str | bytes | None) -> str:
    """The JSON detail with sorted keys and no spacing (JSON text from a raw cursor is parsed first)."""
    if value is None:
        value = {}
    if isinstance(value, bytes | bytearray):
        value = value.decode()
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def row_digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one row given its predecessor's hash. `row` maps HASHED_COLUMNS to values."""
    payload = [
        int(row["seq"]),
        canonical_instant(row["at"]),
        _text(row["actor_username"]),
        _text(row["action"]),
        _text(row["object_type"]),
        _text(row["object_id"]),
        _text(row["patient_id"]),
        _text(row["channel"]),
        _text(row["ip"]),
        _text(row["path"]),
        canonical_detail(row["detail"]),
        prev_hash,
    ]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    row_id: object
    reason: str

    def __str__(self) -> str:
        return f"row seq={self.seq} (id {self.row_id}): {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking a chain: how many rows, the head hash, and the first broken link."""

    count: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk rows in `seq` order and report the first one that breaks the chain.

    Each row maps VERIFY_COLUMNS to values. Checked: seq runs 1, 2, 3… with no
    gap or repeat (a deleted or inserted row); prev_hash is the previous
    row's hash (a re-ordered or re-linked row); hash matches the content (an
    edited row).
    """
    expected_seq = 1
    prev_hash = GENESIS
    count = 0
    for row in rows:
        seq = int(row["seq"])
        problem = None
        if seq != expected_seq:
            problem = f"expected seq {expected_seq}: rows are missing or were inserted"
        elif row["prev_hash"] != prev_hash:
            problem = "prev_hash does not match the previous row's hash"
        elif row_digest(prev_hash, row) != row["hash"]:
            problem = "content does not match its hash: the row was changed"
        if problem is not None:
            return ChainReport(count, expected_seq - 1, prev_hash, ChainProblem(seq, row.get("id"), problem))
        prev_hash = str(row["hash"])
        expected_seq += 1
        count += 1
    return ChainReport(count, expected_seq - 1, prev_hash, None)
