"""PostgreSQL: the database itself refuses overlapping active appointments.

One exclusion constraint per resource over the half-open interval
[start, blocked_until) (the patient's over [start, end): turnover is the
room's and therapist's, not the patient's). Back-to-back bookings touch but do
not overlap. Cancelled and no-show appointments hold nothing.
"""

from django.db import migrations

from kneadwell.lib.migrations_ops import PostgresOnlySQL

ACTIVE = "status IN ('booked', 'checked_in', 'completed')"


def _exclude(name: str, column: str, end: str) -> PostgresOnlySQL:
    return PostgresOnlySQL(
        sql=(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, {end}, '[)') WITH &&) WHERE ({ACTIVE})"
        ),
        reverse_sql=f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}",
    )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        PostgresOnlySQL(sql="CREATE EXTENSION IF NOT EXISTS btree_gist", reverse_sql=migrations.RunSQL.noop),
        _exclude("scheduling_appt_no_therapist_overlap", "therapist_id", "blocked_until"),
        _exclude("scheduling_appt_no_room_overlap", "room_id", "blocked_until"),
        _exclude("scheduling_appt_no_patient_overlap", "patient_id", '"end"'),
    ]
