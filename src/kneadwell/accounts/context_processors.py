from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

# The timeout warning appears this many seconds before an idle sign-out.
SESSION_WARN_SECONDS = 120


def kneadwell(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DEMO": settings.DEMO,
        # Set by SessionTimeoutMiddleware for a signed-in session; the warning script reads it.
        "SESSION_SECONDS_LEFT": getattr(request, "session_seconds_left", None),
        "SESSION_WARN_SECONDS": SESSION_WARN_SECONDS,
    }
