"""The services every clinic starts with. Clinics may edit durations and buffers afterwards."""

from django.db import migrations

ALL_KINDS = ["hospital", "massage_clinic", "chiropractic_office", "physical_therapy_clinic"]
DEFAULTS = [
    # code, name, family, minutes, buffer, kinds
    ("relaxation-60", "Relaxation massage, 60 min", "relaxation", 60, 15, ["massage_clinic", "hospital"]),
    ("therapeutic-30", "Therapeutic massage, 30 min", "therapeutic", 30, 10, ALL_KINDS),
    ("therapeutic-60", "Therapeutic massage, 60 min", "therapeutic", 60, 15, ALL_KINDS),
    ("therapeutic-90", "Therapeutic massage, 90 min", "therapeutic", 90, 15, ALL_KINDS),
    (
        "spot-work-15",
        "Spot work, 15 min",
        "spot_work",
        15,
        5,
        ["chiropractic_office", "physical_therapy_clinic"],
    ),
]


def add_services(apps, schema_editor):
    Service = apps.get_model("clinic", "Service")
    for code, name, family, minutes, buffer, kinds in DEFAULTS:
        Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "duration_minutes": minutes,
                "buffer_minutes": buffer,
                "location_kinds": kinds,
            },
        )


def remove_services(apps, schema_editor):
    apps.get_model("clinic", "Service").objects.filter(code__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]

    operations = [migrations.RunPython(add_services, remove_services)]
