"""A deal from the CLI (issue 18), against the built-in simulators on loopback (subprocesses):
`submit FILE --provider Momentum --provider Lumen --terms 12,36 --wait` stores one batch per
Momentum term and one Sonata batch asking both terms, quotes the providers in parallel, and every
site gets every offer; `status --json` of any batch lists the deal's batches."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers.cli import provider_env, run_bulkquote

SECRET = "lumen-client-secret"
SITES = """Site ID,Company,Street Address,City,State,ZIP,Speed,Term
S-001,Acme Dental,600 Congress Ave,Austin,TX,78701,1 Gbps,36
S-002,Acme Dental,3001 S Lamar Blvd,Austin,TX,78704,500 Mbps,24
S-003,Harbor Logistics,100 Summer St,Boston,MA,02110,100 Mbps,24
"""


@pytest.fixture
def env(tmp_path):
    return provider_env(tmp_path)


@pytest.fixture
def sites(tmp_path) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(SITES)
    return path


def cli(env, *args: object, stdin: str = "", check: int | None = None) -> subprocess.CompletedProcess:
    out = run_bulkquote(env, ["--poll-interval", "0.05", *map(str, args)], stdin=stdin)
    assert "Traceback" not in out.stderr, out.stderr
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout, out.stderr)
    return out


def add_providers(env, momentum: SimulatorServer, sonata: SonataSimulator) -> None:
    cli(env, "providers", "add", "Momentum", "--kind", "momentum", "--url", momentum.base_url,
        stdin="momentum-key\n", check=0)
    cli(env, "providers", "add", "Lumen", "--kind", "sonata", "--url", sonata.base_url,
        "--token-url", sonata.token_url, "--client-id", "bq-client", "--offering", "DIA=BIA-1",
        stdin=SECRET + "\n", check=0)


def offers_by_site(db: Path) -> dict[int, list[tuple[str, int]]]:
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            "SELECT r.row_number, b.provider_name, o.term_months FROM batch_quote r "
            "JOIN batch_job b ON b.id = r.batch_id JOIN quote_option o ON o.quote_id = r.quote_id "
            "WHERE r.status = 'complete'").fetchall()
    offers: dict[int, set] = {}
    for row, provider, term in found:
        offers.setdefault(row, set()).add((provider, term))
    return {row: sorted(pairs) for row, pairs in offers.items()}


def test_two_providers_two_terms_every_site_gets_every_offer(env, sites, tmp_path):
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        add_providers(env, momentum, sonata)
        out = cli(env, "submit", sites, "--provider", "Momentum", "--provider", "Lumen",
                  "--terms", "12,36", "--wait", check=0)
        made_by_momentum = momentum.stats()["created"]
        sonata_items = [[i["requestedQuoteItemTerm"]["duration"]["amount"]
                         for i in q.request["quoteItem"]] for q in sonata.state.quotes()]
    assert out.stdout.strip() == "1"      # the deal's id, for scripts
    assert "deal 1 stored: 3 sites in 3 batches" in out.stderr
    assert "batch 1: Momentum, 12 months" in out.stderr
    assert "batch 2: Momentum, 36 months" in out.stderr
    assert "batch 3: Lumen, 12, 36 months" in out.stderr
    assert made_by_momentum == 6                   # Momentum: one quote per site and term
    assert sonata_items == [[12, 36]] * 3          # Sonata: one quote per site, an item per term
    every = [("Lumen", 12), ("Lumen", 36), ("Momentum", 12), ("Momentum", 36)]
    assert offers_by_site(tmp_path / "cli.sqlite") == {2: every, 3: every, 4: every}

    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        stored = conn.execute("SELECT id, provider_name, term_months, terms, deal_id "
                              "FROM batch_job ORDER BY id").fetchall()
        first_sonata, last_momentum = conn.execute(
            "SELECT (SELECT MIN(submitted_at) FROM batch_quote WHERE batch_id = 3), "
            "(SELECT MAX(submitted_at) FROM batch_quote WHERE batch_id IN (1, 2))").fetchone()
    assert stored == [(1, "Momentum", 12, None, 1), (2, "Momentum", 36, None, 1),
                      (3, "Lumen", 12, "[12, 36]", 1)]
    # In parallel: Lumen's first quote went out before Momentum's last (one after another,
    # Momentum's six would all have gone first).
    assert first_sonata < last_momentum

    status = json.loads(cli(env, "status", "3", "--json", check=0).stdout)
    assert status["deal"]["id"] == 1
    assert [(b["batch"], b["provider"], b["terms"], b["status"], b["counts"]["total"],
             b["counts"]["complete"]) for b in status["deal"]["batches"]] == [
        (1, "Momentum", [12], "complete", 3, 3), (2, "Momentum", [36], "complete", 3, 3),
        (3, "Lumen", [12, 36], "complete", 3, 3)]


def test_terms_alone_make_a_deal_of_the_default_provider(env, sites, tmp_path):
    """--terms without several providers: the demo simulator (no provider stored), one batch
    per term; the JSON names the deal and its batches."""
    out = cli(env, "submit", sites, "--terms", "36,12", "--json", check=0)
    assert json.loads(out.stdout) == {"deal": 1, "rows": 3, "reused": 0, "batches": [
        {"batch": 1, "provider": None, "terms": [36]}, {"batch": 2, "provider": None, "terms": [12]}]}
    status = json.loads(cli(env, "status", "1", "--json", check=0).stdout)
    assert [(b["batch"], b["terms"], b["status"]) for b in status["deal"]["batches"]] == [
        (1, [36], "pending"), (2, [12], "pending")]


def test_one_provider_and_one_term_is_a_batch_as_before(env, sites, tmp_path):
    out = cli(env, "submit", sites, "--json", check=0)
    assert json.loads(out.stdout) == {"batch": 1, "rows": 3, "reused": 0}
    status = json.loads(cli(env, "status", "1", "--json", check=0).stdout)
    assert {k: status["deal"][k] for k in ("id", "batches")} == {"id": 1, "batches": [
        {"batch": 1, "provider": None, "terms": [36], "status": "pending",
         "counts": status["counts"]}]}
    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        assert conn.execute("SELECT deal_id, terms FROM batch_job").fetchall() == [(None, None)]


@pytest.mark.parametrize("args,sentence", [
    (("--terms", "12,x"), "--terms: 'x' is not a term in months (a whole number from 1 to 600), "
                          "e.g. 12,36,60"),
    (("--terms", ""), "--terms is empty: give months separated by commas, e.g. 12,36,60"),
    (("--terms", "12,12"), "--terms: 12 months is given twice"),
    (("--terms", "12", "--term", "36"), "give --term or --terms, not both"),
    (("--terms", "48"), "Momentum quotes terms of 12, 24, 36, 60 months, not 48"),
])
def test_bad_terms_are_one_line_and_store_nothing(env, sites, tmp_path, args, sentence):
    out = cli(env, "submit", sites, *args, check=2)
    assert out.stderr.strip() == f"bulkquote submit: {sentence}"
    assert not (tmp_path / "cli.sqlite").exists() or sqlite3.connect(
        tmp_path / "cli.sqlite").execute("SELECT COUNT(*) FROM batch_job").fetchone() == (0,)
