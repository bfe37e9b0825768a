import pytest
from django.core.exceptions import ValidationError

from kneadwell.referrals.models import validate_npi


def test_a_valid_npi_passes():
    validate_npi("1234567893")  # the CMS example NPI


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "12345678a3"])
def test_an_invalid_npi_is_refused(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("referral", "status"),
        ("referral", "channel"),
        ("clearance", "status"),
        ("clearance", "scope"),
        ("provider", "kind"),
    ],
)
def test_the_database_refuses_a_status_or_scope_outside_its_choices(cast, model: str, field: str) -> None:
    from django.db import IntegrityError, transaction

    from kneadwell.referrals.models import Clearance, Referral, ReferringProvider

    rows = {
        "referral": Referral.objects.filter(patient=cast.pat),
        "clearance": Clearance.objects.filter(
            pk=Clearance.objects.create(
                patient=cast.pat, provider=cast.rita, scope="scar_work", status="requested"
            ).pk
        ),
        "provider": ReferringProvider.objects.filter(pk=cast.rita.pk),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        rows[model].update(**{field: "bogus"})
