from fractions import Fraction

import django.core.validators
from django.db import migrations, models

import kneadwell.clinic.validators


def share_to_percent(apps, schema_editor):
    """"2/3" becomes 67: the stored text read once, as a number from now on."""
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    for row in ClinicSettings.objects.all():
        try:
            share = Fraction(row.focus_share.strip())
        except (ValueError, ZeroDivisionError):
            share = Fraction(2, 3)
        row.focus_percent = min(100, max(51, round(share * 100)))
        row.save(update_fields=["focus_percent"])


class Migration(migrations.Migration):
    dependencies = [("clinic", "0004_clinic_settings")]

    operations = [
        migrations.AddField(
            model_name="clinicsettings",
            name="focus_percent",
            field=models.PositiveSmallIntegerField(
                default=67,
                help_text="Share of a therapeutic session's hands-on minutes for the areas of concern, in percent: more than half, at most all (rounded to the nearest minute).",
                validators=[
                    django.core.validators.MinValueValidator(51),
                    django.core.validators.MaxValueValidator(100),
                ],
            ),
        ),
        migrations.RunPython(share_to_percent, migrations.RunPython.noop),
        migrations.RemoveField(model_name="clinicsettings", name="focus_share"),
        migrations.AddField(
            model_name="clinicsettings",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="IANA zone for dates not tied to a location (referrals received, forms filled). Empty: the first location's zone.",
                max_length=64,
                validators=[kneadwell.clinic.validators.validate_time_zone],
            ),
        ),
        migrations.AddConstraint(
            model_name="clinicsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("focus_percent__gt", 50), ("focus_percent__lte", 100)),
                name="clinic_settings_focus_majority",
            ),
        ),
    ]
