"""The one place a quote provider's client is built: the runtime (window and CLI) and the settings
dialog's "Test connection" all come here, so a new provider is one more branch below.

The adapter is imported only when a client is built: the window starts without httpx's weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bulkquote_gui.core.quoting.provider import QuoteProvider

if TYPE_CHECKING:
    from bulkquote_gui.core.clock import Clock
    from bulkquote_gui.core.quoting.sonata.settings import SonataSettings

# A client's kind is part of its account's identity (schema v8: provider, URL, key fingerprint).
MOMENTUM = "momentum"
SONATA = "sonata"   # a MEF LSO Sonata seller (core/quoting/sonata/)
PROVIDER_KINDS: tuple[str, ...] = (MOMENTUM, SONATA)


class ProviderClient(QuoteProvider, Protocol):
    """What the app holds beside what the engine asks: which provider it is, proving the key,
    and letting go."""

    kind: str           # one of PROVIDER_KINDS: the account's kind in the store
    display_name: str   # the provider as the rep reads it in a sentence ("Momentum")
    lanes: int          # quotes it allows in progress on one account: the engine's lanes

    def check_auth(self) -> None:
        """Returns when the provider accepts the key; raises AuthError (or another
        ProviderError) otherwise. Makes no quote."""
        ...

    def abort(self) -> None:
        """From any thread: end the call in progress soon, and refuse every later one."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> ProviderClient: ...

    def __exit__(self, *exc: object) -> None: ...


def check_url(base_url: str, *, kind: str = MOMENTUM, allow_insecure_http: bool = False) -> None:
    """Raises ValueError, in the rep's words, for a URL this provider's client would refuse
    (before any key is asked for or any connection made)."""
    _known(kind)
    from bulkquote_gui.core.quoting.momentum import check_api_url
    check_api_url(base_url, allow_insecure_http=allow_insecure_http)


def build_client(base_url: str, api_key: str, *, kind: str = MOMENTUM, clock: Clock | None = None,
                 allow_insecure_http: bool = False,
                 sonata: SonataSettings | None = None) -> ProviderClient:
    """A new client for one account (one per thread). Raises ValueError, never quoting the key,
    for a URL or key the client refuses. For a Sonata seller `api_key` is the client secret and
    `sonata` the rest of its settings (token URL, client id, offerings, ...)."""
    _known(kind)
    if kind == SONATA:
        if sonata is None:
            raise ValueError("a Sonata seller needs its settings (token URL, client id, offerings)")
        from bulkquote_gui.core.quoting.sonata.client import SonataClient
        return SonataClient(base_url, api_key, sonata, clock=clock,
                            allow_insecure_http=allow_insecure_http)
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    return MomentumClient(base_url, api_key, clock=clock, allow_insecure_http=allow_insecure_http)


def _known(kind: str) -> None:
    if kind not in PROVIDER_KINDS:
        raise ValueError(f"unknown quote provider {kind!r} (known: {', '.join(PROVIDER_KINDS)})")
