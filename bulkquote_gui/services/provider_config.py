"""A named provider made usable: what the rep typed checked into the store's shape, and a stored
provider turned into what the factory builds a client from (its settings, its secret).

The CLI (`bulkquote providers`), the runtime and the window's Providers page all come here, so a
provider is checked and read one way. The secret is never in the store: it is in the keyring
(`ProviderSecretStore`) or in the environment variable the provider names (`secret_env`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from bulkquote_gui.core.offer import PRODUCTS
from bulkquote_gui.core.quoting.factory import MOMENTUM, PROVIDER_KINDS, SONATA, check_url
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.services.secrets import ProviderSecretStore

QUOTE_LEVELS = ("firm", "budgetary")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ProviderInputError(ValueError):
    """What the rep gave cannot make a provider; str() is one line naming the field."""


class MissingSecret(RuntimeError):
    """The provider's secret is in neither its variable nor the keyring; str() says where to put it."""


@dataclass(frozen=True)
class ProviderInput:
    """A provider as the rep describes it (CLI flags, the window's form), before it is stored."""
    name: str
    kind: str
    url: str
    token_url: str = ""
    client_id: str = ""
    secret_env: str = ""
    lanes: int = 1
    instant: bool = False
    level: str = "firm"
    offerings: dict[str, str] = field(default_factory=dict)


def parse_offering(text: str) -> tuple[str, str]:
    """"DIA=off-139" -> ("DIA", "off-139"); ProviderInputError for anything else."""
    product, sep, offering = text.partition("=")
    product, offering = product.strip().upper(), offering.strip()
    if not sep or not offering:
        raise ProviderInputError(f"--offering takes PRODUCT=ID (e.g. DIA=off-139), got {text!r}")
    if product not in PRODUCTS:
        raise ProviderInputError(f"--offering {text!r}: the product must be one of "
                                 f"{', '.join(PRODUCTS)}")
    return product, offering


def checked(given: ProviderInput, *, allow_insecure_http: bool = False) -> dict[str, Any]:
    """The store's arguments (kind, base_url, lanes, settings) for `given`, or
    ProviderInputError in one line naming what is wrong."""
    kind = given.kind.strip().lower()
    if kind not in PROVIDER_KINDS:
        raise ProviderInputError(f"unknown kind {given.kind!r}: use {' or '.join(PROVIDER_KINDS)}")
    _check_url("the URL", given.url, kind, allow_insecure_http)
    if given.lanes < 1:
        raise ProviderInputError(f"lanes must be at least 1, not {given.lanes}")
    secret_env = given.secret_env.strip()
    if secret_env and not _ENV_NAME.match(secret_env):
        # (the value is not quoted back: a secret typed here by mistake stays off the screen)
        raise ProviderInputError("--secret-env takes the name of an environment variable "
                                 "(letters, digits and _), not its value")
    settings: dict[str, Any] = {"secret_env": secret_env} if secret_env else {}
    if kind == MOMENTUM:
        if given.lanes > 1:
            raise ProviderInputError("Momentum allows one quote in flight per account: "
                                     "--lanes must be 1")
        extra = [flag for flag, used in (("--token-url", given.token_url), ("--client-id", given.client_id),
                                         ("--instant", given.instant), ("--offering", given.offerings),
                                         ("--level", given.level != "firm")) if used]
        if extra:
            raise ProviderInputError(f"{', '.join(extra)} is only for a Sonata seller "
                                     "(--kind sonata)")
        return {"kind": kind, "base_url": given.url.strip(), "lanes": 1, "settings": settings}
    if not given.token_url.strip():
        raise ProviderInputError("a Sonata seller needs --token-url (its OAuth token endpoint)")
    _check_url("the token URL", given.token_url, kind, allow_insecure_http)
    if not given.client_id.strip():
        raise ProviderInputError("a Sonata seller needs --client-id (the id the seller gave you)")
    if given.level not in QUOTE_LEVELS:
        raise ProviderInputError(f"--level must be firm or budgetary, not {given.level!r}")
    settings.update(token_url=given.token_url.strip(), client_id=given.client_id.strip(),
                    quote_level=given.level, instant=given.instant,
                    offerings=dict(given.offerings))
    return {"kind": kind, "base_url": given.url.strip(), "lanes": given.lanes,
            "settings": settings}


def _check_url(what: str, url: str, kind: str, allow_insecure_http: bool) -> None:
    try:
        check_url(url.strip(), kind=kind, allow_insecure_http=allow_insecure_http)
    except ValueError as exc:
        raise ProviderInputError(f"{what}: {exc}") from None


def secret_store(provider: provider_store.StoredProvider) -> ProviderSecretStore:
    return ProviderSecretStore(provider.name, provider.settings.get("secret_env", ""))


def provider_secret(provider: provider_store.StoredProvider) -> str:
    """The provider's secret, or MissingSecret saying where it should be."""
    env_var = provider.settings.get("secret_env", "")
    if env_var:
        value = os.environ.get(env_var, "")
        if not value:
            raise MissingSecret(f"the secret of provider {provider.name!r} is read from "
                                f"${env_var}, which is not set")
        return value
    value = secret_store(provider).get()
    if not value:
        raise MissingSecret(f"no secret for provider {provider.name!r} in the keyring: add the "
                            "provider again, or give it --secret-env VAR")
    return value


def missing_contact(provider: provider_store.StoredProvider | None, rep_name: str,
                    rep_email: str) -> str:
    """Why a quote cannot be asked of `provider` for want of the rep's contact, in one sentence
    ("" when it can): a Sonata seller is sent the rep as the buyer's contact
    (relatedContactInformation), and a quote without one is refused before anything is sent."""
    if provider is None or provider.kind != SONATA:
        return ""
    missing = [what for what, value in (("name", rep_name), ("e-mail", rep_email))
               if not value.strip()]
    if not missing:
        return ""
    return (f"{provider.name} (a MEF Sonata seller) needs your {' and '.join(missing)} as the "
            "buyer's contact: fill in Settings > You, then send the batch again.")


def client_options(provider: provider_store.StoredProvider, *, contact: Any = None) -> dict[str, Any]:
    """The factory's keyword arguments (kind, and for Sonata its SonataSettings, with `contact`,
    the rep as the buyer's contact) for a provider."""
    if provider.kind != SONATA:
        return {"kind": provider.kind}
    from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings

    s = provider.settings
    return {"kind": SONATA, "sonata": SonataSettings(
        token_url=s.get("token_url", ""), client_id=s.get("client_id", ""), seller=provider.name,
        quote_level=s.get("quote_level", "firm"), instant=bool(s.get("instant", False)),
        offerings=dict(s.get("offerings") or {}), contact=contact or Contact(),
        lanes=provider.lanes)}   # as many quotes in progress as the seller allows: one lane each
