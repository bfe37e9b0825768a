"""Field validators for the clinic's own data."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kneadwell.lib.zones import available_zones


def validate_time_zone(value: str) -> None:
    if value not in available_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example America/New_York).",
            params={"value": value},
            code="invalid_time_zone",
        )
