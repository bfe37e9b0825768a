"""Admin lists that cost the same in a clinic's first month and its tenth year (issue 12).

Django's admin counts every matching row for its paginator (`SELECT COUNT(*)` over the whole
table), and its facets count again. On the lists that grow with the history (the audit trail, notes,
referrals, intakes) that count is most of the page's time. `LongListAdmin` counts no further than a
few pages past the one shown: the page links reach that far, "more than N" says there is more, and
each page further on counts a little further. Its subclasses also order newest first by an indexed
column and take their filters from fixed choices, so no list scans its table to draw itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

# Pages counted past the one shown: enough links to skip ahead, few enough rows to stay cheap.
LOOKAHEAD_PAGES = 5


class CappedPaginator(Paginator):
    """A paginator whose count stops `lookahead` pages after `page_number`.

    `count` is the true number of rows when there are no more than that; past it, `count` is the rows
    up to the end of the last counted page and `capped` is True. Counting reads at most one row past
    the cap, in the list's order, so the first page costs the same at any length of list.
    """

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        page_number: int = 1,
        lookahead: int = LOOKAHEAD_PAGES,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.queryset: QuerySet[Any] = object_list
        self.cap = int(per_page) * (max(page_number, 1) + lookahead)
        self.capped = False

    @cached_property
    def count(self) -> int:
        # COUNT(*) over a LIMIT subquery: a bounded walk along the list's order, not a table scan.
        seen = self.queryset[: self.cap + 1].count()
        self.capped = seen > self.cap
        return min(seen, self.cap)


class LongListAdmin(admin.ModelAdmin):
    """A ModelAdmin for a list that grows with the clinic's history: no full count (CappedPaginator,
    no total of the unfiltered list) and no facet counts. Subclasses keep `ordering` on an indexed
    column and avoid `date_hierarchy` (it reads the distinct years of the whole table): a date in
    `list_filter` offers fixed ranges (today, past 7 days, this month, this year) instead."""

    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedPaginator:
        # The page asked for, read as the changelist reads it (a bad value is page 1).
        try:
            page_number = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page_number = 1
        return CappedPaginator(queryset, per_page, orphans, allow_empty_first_page, page_number=page_number)
