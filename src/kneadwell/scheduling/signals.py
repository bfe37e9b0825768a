"""What the booking service announces, for the parts above it that must react (notifications sends
the patient's confirmation, change and cancellation messages).

Scheduling sits below notifications, so it never imports them: it sends these signals and
`notifications` connects its receivers when the app loads. Sent inside the booking's transaction,
after the row is written; a receiver that acts outside the database waits for `on_commit`.
"""

from __future__ import annotations

import django.dispatch

# Keyword arguments: appointment (the booked row), actor (the User who booked, or None).
appointment_booked = django.dispatch.Signal()
# Keyword arguments: appointment (as moved), previous_start (its start before the move), actor, and
# previous_therapist_id, previous_room_id (what the old time held: the waitlist offers it on).
appointment_changed = django.dispatch.Signal()
# Keyword arguments: appointment (as cancelled), actor.
appointment_cancelled = django.dispatch.Signal()
# Keyword arguments: appointment (its new start and end saved). Sent by every move (a reschedule, a
# series move) inside the move's own transaction, before appointment_changed: for rows that copy the
# start (charting's notes), which must change with it or not at all.
appointment_moved = django.dispatch.Signal()
