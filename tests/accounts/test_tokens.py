from kneadwell.accounts.models import ApiToken
from kneadwell.accounts.services import token_authenticate, token_create, token_revoke


def test_a_new_token_authenticates_its_user(cast):
    issued = token_create(user=cast.pat_user)
    assert token_authenticate(issued.secret) == cast.pat_user


def test_only_a_digest_is_stored(cast):
    issued = token_create(user=cast.pat_user)
    row = ApiToken.objects.get()
    assert issued.secret not in (row.digest, row.prefix, row.name)
    assert issued.secret.startswith(row.prefix)


def test_a_revoked_token_no_longer_authenticates(cast):
    issued = token_create(user=cast.pat_user)
    token_revoke(token=issued.token)
    assert token_authenticate(issued.secret) is None


def test_a_deactivated_users_token_no_longer_authenticates(cast):
    issued = token_create(user=cast.pat_user)
    cast.pat_user.is_active = False
    cast.pat_user.save()
    assert token_authenticate(issued.secret) is None


def test_a_wrong_or_malformed_secret_authenticates_nobody(cast):
    issued = token_create(user=cast.pat_user)
    assert token_authenticate(issued.secret + "x") is None
    assert token_authenticate("not-a-token") is None
    assert token_authenticate("") is None
