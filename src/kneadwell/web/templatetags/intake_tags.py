"""Template helpers for the health questions: a follow-up's posted value, and the area and limb choices."""

from __future__ import annotations

from typing import Any

from django import template

from kneadwell.web.presenters import area_select_choices, limb_choices

register = template.Library()


@register.filter
def posted(data: Any, name: str) -> str:
    """The value posted (or in the URL) for a form field, "" when there is none."""
    if data is None:
        return ""
    getter = getattr(data, "get", None)
    value = getter(name) if getter is not None else None
    return "" if value is None else str(value)


@register.simple_tag
def question_choices(kind: str) -> list[tuple[str, str]]:
    """The options of an area question: every region and side, or for lymph nodes, each arm and leg."""
    return limb_choices() if kind == "limb" else area_select_choices()


@register.simple_tag
def clearable_flags() -> list[tuple[str, str]]:
    """The screening findings a provider's documented evaluation can clear (a referral out or a hold)."""
    from kneadwell.knowledge import catalogue
    from kneadwell.referrals.services import CLEARABLE_ACTIONS

    return sorted(
        ((f.id, f.label) for f in catalogue.flags().values() if f.action in CLEARABLE_ACTIONS),
        key=lambda pair: pair[1],
    )
