"""Operations on the named quote providers (Settings → Providers): list, save (with the secret to
the keyring), remove, and Test connection; and the engine's connection, which reads them. Each
off the GUI thread."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject

from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.gui.operations import Operation
from bulkquote_gui.services import provider_config

StoredProvider = provider_store.StoredProvider
# What the rep may get wrong: said in the store's or the checks' one line.
_REFUSALS = (provider_store.InvalidProvider, provider_config.ProviderInputError,
             provider_config.MissingSecret)


def connect(parent: QObject, open_connection: Callable[[Any], Any], settings: Any) -> Operation[Any]:
    """The engine's connection for `settings` (AppContext.connect): it reads which provider to
    quote through, and the others, from the store, so never on the GUI thread."""
    return Operation(parent, lambda _sf: open_connection(settings))


def load(parent: QObject, sessions: Any) -> Operation[list[StoredProvider]]:
    def work(sf: Any) -> list[StoredProvider]:
        with sf() as session:
            return provider_store.list_providers(session)
    return Operation(parent, work, sessions)


def save(parent: QObject, sessions: Any, given: provider_config.ProviderInput, secret: str, *,
         editing: str | None = None, allow_insecure_http: bool = False) -> Operation[bool]:
    """Add (or, `editing` a name, change) a provider; a secret typed goes to its keyring entry.
    Hands back whether the secret is in the keyring (False: kept for this session only)."""
    values = provider_config.checked(given, allow_insecure_http=allow_insecure_http)

    def work(sf: Any) -> bool:
        if editing is None:
            stored = provider_store.add_provider(sf, given.name, **values)
        else:
            stored = provider_store.update_provider(sf, editing, **values)
        if not secret or given.secret_env:
            return True
        return provider_config.secret_store(stored).set(secret)
    return Operation(parent, work, sessions, command=True, expected=_REFUSALS)


def remove(parent: QObject, sessions: Any, name: str) -> Operation[str]:
    def work(sf: Any) -> str:
        with sf() as session:
            found = provider_store.get_provider(session, name)
        if found is None or not provider_store.remove_provider(sf, name):
            return name
        provider_config.secret_store(found).set("")   # its keyring entry goes with it
        return found.name
    return Operation(parent, work, sessions, command=True, expected=_REFUSALS)


def test_connection(parent: QObject, provider: StoredProvider, secret: str, *,
                    allow_insecure_http: bool = False) -> Operation[str]:
    """A token and a harmless call (no quote); the secret typed, else the stored one."""
    from bulkquote_gui.core.quoting.provider import ProviderError

    def work(_sf: Any) -> str:
        from bulkquote_gui.core.quoting.factory import build_client

        key = secret or provider_config.provider_secret(provider)
        with build_client(provider.base_url, key, allow_insecure_http=allow_insecure_http,
                          **provider_config.client_options(provider)) as client:
            client.check_auth()
        return f"Connected: {provider.name} answers and accepts the credentials."
    return Operation(parent, work, expected=(ProviderError, ValueError, *_REFUSALS))
