from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("charting", "0003_note_appointment_start")]

    operations = [
        migrations.AlterField(
            model_name="note",
            name="appointment_start",
            field=models.DateTimeField(help_text="The appointment's start (a copy, kept in step)."),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["appointment_start", "id"], name="charting_note_start_id"),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(
                fields=["patient", "appointment_start", "id"], name="charting_note_patient_start"
            ),
        ),
    ]
