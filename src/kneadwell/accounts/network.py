"""The client's address, behind trusted reverse proxies.

`X-Forwarded-For` is a list every hop appends to: `client, proxy1, proxy2`,
with the last hop's own address in REMOTE_ADDR. Anyone can send the header,
so an entry is believed only when the hop that added it is one of ours: walk
from the right (REMOTE_ADDR first) past the trusted proxies
(KNEADWELL_TRUSTED_PROXIES, CIDRs) and take the first address that is not
one of them. Without trusted proxies the header is ignored entirely.

Sign-in rate limits and audit rows use this address, so a clinic behind one
proxy is not one "client" to them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_CACHE_ATTR = "_kneadwell_client_ip"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) as networks; ImproperlyConfigured names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"KNEADWELL_TRUSTED_PROXIES: {value!r} is not an address or CIDR (e.g. 10.0.0.0/8)."
            ) from None
    return tuple(networks)


@cache
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:5555"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def resolve_client(remote_addr: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str | None:
    """The client address from REMOTE_ADDR and X-Forwarded-For, trusting only `trusted` hops."""
    peer = _address(remote_addr or "")
    if peer is None:
        return None
    if not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return str(peer)
    candidate = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            # A trusted proxy passed on garbage: the last trusted hop is all we know.
            return str(candidate)
        candidate = address
        if not _is_trusted(address, trusted):
            return str(address)
    # Every hop is one of ours (e.g. a health check from the proxy itself).
    return str(candidate)


def client_ip(request: HttpRequest | None) -> str | None:
    """The request's client address (see the module docstring), computed once per request."""
    if request is None:
        return None
    cached = request.__dict__.get(_CACHE_ATTR, False)
    if cached is not False:
        return cached
    trusted = _trusted(tuple(getattr(settings, "KNEADWELL_TRUSTED_PROXIES", ())))
    ip = resolve_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted
    )
    request.__dict__[_CACHE_ATTR] = ip
    return ip
