"""Users and their role, API tokens, the security policy, and the append-only, hash-chained audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    FRONT_DESK = "front_desk", "Front desk"
    THERAPIST = "therapist", "Massage therapist"
    REFERRER = "referrer", "Referring provider"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


# The clinic's staff: they see every patient. Defined once; pages, endpoints and rules use these.
STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN})
# Those who treat or run the clinic: the staff and the therapists (clinical sections, plans of care).
# They read other people's charts as part of their work, so they also get the shorter idle timeout.
CARE_ROLES = STAFF_ROLES | {Role.THERAPIST}


class User(AbstractUser):
    """A person who logs in. What they may see follows from `role` (see accounts/scoping.py)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid")
        ]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 digest is stored; the secret is shown once at creation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, help_text="Shown to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.user.username}, {state})"


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    # An attempt to reach an object outside the actor's scope (answered 404).
    DENIED = "denied", "Denied (out of scope)"
    # Sign-in and session events.
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKOUT = "lockout", "Locked out (too many failures)"
    LOGOUT = "logout", "Signed out"
    SESSION_EXPIRED = "session_expired", "Session expired"
    # Second factors (django-allauth MFA).
    MFA_ADDED = "mfa_added", "Second factor added"
    MFA_REMOVED = "mfa_removed", "Second factor removed"
    MFA_RESET = "mfa_reset", "Recovery codes regenerated"
    MFA_FAILED = "mfa_failed", "Second factor failed"
    # API tokens.
    TOKEN_CREATED = "token_created", "Token created"
    TOKEN_USED = "token_used", "Token used (first use of the day)"
    TOKEN_REVOKED = "token_revoked", "Token revoked"


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who read or wrote which patient's data, when, and from where. Never updated or deleted.

    The actor and patient are kept as text as well as links, so the record
    survives the deletion of either. Rows form a hash chain in `seq` order:
    `hash` covers the row's content and `prev_hash` (see accounts/auditchain.py),
    so a changed, removed or inserted row breaks the chain at that point
    (`kneadwell audit verify`). The database itself refuses UPDATE and DELETE on
    this table (triggers, accounts/dbguard.py), except clearing `actor` when the
    user is deleted; `actor` is outside the hash for that reason.
    """

    seq = models.BigIntegerField(
        unique=True, editable=False, help_text="Position in the hash chain (1, 2, …)."
    )
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Public id of the patient concerned."
    )
    channel = models.CharField(max_length=10, help_text="web, api, cli or admin")
    ip = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            # A record's events (the admin's search by id).
            models.Index(fields=["object_id"], name="audit_object_id"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit trail is append-only.")


def clinician_mfa_default() -> bool:
    """The first value of SecurityPolicy.clinician_mfa: on, unless the deployment says otherwise.

    KNEADWELL_CLINICIAN_MFA_DEFAULT exists so the test suite (and only it, by
    default) starts without the requirement; a clinic admin changes the
    stored value in the admin.
    """
    return bool(getattr(settings, "KNEADWELL_CLINICIAN_MFA_DEFAULT", True))


class SecurityPolicy(models.Model):
    """The clinic's sign-in and session rules (one row, edited in the Django admin).

    Superusers, Django-admin staff and clinic admins always need a second
    factor outside the demo (KNEADWELL_REQUIRE_ADMIN_MFA); `clinician_mfa`
    extends that to front desk and therapists. Patients and referrers are
    never forced. Idle timeouts log a session out after that long without a
    request; `session_max_hours` ends any session that long after sign-in.
    """

    clinician_mfa = models.BooleanField(
        "two-factor authentication for front desk and therapists",
        default=clinician_mfa_default,
        help_text="They read other people's charts: leave this on unless every device they use is otherwise protected.",
    )
    staff_idle_minutes = models.PositiveSmallIntegerField(
        "idle timeout for clinic staff (minutes)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Front desk, therapists, clinic admins and Django-admin staff.",
    )
    patient_idle_minutes = models.PositiveSmallIntegerField(
        "idle timeout for patients and referrers (minutes)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    session_max_hours = models.PositiveSmallIntegerField(
        "longest session (hours)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="After this long since signing in, everyone signs in again, active or not.",
    )

    class Meta:
        verbose_name = "security policy"
        verbose_name_plural = "security policy"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff_idle_minutes__gte=1, staff_idle_minutes__lte=120)
                & models.Q(patient_idle_minutes__gte=1, patient_idle_minutes__lte=240)
                & models.Q(session_max_hours__gte=1, session_max_hours__lte=24),
                name="accounts_securitypolicy_ranges",
            )
        ]

    def __str__(self) -> str:
        return "Security policy"

    @classmethod
    def current(cls) -> SecurityPolicy:
        """The policy row, or (unsaved) the defaults until a clinic admin saves it. Read on every request."""
        return cls.objects.order_by("pk").first() or cls(pk=1)


class IdempotencyRecord(models.Model):
    """The answer to one API create, kept so a retry with the same `Idempotency-Key` gets it again.

    Keys are per user. The row is inserted in the same transaction as what the request creates
    (api/idempotency.py), so a crash leaves both or neither; only successful answers are kept.
    The answer may name a patient, so rows are deleted once `expires_at` has passed.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path, query and body the key was first sent with."
    )
    status_code = models.PositiveSmallIntegerField(default=0, help_text="0 while the request runs.")
    response_body = models.TextField(blank=True)
    audit = models.JSONField(
        default=dict, blank=True, help_text="What the first answer's audit events named, for a replay's."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="accounts_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id}, {self.status_code})"


# Whoever is asking: a signed-in User, or Django's AnonymousUser (scope functions answer both).
Viewer = User | AnonymousUser
