"""Today's Momentum settings become the first named provider, once, on the first start after
providers came in (issue 17): the saved API URL (Settings) and its key (the keyring, or
$BULKQUOTE_API_KEY) are a provider named "Momentum"; the URL leaves settings.json, so the
provider is the one place it is kept and is not made twice.

Not upgraded: a URL given for this run only (--api-url, $BULKQUOTE_API_URL), which stays the
unnamed Momentum it always was; and a saved URL with no key anywhere yet (the rep is still
setting it up: it is upgraded on the first start that has both).
"""

from __future__ import annotations

import logging
import os
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.quoting.factory import MOMENTUM
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.services.secrets import ENV_VAR, KeyStore, ProviderSecretStore
from bulkquote_gui.services.settings import Settings

log = logging.getLogger(__name__)
NAME = "Momentum"


def upgrade_momentum_settings(session_factory: sessionmaker[Session], settings: Settings,
                              keystore: KeyStore, save: Callable[[Settings], None]) -> str | None:
    """Make the saved Momentum settings a provider; the provider's name, or None when there was
    nothing to upgrade. `save` writes the settings without the URL."""
    url = settings.api_base_url.strip().rstrip("/")
    if not url or os.environ.get("BULKQUOTE_API_URL"):
        return None
    with session_factory() as session:
        known = provider_store.list_providers(session)
    same = next((p for p in known if p.kind == MOMENTUM and p.base_url == url), None)
    name = same.name if same else _free_name({p.name.lower() for p in known})
    if same is None:
        from_env = keystore.from_environment
        key = None if from_env else keystore.get()
        if not from_env and not key:
            return None
        provider_store.add_provider(session_factory, name, MOMENTUM, url,
                                    settings={"secret_env": ENV_VAR} if from_env else {})
        if key and not ProviderSecretStore(name).set(key):
            log.warning("no keyring to keep the API key for provider %s: enter it again in "
                        "Settings > Providers", name)
    settings.api_base_url = ""
    save(settings)
    log.info("the saved Momentum API settings are now the provider %s", name)
    return name


def _free_name(taken: set[str]) -> str:
    n = 1
    while (NAME if n == 1 else f"{NAME} {n}").lower() in taken:
        n += 1
    return NAME if n == 1 else f"{NAME} {n}"
