"""Demo mode's second seller: the built-in Sonata simulator on loopback, offered as the provider
"Demo Sonata seller" beside the demo Momentum (the unnamed one, services/simulator.py).

Its client id and secret are made up at each start and held in memory only: never in the
keyring, the database or settings.json. It is no stored provider either, so it cannot survive
into a real configuration: once a real API or provider is set up, its name means nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from bulkquote_gui.core.quoting.factory import SONATA
from bulkquote_gui.core.quoting.sonata.settings import Contact
from bulkquote_gui.core.store.providers import StoredProvider

DEMO_MOMENTUM = "Demo Momentum"        # how "Quote through" names demo mode's own simulator
DEMO_SONATA = "Demo Sonata seller"
NAMES = (DEMO_MOMENTUM, DEMO_SONATA)
SONATA_ACCOUNT_URL = "demo:sonata"     # its batches' account, stable while the port moves
DEMO_LANES = 2                         # quotes it allows in progress: the demo shows lanes too
# The buyer's contact the demo seller is sent while Settings > You is empty (a real seller
# refuses to quote without the rep's own: services/provider_config.missing_contact).
DEMO_CONTACT = Contact(name="Demo rep", email="demo.rep@example.invalid")


def is_demo_name(name: str | None) -> bool:
    return bool(name) and name.strip().lower() in {n.lower() for n in NAMES}


@dataclass
class DemoSonataSeller:
    """The simulator running, and the provider and secret a client needs to quote through it."""
    provider: StoredProvider
    secret: str = field(repr=False)
    server: object = field(repr=False)

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]


def start_demo_sonata(time_scale: float) -> DemoSonataSeller:
    """Start the Sonata simulator on an ephemeral loopback port, accepting one made-up client."""
    from bulkquote_gui.services.sonata_simulator import SonataSimulator

    client_id, secret = f"demo-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    server = SonataSimulator(port=0, time_scale=time_scale, clients={client_id: secret},
                             max_in_progress=DEMO_LANES).start()
    provider = StoredProvider(id=0, name=DEMO_SONATA, kind=SONATA, base_url=server.base_url,
                              lanes=DEMO_LANES,
                              settings={"token_url": server.token_url, "client_id": client_id,
                                        "quote_level": "firm", "instant": False,
                                        # the products the default templates describe
                                        "offerings": {"DIA": "demo-BIA", "ETHERNET": "demo-AEL"}})
    return DemoSonataSeller(provider=provider, secret=secret, server=server)
