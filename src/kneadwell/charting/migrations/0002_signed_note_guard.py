from django.db import migrations

from kneadwell.charting.guard import InstallSignedNoteGuard


class Migration(migrations.Migration):
    dependencies = [("charting", "0001_initial")]

    operations = [InstallSignedNoteGuard()]
