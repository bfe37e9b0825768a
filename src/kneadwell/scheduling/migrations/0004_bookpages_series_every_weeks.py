from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_booking"),
    ]

    operations = [
        migrations.AddField(
            model_name="series",
            name="every_weeks",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="The cadence: every week (1), every other week (2), …"
            ),
        ),
        migrations.AlterField(
            model_name="series",
            name="weeks",
            field=models.PositiveSmallIntegerField(help_text="How many times each weekly time recurs."),
        ),
    ]
