"""What counts as "this computer" for a URL's host: one answer for the http:// check and the proxy.

Kept apart so that the client's URL check (momentum.check_api_url) and the transport's proxy
choice (http_deadline) cannot drift: a host the check lets through as local must never be
sent to a proxy, which would read a plain-http request, key and all.
"""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """True for this computer: localhost, 127.0.0.0/8 and ::1 (also written ::ffff:127.x.y.z),
    with or without brackets and a trailing dot."""
    name = host.strip().lower().rstrip(".").strip("[]")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)
