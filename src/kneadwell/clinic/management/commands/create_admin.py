"""`kneadwell manage create_admin`: the first clinic admin of a new installation.

Django's createsuperuser makes a superuser with the default role (patient) and
no allauth e-mail address; a Kneadwell admin also needs role=clinic_admin and a
verified address, without which allauth will not let them activate the TOTP
that KNEADWELL_REQUIRE_ADMIN_MFA demands.
"""

from __future__ import annotations

import getpass
import os

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from kneadwell.accounts.models import Role, User

PASSWORD_ENV = "DJANGO_SUPERUSER_PASSWORD"


class Command(BaseCommand):
    help = "Create a clinic admin (or promote an existing user) with a verified e-mail address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True, help="verified on creation: TOTP needs it")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"read the password from ${PASSWORD_ENV} instead of prompting",
        )

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        email = str(options["email"])
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an e-mail address.") from None
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = self._password(no_input=bool(options["no_input"]), username=username, email=email)
        with transaction.atomic():
            if user is None:
                user = User(username=username, email=email)
                user.set_password(password)
                action = "Created"
            else:
                user.email = email
                action = "Promoted"  # the existing password is kept
            user.role = Role.CLINIC_ADMIN
            user.is_staff = True
            user.is_superuser = True
            user.is_active = True
            user.full_clean(exclude=["password"])
            user.save()
            EmailAddress.objects.filter(user=user, primary=True).exclude(email__iexact=email).update(
                primary=False
            )
            address, _ = EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if not (address.verified and address.primary):
                address.verified = address.primary = True
                address.save(update_fields=["verified", "primary"])
        self.stdout.write(f"{action} clinic admin {username} ({email}).")

    def _password(self, *, no_input: bool, username: str, email: str) -> str:
        probe = User(username=username, email=email)
        if no_input:
            password = os.environ.get(PASSWORD_ENV, "")
            if not password:
                raise CommandError(f"Set {PASSWORD_ENV} when using --no-input.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            validate_password(password, probe)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        return password
