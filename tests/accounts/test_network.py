"""Behind a proxy: the client address, and sign-in limits keyed on login and address."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.accounts.models import AuditAction, AuditEvent
from kneadwell.accounts.network import parse_networks, resolve_client
from tests.cast import PASSWORD

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.5", "", "203.0.113.5"),  # no proxy
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # an untrusted peer's header is ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # our proxy says who the client is
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # the client's own "1.2.3.4" is a lie
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # two of our proxies in a row
        ("10.0.0.2", "10.0.0.7", "10.0.0.7"),  # every hop is ours: the furthest one
        ("10.0.0.2", "not-an-ip, 10.0.0.9", "10.0.0.9"),  # garbage: the last trusted hop
        ("10.0.0.2", "[2001:db8::5]:443", "2001:db8::5"),
        ("10.0.0.2", "198.51.100.1:5555", "198.51.100.1"),
        ("::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"),  # IPv4-mapped peer
        ("2001:db8:ffff::1", "2001:db8::7", "2001:db8::7"),
        ("", "198.51.100.1", None),
    ],
)
def test_the_rightmost_untrusted_hop_is_the_client(remote, forwarded, expected):
    assert resolve_client(remote, forwarded, PROXIES) == expected


addresses = st.ip_addresses(v=4).map(str)


@given(peer=addresses, chain=st.lists(addresses, max_size=5))
def test_without_trusted_proxies_the_header_never_counts(peer, chain):
    assert resolve_client(peer, ", ".join(chain), ()) == peer


@given(
    client=addresses, spoofed=st.lists(addresses, max_size=4), hops=st.lists(st.integers(1, 254), max_size=3)
)
def test_a_client_cannot_pick_its_address_past_our_proxies(client, spoofed, hops):
    # Whatever the client writes in the header, our proxies append the address they saw.
    if ipaddress.ip_address(client) in PROXIES[0]:
        return
    header = [*spoofed, client, *(f"10.0.0.{h}" for h in hops)]
    assert resolve_client("10.0.0.1", ", ".join(header), PROXIES) == client


def test_a_bad_proxy_setting_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        parse_networks(["10.0.0.0/33"])


# ---------------------------------------------------------------------------------- through the site


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.KNEADWELL_TRUSTED_PROXIES = ["10.0.0.0/8"]


def attempt(client, login: str, password: str, client_ip: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_login"),
        {"login": login, "password": password},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=client_ip,
    )


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_that_login_out_from_that_place_only(client, cast, behind_proxy):
    for _ in range(5):
        attempt(client, "desk", "wrong-password-here", "198.51.100.1")
    attempt(client, "desk", PASSWORD, "198.51.100.1")
    assert not signed_in(client)  # locked out, there

    attempt(client, "desk", PASSWORD, "198.51.100.2")  # the same person from the clinic's other office
    assert signed_in(client)
    client.logout()

    attempt(client, "pat", PASSWORD, "198.51.100.1")  # someone else behind the first address
    assert signed_in(client)


def test_audit_rows_record_the_real_client_not_the_proxy(client, cast, behind_proxy):
    attempt(client, "desk", "wrong-password-here", "198.51.100.1")
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip == "198.51.100.1"


def test_an_address_that_tries_many_logins_is_stopped(client, cast, behind_proxy):
    for n in range(30):
        attempt(client, f"nobody{n}", "wrong-password-here", "198.51.100.66")
    attempt(client, "pat", PASSWORD, "198.51.100.66")
    assert not signed_in(client)
