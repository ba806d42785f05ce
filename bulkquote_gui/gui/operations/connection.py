"""Operations on the API endpoint itself: the settings dialog's "Test connection"."""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtCore import QObject

from bulkquote_gui.gui.operations import Operation


class ConnectionProbe(Protocol):
    def health(self) -> None: ...
    def check_auth(self) -> None: ...
    def close(self) -> None: ...


ClientFactory = Callable[[str, str], ConnectionProbe]


def default_client_factory(base_url: str, api_key: str) -> ConnectionProbe:
    from bulkquote_gui.core.quoting.factory import build_client  # only when the rep presses the button
    return build_client(base_url, api_key)


def probe_connection(client_factory: ClientFactory, base_url: str, api_key: str) -> str:
    """Blocking: /health, then an authenticated call. Returns a sentence; raises with a readable message."""
    client = client_factory(base_url, api_key or "no-key")  # /health needs no key; the client wants one
    try:
        client.health()
        if not api_key:
            return "The server answers, but no API key is set."
        client.check_auth()
        return "Connected: the server answers and accepts the API key."
    finally:
        client.close()


def probe(parent: QObject, client_factory: ClientFactory, base_url: str, api_key: str) -> Operation[str]:
    """Test the endpoint; any error (a ProviderError, a bad URL) is the answer, in its own words."""
    return Operation(parent, lambda _sf: probe_connection(client_factory, base_url, api_key),
                     expected=(Exception,))
