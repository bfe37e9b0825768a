"""Pages of a list that never count it: previous and next links over an indexed order.

Django's `Paginator` counts every row of the list to number its pages, a scan that grows with the
history. A `Window` reads its page and one row more (is there a next page?) from the index that
serves the list's order, so page 1 costs the same in a clinic's tenth year as in its first month.
`includes/pager.html` renders it as it renders a Django `Page` ("Page 2", without "of N").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# Past this a page number is a typo or a made-up link, not a page anyone reads: it is read as this one.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Window(Generic[M]):
    object_list: Sequence[M]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def page_window(qs: QuerySet[M], per_page: int, number: str | None) -> Window[M]:
    """Page `number` (1 when absent or not a number) of `qs`, which must already be in an indexed,
    stable order. A page past the end is empty, with a link back to the one before."""
    try:
        page = min(max(1, int(number or 1)), MAX_PAGE)
    except ValueError:
        page = 1
    start = (page - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Window(object_list=rows[:per_page], number=page, has_next=len(rows) > per_page)


def capped_count(qs: QuerySet[M], cap: int) -> int:
    """The rows of `qs`, counted up to `cap` + 1 (a LIMIT-ed subquery): more than `cap` reads as `cap` + 1,
    so a counter over a growing list ("99+") costs a bounded read."""
    return qs.order_by()[: cap + 1].count()
