"""The day plan in words and ids: what the API answers and the board shows (one definition)."""

from __future__ import annotations

from kneadwell.lib.zones import zone

from .services import PlanOutcome


def plan_out(outcome: PlanOutcome) -> dict[str, object]:
    """The plan as JSON (also what the board page shows)."""
    data, plan, location = outcome.data, outcome.plan, outcome.location
    tz = zone(location.time_zone)
    booked = {row.pk: appointment for row, appointment in outcome.bookings}

    def who(request_id: object) -> dict[str, object]:
        row = data.requests[request_id]  # type: ignore[index]
        return {"id": row.patient.public_id, "name": str(row.patient)}

    placements = []
    for p in plan.placements:
        row = data.requests[p.request_id]  # type: ignore[index]
        therapist, room = data.therapists[p.therapist_id], data.rooms[p.room_id]  # type: ignore[index]
        appointment = booked.get(row.pk)
        placements.append(
            {
                "request": row.public_id,
                "patient": who(p.request_id),
                "therapist": {"id": therapist.public_id, "name": therapist.full_name},
                "room": {"id": room.public_id, "name": room.name},
                "start": p.start,
                "end": p.end,
                "local_start": p.start.astimezone(tz),
                "side": str(p.side),
                "waiting_minutes": p.waiting_minutes,
                "appointment": appointment.public_id if appointment else None,
            }
        )
    return {
        "location": {"id": location.public_id, "name": location.name},
        "date": outcome.day,
        "applied": outcome.applied,
        "status": str(plan.status),
        "relative_gap": plan.relative_gap,
        "placements": placements,
        "unplaced": [
            {
                "request": data.requests[u.request_id].public_id,  # type: ignore[index]
                "patient": who(u.request_id),
                "reason": "screening_hold" if u.request_id in outcome.holds else str(u.reason),
                "message": outcome.holds.get(u.request_id, u.message),  # type: ignore[call-overload]
                "displaced": u.displaced,
            }
            for u in plan.unplaced
        ],
        "levels": [
            {"name": lv.name, "value": lv.value, "bound": lv.bound, "optimal": lv.optimal}
            for lv in plan.levels
        ],
        "total_waiting_minutes": plan.total_waiting_minutes,
        "therapists_used": plan.therapists_used,
    }
