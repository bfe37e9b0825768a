import pytest
from django.core.exceptions import ValidationError

from kneadwell.referrals.models import validate_npi


def test_a_valid_npi_passes():
    validate_npi("1234567893")  # the CMS example NPI


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "12345678a3"])
def test_an_invalid_npi_is_refused(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)
