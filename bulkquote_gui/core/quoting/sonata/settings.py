"""What one Sonata seller account needs besides its base URL and secret: the token endpoint, the
client id, how to ask (quote level, instant), which product offering and configuration template
to send for each product, and the rep to name as the buyer's contact. No secret lives here: the
client secret is passed to the client on its own (keyring or environment, never settings)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bulkquote_gui.core.quoting.sonata.states import BUYER_QUOTE_LEVELS

# The default templates (package data, made from the MEF SDK's examples: docs/api/sonata/NOTICE).
_DEFAULT_TEMPLATE_FILES = {"DIA": "dia.json", "ETHERNET": "ethernet.json"}


@dataclass(frozen=True)
class Contact:
    """The rep, as the buyer's contact (`relatedContactInformation`, role buyerContactInformation)."""
    name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""


@dataclass(frozen=True)
class SonataSettings:
    token_url: str
    client_id: str
    seller: str = "the seller"                 # the name the rep knows the seller by
    quote_level: str = "firm"                  # buyerRequestedQuoteLevel: firm | budgetary
    instant: bool = False                      # instantSyncQuote
    offerings: dict[str, str] = field(default_factory=dict)   # product -> productOffering.id
    # product -> template ({"bandwidthAt": [JSON pointers], "productConfiguration": {...}});
    # None: the defaults for DIA and ETHERNET.
    templates: dict[str, dict[str, Any]] | None = None
    contact: Contact = Contact()
    client_auth: str = "basic"                 # the client id/secret as HTTP Basic, or "form"
    lanes: int = 1                             # quotes the seller allows in progress at once

    def __post_init__(self) -> None:
        if isinstance(self.lanes, bool) or not isinstance(self.lanes, int) or self.lanes < 1:
            raise ValueError(f"lanes must be a whole number of at least 1, not {self.lanes!r}")
        if self.quote_level not in BUYER_QUOTE_LEVELS:
            raise ValueError(f"the quote level must be firm or budgetary, not {self.quote_level!r}")
        for product, template in (self.templates or {}).items():
            check_template(product, template)

    def template_for(self, product: str) -> dict[str, Any] | None:
        templates = self.templates if self.templates is not None else default_templates()
        return templates.get(product.upper())


def default_templates() -> dict[str, dict[str, Any]]:
    """A fresh copy of the default templates, by product."""
    return copy.deepcopy(_load_defaults())


_defaults: dict[str, dict[str, Any]] | None = None


def _load_defaults() -> dict[str, dict[str, Any]]:
    global _defaults
    if _defaults is None:
        folder = resources.files("bulkquote_gui.core.quoting.sonata") / "templates"
        _defaults = {product: json.loads((folder / name).read_text("utf-8"))
                     for product, name in _DEFAULT_TEMPLATE_FILES.items()}
    return _defaults


def check_template(product: str, template: Any) -> None:
    """ValueError naming the product unless `template` is a product configuration with the
    places its bandwidth goes."""
    if not isinstance(template, dict) or not isinstance(template.get("productConfiguration"), dict):
        raise ValueError(f"the {product} template has no productConfiguration object")  # noqa: TRY004
    if not isinstance(template["productConfiguration"].get("@type"), str):
        raise ValueError(f"the {product} template's productConfiguration has no @type")  # noqa: TRY004
    places = template.get("bandwidthAt")
    if not isinstance(places, list) or not places or \
            not all(isinstance(p, str) and p.startswith("/") for p in places):
        raise ValueError(f"the {product} template says nowhere where the bandwidth goes "
                         "(bandwidthAt: a list of JSON pointers)")
