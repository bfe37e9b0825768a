"""The stylesheet, icon and vendored CSS the layout links to are found by the staticfiles finders."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.parametrize("path", ["vendor/pico/pico.min.css", "django_htmx/htmx-2.min.js"])
def test_vendored_assets_are_found(path):
    assert finders.find(path) is not None


@pytest.mark.parametrize("path", ["kneadwell/app.css", "kneadwell/favicon.svg"])
def test_own_assets_are_found(path):
    assert finders.find(path) is not None
