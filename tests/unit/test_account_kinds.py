"""An account is (provider kind, URL, key fingerprint) and its lease is per lane (schema v8).

On SQLite and PostgreSQL (tests/helpers/backends.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.engine.lease import LeaseKeeper
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.factory import MOMENTUM, build_client
from bulkquote_gui.core.states import BatchStatus
from tests.helpers.fakes import FakeClock, FakeMomentum, fake_import

URL, KEY = "https://api.example/v1", "key-1"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _holder(name: str) -> account_store.Holder:
    return account_store.Holder(f"inst-{name}", f"{name} pid 1")


# --- the kind is part of the account ----------------------------------------------------------

def test_the_same_url_and_key_under_two_kinds_are_two_accounts_with_two_leases(session_factory):
    sf = session_factory
    momentum = account_store.ensure_account(sf, URL, KEY)
    toy = account_store.ensure_account(sf, URL, KEY, provider="toy")
    assert (momentum.provider, toy.provider) == ("momentum", "toy")
    assert momentum.id != toy.id and momentum.key_fingerprint == toy.key_fingerprint
    assert account_store.ensure_account(sf, URL + "/", KEY, provider="momentum") == momentum   # found again
    assert account_store.ensure_account(sf, URL, KEY, provider="toy") == toy
    # Each account's lease is its own: both are held at once, each with token 1.
    assert account_store.acquire_lease(sf, momentum.id, _holder("a"), START, ttl_s=30) == 1
    assert account_store.acquire_lease(sf, toy.id, _holder("b"), START, ttl_s=30) == 1
    with sf() as session:
        assert account_store.read_lease(session, momentum.id).instance_id == "inst-a"
        assert account_store.read_lease(session, toy.id).instance_id == "inst-b"


def test_a_momentum_client_says_its_kind_and_its_name():
    """The kind the runtime and `worker` file its account under, the name the engine says."""
    client = build_client("https://api.example/v1", "k-123456789")
    try:
        assert (client.kind, client.display_name) == (MOMENTUM, "Momentum")
    finally:
        client.close()


def test_the_engines_own_account_takes_the_clients_kind(session_factory):
    """A Processor given no account files its stand-in account under the client's kind."""
    sf = session_factory
    clock = FakeClock()
    api = FakeMomentum(clock)
    api.kind = "toy"
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    p = Processor(sf, api, clock=clock)
    assert p.run_batch(batch_id) == BatchStatus.COMPLETE
    assert p.account.provider == "toy"
    assert Processor(sf, FakeMomentum(clock), clock=clock).account.provider == "momentum"


# --- lanes ----------------------------------------------------------------------------------------

def test_two_lanes_of_one_account_are_two_leases_with_their_own_tokens(session_factory):
    sf = session_factory
    account = account_store.ensure_account(sf, URL, KEY)
    a, b, c = _holder("a"), _holder("b"), _holder("c")
    assert account_store.acquire_lease(sf, account.id, a, START, ttl_s=30) == 1            # lane 0
    assert account_store.acquire_lease(sf, account.id, b, START, ttl_s=30, lane=1) == 1    # lane 1, made now
    # b took over lane 1 twice (c, then b again after c let go): lane 1's token grows alone.
    assert account_store.release_lease(sf, account.id, b, 1, lane=1)
    assert account_store.acquire_lease(sf, account.id, c, START, ttl_s=30, lane=1) == 2
    with sf() as session:
        zero, one = account_store.read_lease(session, account.id), account_store.read_lease(session, account.id, 1)
    assert (zero.lane, zero.instance_id, zero.token) == (0, "inst-a", 1)
    assert (one.lane, one.instance_id, one.token) == (1, "inst-c", 2)

    # Neither holder can renew or release the other's lane, even with a token that exists there.
    with pytest.raises(account_store.LeaseLost):
        with sf.begin() as session:
            account_store.renew_lease(session, account.id, a, 1, START, 30, lane=1)
    with pytest.raises(account_store.LeaseLost):
        with sf.begin() as session:
            account_store.renew_lease(session, account.id, c, 2, START, 30, lane=0)
    assert not account_store.release_lease(sf, account.id, a, 1, lane=1)
    assert not account_store.release_lease(sf, account.id, c, 2, lane=0)
    # A waiting note said with lane 0's token lands on lane 0 only.
    account_store.set_waiting(sf, account.id, 1, "api", "the API is away", now=START)
    with sf() as session:
        assert account_store.read_lease(session, account.id).waiting == "api"
        assert account_store.read_lease(session, account.id, 1).waiting == ""
    # Each renews its own.
    with sf.begin() as session:
        account_store.renew_lease(session, account.id, a, 1, START, 30)
        account_store.renew_lease(session, account.id, c, 2, START, 30, lane=1)


def test_a_lease_keeper_on_lane_1_fences_with_lane_1s_token(session_factory):
    sf = session_factory
    clock = FakeClock()
    account = account_store.ensure_account(sf, URL, KEY)
    zero = LeaseKeeper(sf, account.id, _holder("a"), clock, ttl_s=30)
    one = LeaseKeeper(sf, account.id, _holder("b"), clock, ttl_s=30, lane=1)
    assert zero.try_acquire() and one.try_acquire()
    assert (zero.token, one.token, one.fence.lane) == (1, 1, 1)
    one.renew()
    one.release()
    assert zero.read().instance_id == "inst-a" and one.read().instance_id == ""


def test_the_runtimes_account_and_client_are_of_one_kind(tmp_path, monkeypatch):
    from bulkquote_gui.services.runtime import open_runtime
    from bulkquote_gui.services.settings import Settings

    monkeypatch.setenv("BULKQUOTE_API_KEY", "sk-secret-123")
    with open_runtime(db_url=f"sqlite:///{tmp_path / 'd.sqlite'}", api_url="https://x.example/v1",
                      settings=Settings()) as runtime:
        client = runtime.make_client()
        try:
            assert runtime.account().provider == client.kind == runtime.provider_kind == MOMENTUM
        finally:
            client.close()
