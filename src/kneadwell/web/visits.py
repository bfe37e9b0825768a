"""A therapist's visit card: the appointment with its session plan in brief, a precautions badge and the
visit instructions (the therapist's day and week)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kneadwell.charting.selectors import appointment_session_plan
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.web.presenters import plan_view

# A cancelled visit or a no-show needs no plan.
PLANNED = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


@dataclass
class VisitCard:
    appointment: Appointment
    plan_summary: list[str] = field(default_factory=list)  # "Neck 20 min", …
    pressure: str = ""
    precautions: list[str] = field(default_factory=list)
    instructions: list[str] = field(default_factory=list)
    held: str = ""  # screening holds the visit: why


# The week plans only the visits still to come (about a dozen queries each); a past one keeps its link.
AHEAD = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def visit_cards(
    appointments: list[Appointment], planned: tuple[AppointmentStatus, ...] = PLANNED
) -> list[VisitCard]:
    """One card per appointment, the plan built by the one tailoring assembler (as the plan page does)
    for the appointments in the `planned` statuses."""
    cards = []
    for appointment in appointments:
        card = VisitCard(appointment=appointment)
        if appointment.status in planned:
            try:
                plan, _ = appointment_session_plan(appointment)
            except ValueError:
                plan = None
            view = plan_view(plan)
            if view is not None:
                if view["blocked"]:
                    card.held = " ".join(view["reasons"])
                card.plan_summary = [f"{s['area']} {s['minutes']} min" for s in view["segments"]]
                card.pressure = view["pressure"]
                card.precautions = list(view["precautions"])
                card.instructions = list(view["instructions"])
        cards.append(card)
    return cards
