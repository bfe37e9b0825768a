"""REST API v1: bearer tokens, public ids, one error envelope. See docs/api.md."""

from __future__ import annotations

from ninja import NinjaAPI

from . import accounts, care, catalogue, clinic, patients, records, referrals, scheduling, series, therapists
from . import billing as billing_api
from . import outcomes as outcomes_api
from . import waitlist as waitlist_api
from .auth import BearerToken
from .errors import install_error_handlers

api = NinjaAPI(
    title="Kneadwell API",
    version="1",
    description=(
        "Send `Authorization: Bearer <token>` (make one with `kneadwell token create --user NAME`). "
        'Errors come as `{"detail": ..., "errors": [{"field": ..., "message": ...}]}`.'
    ),
    auth=BearerToken(),
    urls_namespace="api-v1",
)
install_error_handlers(api)

api.add_router("/", accounts.router)
api.add_router("/", clinic.router)
api.add_router("/", therapists.router)
api.add_router("/", patients.router)
api.add_router("/", scheduling.router)
api.add_router("/", catalogue.router)
api.add_router("/", referrals.router)
api.add_router("/", care.router)
api.add_router("/", records.router)
api.add_router("/", outcomes_api.router)
api.add_router("/", billing_api.router)
api.add_router("/", series.router)
api.add_router("/", waitlist_api.router)


def not_found(request, rest: str = ""):  # type: ignore[no-untyped-def]
    """Any other path under /api/v1/ answers in the API's envelope, not with an HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"detail": "Not found.", "errors": []}, status=404)
