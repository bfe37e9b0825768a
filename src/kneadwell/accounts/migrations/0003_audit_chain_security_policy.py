"""The audit trail becomes a hash chain the database guards; the clinic's security policy.

Existing audit rows are numbered and chained in the order they were written
(by id) before `seq` becomes unique and the guard triggers are installed.
"""

import kneadwell.accounts.models
import django.core.validators
from django.db import migrations, models

from kneadwell.accounts.auditchain import GENESIS, row_digest
from kneadwell.accounts.dbguard import InstallAuditGuard

ACTIONS = [
    ("read", "Read"),
    ("create", "Create"),
    ("update", "Update"),
    ("delete", "Delete"),
    ("denied", "Denied (out of scope)"),
    ("login", "Signed in"),
    ("login_failed", "Sign-in failed"),
    ("lockout", "Locked out (too many failures)"),
    ("logout", "Signed out"),
    ("session_expired", "Session expired"),
    ("mfa_added", "Second factor added"),
    ("mfa_removed", "Second factor removed"),
    ("mfa_reset", "Recovery codes regenerated"),
    ("mfa_failed", "Second factor failed"),
    ("token_created", "Token created"),
    ("token_used", "Token used (first use of the day)"),
    ("token_revoked", "Token revoked"),
]


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    prev_hash = GENESIS
    batch = []
    for seq, event in enumerate(AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").iterator(), 1):
        event.seq = seq
        event.prev_hash = prev_hash
        event.hash = row_digest(prev_hash, {name: getattr(event, name) for name in (
            "seq", "at", "actor_username", "action", "object_type", "object_id", "patient_id", "channel", "ip", "path", "detail"
        )})
        prev_hash = event.hash
        batch.append(event)
        if len(batch) >= 1000:
            AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_cache_table")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(choices=ACTIONS, max_length=20),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, help_text="Position in the hash chain (1, 2, …).", unique=True
            ),
        ),
        migrations.CreateModel(
            name="SecurityPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "clinician_mfa",
                    models.BooleanField(
                        default=kneadwell.accounts.models.clinician_mfa_default,
                        help_text="They read other people's charts: leave this on unless every device they use is otherwise protected.",
                        verbose_name="two-factor authentication for front desk and therapists",
                    ),
                ),
                (
                    "staff_idle_minutes",
                    models.PositiveSmallIntegerField(
                        default=15,
                        help_text="Front desk, therapists, clinic admins and Django-admin staff.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(120),
                        ],
                        verbose_name="idle timeout for clinic staff (minutes)",
                    ),
                ),
                (
                    "patient_idle_minutes",
                    models.PositiveSmallIntegerField(
                        default=30,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(240),
                        ],
                        verbose_name="idle timeout for patients and referrers (minutes)",
                    ),
                ),
                (
                    "session_max_hours",
                    models.PositiveSmallIntegerField(
                        default=12,
                        help_text="After this long since signing in, everyone signs in again, active or not.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(24),
                        ],
                        verbose_name="longest session (hours)",
                    ),
                ),
            ],
            options={
                "verbose_name": "security policy",
                "verbose_name_plural": "security policy",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("staff_idle_minutes__gte", 1),
                            ("staff_idle_minutes__lte", 120),
                            ("patient_idle_minutes__gte", 1),
                            ("patient_idle_minutes__lte", 240),
                            ("session_max_hours__gte", 1),
                            ("session_max_hours__lte", 24),
                        ),
                        name="accounts_securitypolicy_ranges",
                    )
                ],
            },
        ),
        # Last: every change to the table above is made; from here on it refuses UPDATE and DELETE.
        InstallAuditGuard(),
    ]
