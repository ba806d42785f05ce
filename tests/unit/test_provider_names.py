"""The engine's sentences name the provider the client says it is (`display_name`), and never
Momentum for a client that is not."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.engine.outcomes import auth_message
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import AuthError
from bulkquote_gui.core.states import BatchStatus
from tests.helpers.fakes import FakeClock, FakeMomentum, auth_error, fake_import


def test_a_refused_key_names_the_provider_the_client_says_it_is():
    exc = auth_error()
    assert auth_message(exc, "Momentum").startswith(
        "the quote API (Momentum) refused the API key (HTTP 401): set a valid key")
    assert auth_message(exc, "Toy Telecom").startswith("the quote API (Toy Telecom) refused")
    nameless = auth_message(AuthError("who are you?", code="toy_auth"))
    assert nameless.startswith("the quote API refused the API key: set a valid key")
    assert "Momentum" not in nameless


@pytest.mark.parametrize("name", ["Momentum", "Toy Telecom", None])
def test_the_engine_pauses_a_refused_batch_naming_the_clients_provider(session_factory, name):
    sf = session_factory
    clock = FakeClock()
    api = FakeMomentum(clock)
    api.display_name = name or ""
    api.fail_next("POST", auth_error())
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    assert Processor(sf, api, clock=clock).run_batch(batch_id) == BatchStatus.PAUSED
    with sf() as session:
        message = view_store.get_batch(session, batch_id).status_message
    if name is None:
        assert message.startswith("the quote API refused the API key") and "Momentum" not in message
    else:
        assert message.startswith(f"the quote API ({name}) refused the API key (HTTP 401)")
