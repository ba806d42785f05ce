"""`bulkquote requote` of a deal (issue 18) against the built-in simulators on loopback: the stale
quotes of every batch of the deal are asked again, each of its own provider and for every term
it asked (Momentum: a batch per term; Sonata: every term an item of one quote), and the new
batches are one deal again. It asked only the named batch's rows, for its first term."""

from __future__ import annotations

import sqlite3

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.integration import test_deal_submit_cli as submit_cli
from tests.integration.test_deal_submit_cli import SECRET, add_providers, cli

env, sites = submit_cli.env, submit_cli.sites   # its fixtures, used here too

EVERY = [("Lumen", 36), ("Lumen", 60), ("Momentum", 36), ("Momentum", 60)]


def _expire_every_quote(db) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE quote SET valid_until = '2001-01-01'")


def _offers_of(db, first_batch: int) -> dict[int, list[tuple[str, int]]]:
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            "SELECT r.row_number, b.provider_name, o.term_months FROM batch_quote r "
            "JOIN batch_job b ON b.id = r.batch_id JOIN quote_option o ON o.quote_id = r.quote_id "
            "WHERE r.status = 'complete' AND b.id >= ?", (first_batch,)).fetchall()
    offers: dict[int, set] = {}
    for row, provider, term in found:
        offers.setdefault(row, set()).add((provider, term))
    return {row: sorted(pairs) for row, pairs in offers.items()}


@pytest.fixture
def sellers(env):
    """Momentum and a Sonata seller (the simulators), added as the providers Momentum and Lumen."""
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        add_providers(env, momentum, sonata)
        yield momentum, sonata


def _sonata_terms(sonata: SonataSimulator) -> list[list[int]]:
    return [[i["requestedQuoteItemTerm"]["duration"]["amount"] for i in q.request["quoteItem"]]
            for q in sonata.state.quotes()]


def test_a_requote_of_a_deal_asks_every_term_of_every_provider_again(sellers, env, sites,
                                                                     tmp_path):
    db = tmp_path / "cli.sqlite"
    momentum, sonata = sellers
    cli(env, "submit", sites, "--provider", "Momentum", "--provider", "Lumen",
        "--terms", "36,60", "--wait", check=0)
    momentum_before = momentum.stats()["created"]
    _expire_every_quote(db)
    out = cli(env, "requote", "3", "--wait", check=0)   # any batch of the deal names it
    momentum_asked = momentum.stats()["created"] - momentum_before
    sonata_items = _sonata_terms(sonata)
    assert out.stdout.strip() == "4"
    assert "deal 4 stored: 9 stale quotes of deal 1 asked again in 3 batches" in out.stderr
    assert "batch 6: Lumen, 36, 60 months" in out.stderr
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT id, provider_name, term_months, terms, deal_id "
                              "FROM batch_job WHERE id > 3 ORDER BY id").fetchall()
    assert stored == [(4, "Momentum", 36, None, 4), (5, "Momentum", 60, None, 4),
                      (6, "Lumen", 36, "[36, 60]", 4)]
    assert momentum_asked == 6                      # 3 sites x 2 terms, one quote each
    assert sonata_items == [[36, 60]] * 6           # the first 3 and the 3 asked again
    assert _offers_of(db, 4) == {2: EVERY, 3: EVERY, 4: EVERY}


def test_a_requote_of_one_sonata_batch_asks_each_of_its_terms_again(sellers, env, sites,
                                                                    tmp_path):
    db = tmp_path / "cli.sqlite"
    _, sonata = sellers
    cli(env, "submit", sites, "--provider", "Lumen", "--terms", "36,60", "--wait", check=0)
    _expire_every_quote(db)
    out = cli(env, "requote", "1", "--wait", check=0)
    sonata_items = _sonata_terms(sonata)
    assert out.stdout.strip() == "2"
    assert "batch 2 stored: 3 stale quotes of batch 1 asked again" in out.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT terms, deal_id FROM batch_job WHERE id = 2").fetchall() == \
            [("[36, 60]", None)]
    assert sonata_items == [[36, 60]] * 6
    lumen = [("Lumen", 36), ("Lumen", 60)]
    assert _offers_of(db, 2) == {2: lumen, 3: lumen, 4: lumen}


def test_only_one_providers_quotes_stale_are_asked_again_through_that_provider(sellers, env, sites,
                                                                               tmp_path):
    db = tmp_path / "cli.sqlite"
    momentum, sonata = sellers
    cli(env, "submit", sites, "--provider", "Momentum", "--provider", "Lumen",
        "--terms", "36", "--wait", check=0)
    momentum_before = momentum.stats()["created"]
    with sqlite3.connect(db) as conn:   # Lumen's prices alone have expired
        conn.execute("UPDATE quote SET valid_until = '2001-01-01' WHERE id IN "
                     "(SELECT quote_id FROM batch_quote WHERE batch_id = 2)")
    out = cli(env, "requote", "1", "--wait", check=0)
    momentum_asked = momentum.stats()["created"] - momentum_before
    sonata_quotes = len(sonata.state.quotes())
    assert "batch 3 stored: 3 stale quotes of deal 1 asked again" in out.stderr
    assert (momentum_asked, sonata_quotes) == (0, 6)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT provider_name, status, deal_id FROM batch_job WHERE id = 3"
                            ).fetchall() == [("Lumen", "complete", None)]
