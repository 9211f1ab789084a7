"""Who the client is: the one answer used by audit events, the sign-in lockout and the public
form's rate limit.

Behind the documented reverse proxy every request arrives from the proxy's address, so
``REMOTE_ADDR`` alone would put every citizen (or every officer) behind one address. The proxy
appends the address it saw to ``X-Forwarded-For``. That header is believed only when the request
comes from an address listed in ``CTIP_TRUSTED_PROXIES`` (addresses or networks such as
``10.0.0.0/8``), and then only as far as the chain of trusted proxies goes: reading the chain
from the right, the first address that is not a trusted proxy is the client. Whatever a client
writes into the header itself lies to the left of that address and is ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: frozenset[str]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # reported by the settings check, never believed
    return tuple(networks)


def _parse(value: str) -> IPAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:51000
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: IPAddress) -> bool:
    return any(address in net for net in _networks(frozenset(settings.CTIP_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as text, or None when the request carries none that is valid."""
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    if not is_trusted_proxy(remote):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h for h in (part.strip() for part in forwarded[:2000].split(",")) if h]
    client = remote
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A hop that is not an address cannot be traced further: the last trusted proxy
            # is the best we know.
            break
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)
