"""Who may talk to the simulator: clients on this computer, never a web page the rep has open.

A page on any site can make the rep's browser send requests to 127.0.0.1. A "simple" cross-site
POST (a form, `text/plain`) needs no preflight, so POST /_sim/reset would go through; and DNS
rebinding points the page's own host name at 127.0.0.1, which makes its requests same-origin to
the browser, answers readable. A browser gives both away in headers a page cannot set: Origin on
a cross-site request, and Host naming the page's site. The simulator's own clients (BulkQuote,
httpx, curl, tests) send no Origin and name this computer in Host.

- An Origin other than the simulator's own (http, a name of this computer or the address it
  listens on, its port) is refused, on every path.
- Host must name this computer on the admin endpoints (/_sim/*), and on every path while the
  simulator listens on loopback only (as it does unless `bulkquote simulator --host` says not).
- An admin write with a body type a page can send without a preflight (form, text) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from bulkquote_gui.core.quoting.loopback import is_loopback_host

ADMIN_PREFIX = "/_sim/"
_JSON = "application/json"


def refusal(method: str, path: str, headers: Mapping[str, str], *, listening_host: str,
            port: int) -> str | None:
    """Why this request must not be served (a sentence for a 403), or None to serve it."""
    admin = path.startswith(ADMIN_PREFIX)
    origin = headers.get("Origin")
    if origin is not None and not _own_origin(origin, listening_host, port):
        return "requests from web pages are not served (a foreign Origin)"
    host = headers.get("Host")
    if host is not None and (admin or is_loopback_host(listening_host)) \
            and not is_loopback_host(_host_name(host)):
        return "this simulator answers only to this computer's own names (a foreign Host)"
    content_type = headers.get("Content-Type")
    if admin and method in ("POST", "PUT") and content_type is not None \
            and content_type.split(";")[0].strip().lower() != _JSON:
        return f"an admin request's body is JSON (Content-Type: {_JSON})"
    return None


def _own_origin(origin: str, listening_host: str, port: int) -> bool:
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port or 80
    except ValueError:
        return False
    name = parts.hostname or ""
    return (parts.scheme == "http" and origin_port == port
            and (is_loopback_host(name) or name == listening_host.strip("[]").lower()))


def _host_name(host: str) -> str:
    """The name in a Host header ("[::1]:8080" -> "::1"); "" when it is not one."""
    try:
        return urlsplit("//" + host.strip()).hostname or ""
    except ValueError:
        return ""
