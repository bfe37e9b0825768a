"""Notes carry a copy of their appointment's start (GET /api/v1/notes pages from an index): added,
filled from the appointments, and required in the next migration (a schema change of its own, so
PostgreSQL runs no ALTER TABLE after the UPDATE in one transaction)."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_starts(apps: Any, schema_editor: Any) -> None:
    Note = apps.get_model("charting", "Note")
    Appointment = apps.get_model("scheduling", "Appointment")
    start = Appointment.objects.filter(pk=OuterRef("appointment_id")).values("start")[:1]
    Note.objects.using(schema_editor.connection.alias).update(appointment_start=Subquery(start))


class Migration(migrations.Migration):
    dependencies = [("charting", "0002_signed_note_guard"), ("scheduling", "0006_perf_appointment_keyset")]

    operations = [
        migrations.AddField(
            model_name="note",
            name="appointment_start",
            field=models.DateTimeField(
                null=True, help_text="The appointment's start (a copy, kept in step)."
            ),
        ),
        migrations.RunPython(copy_starts, migrations.RunPython.noop, elidable=True),
    ]
