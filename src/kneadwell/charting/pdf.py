"""PDFs from the project's templates with WeasyPrint (superbills, progress reports).

WeasyPrint renders the same HTML and inline SVG the pages show; the print stylesheet is a static file
(`static/kneadwell/print.css`), read from disk so no HTTP request is made while rendering, and no
remote resource is ever fetched (the URL fetcher refuses everything but that file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "kneadwell" / "print.css"


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"PDFs fetch nothing: {url[:60]}")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render `template` with `context` to PDF bytes (A4/Letter by the stylesheet's @page)."""
    from weasyprint import CSS, HTML  # imported late: loading pango takes a moment

    html = render_to_string(template, context)
    document = HTML(string=html, url_fetcher=_no_fetch, base_url=str(PRINT_CSS.parent))
    return bytes(document.write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))]))
