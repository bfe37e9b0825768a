"""Login through django-allauth: username or e-mail, failed attempts rate-limited, no open sign-up."""

from tests.cast import PASSWORD

LOGIN = "/accounts/login/"


def _login(client, login, password):
    return client.post(LOGIN, {"login": login, "password": password})


def test_a_user_logs_in_with_the_username(client, cast):
    response = _login(client, "desk", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(cast.desk.pk)


def test_a_user_logs_in_with_the_email_address(client, cast):
    response = _login(client, "desk@example.org", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(cast.desk.pk)


def test_a_wrong_password_does_not_log_in(client, cast):
    response = _login(client, "desk", "wrong-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out_for_a_while(client, cast):
    for _ in range(5):
        _login(client, "desk", "wrong-password")
    response = _login(client, "desk", PASSWORD)  # even the right password is refused now
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content


def test_sign_up_is_closed(client, db):
    from kneadwell.accounts.models import User

    response = client.post(
        "/accounts/signup/",
        {"username": "intruder", "email": "i@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert b"Sign Up Closed" in response.content
    assert not User.objects.filter(username="intruder").exists()
