"""A stored provider's lanes reach the client the runtime builds: a seller added with `--lanes 4`
is quoted on four lanes, not one (the engine asks the client how many it allows)."""

from __future__ import annotations

from bulkquote_gui.core.quoting.factory import build_client
from bulkquote_gui.core.quoting.provider import lanes_of
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.services.provider_config import client_options

SONATA_SETTINGS = {"token_url": "https://seller.example/oauth2/token", "client_id": "acme",
                   "offerings": {"DIA": "DIA-1"}}


def test_a_sellers_stored_lanes_are_the_clients(session_factory):
    provider_store.add_provider(session_factory, "Lumen", "sonata",
                                "https://seller.example/mefApi/sonata/quoteManagement/v8",
                                lanes=4, settings=SONATA_SETTINGS)
    with session_factory() as session:
        stored = provider_store.get_provider(session, "Lumen")
    with build_client(stored.base_url, "s3cret", **client_options(stored)) as client:
        assert lanes_of(client) == 4


def test_momentum_stays_on_one_lane(session_factory):
    provider_store.add_provider(session_factory, "Momentum", "momentum",
                                "https://api.momentum.example/v1")
    with session_factory() as session:
        stored = provider_store.get_provider(session, "Momentum")
    with build_client(stored.base_url, "key", **client_options(stored)) as client:
        assert lanes_of(client) == 1
