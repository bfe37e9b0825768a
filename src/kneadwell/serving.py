"""Serving concerns: refusing oversized requests before reading them, and warming up before traffic.

Request bodies. Django reads a body only when a view asks for it, and
DATA_UPLOAD_MAX_MEMORY_SIZE does not bound multipart uploads (files stream to
disk). So the size a client *announces* is checked first: the first
middleware answers 413 without reading a byte when Content-Length is over
the limit — a smaller limit for requests that carry no session cookie and no
bearer token (no one may upload anonymously). A body without Content-Length
(chunked) is never read by Django at all, and a body longer than announced is
cut at the announced length by Django's LimitedStream.

Warm-up. The ICD-10-CM code set (simple-icd-10-cm) and the clinical catalogue
are loaded on first use. Under threads, the first burst of requests after a
start would all race to load them (and the ICD module's import briefly
changes the process-wide warning filters); `warm_up()` loads both once, from
wsgi.py, before a worker takes traffic — with `--preload`, once in the master
and shared by every worker.

Then `prepare_worker()` freezes the garbage collector's view of everything loaded so far
(`gc.freeze()`): the code, the catalogue and the code set (a hundred thousand objects) live as long as
the process, yet every full collection would walk them again. A request that builds thousands of
objects (a month of slots) triggers such collections: measured on the benchmark's search on a loaded
machine, they were up to a quarter of its time (docs/performance.md). With `--preload` the freeze also keeps the collector from
touching, and so copying, the pages the workers share with the master.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

GetResponse = Callable[[HttpRequest], HttpResponse]


def body_limit(request: HttpRequest) -> int:
    """The largest body this request may announce."""
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META
    return int(
        settings.KNEADWELL_MAX_REQUEST_BYTES if signed_in else settings.KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES
    )


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """413, in the API's error envelope under /api/, as a short page elsewhere."""
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    detail = f"The request body is too large (the limit is {size})."
    if request.path.startswith("/api/"):
        from kneadwell.api.errors import envelope_body

        return JsonResponse(envelope_body(detail, [("body", detail)]), status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def bad_length(request: HttpRequest) -> HttpResponse:
    """400 for a Content-Length that is not a number, in the envelope under /api/."""
    detail = "Invalid Content-Length."
    if request.path.startswith("/api/"):
        from kneadwell.api.errors import envelope_body

        return JsonResponse(envelope_body(detail, [("body", detail)]), status=400)
    return HttpResponse(detail, status=400, content_type="text/plain")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            announced = int(raw)
        except ValueError:
            return bad_length(request)
        limit = body_limit(request)
        if announced > limit:
            return too_large(request, limit)
        return self.get_response(request)


def warm_up() -> None:
    """Load what the first requests would otherwise all load at once. Touches no database."""
    from kneadwell.knowledge import catalogue, dosing, icd10

    catalogue.catalogue()
    dosing.doses()
    # Import the ICD-10-CM module and build its lookups with one real query.
    icd10.icd10_lookup("M54.5")
    logger.debug("kneadwell: catalogue and ICD-10-CM code set loaded")


def prepare_worker() -> None:
    """Warm up, then take what is loaded (and will live as long as the process) out of the collector's
    generations: later collections walk only what requests create. Called once, from wsgi.py."""
    warm_up()
    gc.collect()
    gc.freeze()
    logger.debug("kneadwell: %d objects frozen out of garbage collection", gc.get_freeze_count())
