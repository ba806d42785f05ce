"""Quoting through a named provider from the CLI (subprocesses): `providers add` a Sonata seller
(the built-in simulator, in this process), `submit --provider` a sheet, every row priced and the
export's MRC/NRC exactly the seller's; the batch keeps its provider for `resume`; the saved
Momentum settings become the first provider on the first start."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from bulkquote_gui.services.sonata_simulator_state import price_of
from tests.helpers import file_keyring
from tests.helpers.cli import provider_env, run_bulkquote

REPO = Path(__file__).resolve().parents[2]
SECRET = "lumen-client-secret"
SITES = """Site ID,Company,Street Address,City,State,ZIP,Speed,Term
S-001,Acme Dental,600 Congress Ave,Austin,TX,78701,1 Gbps,36
S-002,Acme Dental,3001 S Lamar Blvd,Austin,TX,78704,500 Mbps,36
S-003,Harbor Logistics,100 Summer St,Boston,MA,02110,100 Mbps,24
"""


@pytest.fixture
def env(tmp_path):
    return provider_env(tmp_path, rep_contact=False)


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


def add_lumen(env, sim: SonataSimulator) -> None:
    cli(env, "providers", "add", "Lumen", "--kind", "sonata", "--url", sim.base_url,
        "--token-url", sim.token_url, "--client-id", "bq-client", "--offering", "DIA=BIA-1",
        stdin=SECRET + "\n", check=0)


def rep_contact(tmp_path, name: str = "Dana Rep", email: str = "dana@example.com") -> None:
    """Settings > You, which a Sonata seller is sent as the buyer's contact."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"rep_name": name, "rep_email": email}))


def stored_batches(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "cli.sqlite") as db:
        return db.execute("SELECT b.id, b.provider_name, a.provider, a.api_url FROM batch_job b "
                          "LEFT JOIN account a ON a.id = b.account_id ORDER BY b.id").fetchall()


def test_a_sheet_is_quoted_through_a_sonata_seller_named_on_the_command_line(env, sites, tmp_path):
    rep_contact(tmp_path)
    with SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sim:
        add_lumen(env, sim)
        out = cli(env, "submit", sites, "--provider", "lumen", "--wait", check=0)
        quotes = sorted(sim.state.quotes(),
                        key=lambda q: int(q.request["description"].rsplit("-", 1)[1]))
    assert "demo mode" not in out.stderr and SECRET not in out.stdout + out.stderr
    assert len(quotes) == 3   # one quote per site
    assert all({"role": "buyerContactInformation", "name": "Dana Rep",
                "emailAddress": "dana@example.com"}.items()
               <= q.request["relatedContactInformation"][0].items() for q in quotes)
    assert stored_batches(tmp_path) == [(1, "Lumen", "sonata", sim.base_url)]

    cli(env, "export", "1", "-o", tmp_path / "out.csv", check=0)
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        exported = list(csv.DictReader(f))
    assert [row["Status"] for row in exported] == ["Priced"] * 3, exported
    for row, quote in zip(exported, quotes):
        price = price_of(quote.answer)
        assert (Decimal(row["MRC"]), Decimal(row["NRC"])) == (Decimal(price["mrc"]),
                                                             Decimal(price["nrc"]))


def test_a_batch_is_resumed_with_the_provider_it_was_sent_to(env, sites, tmp_path):
    """The first provider is the default; a batch sent to another one is resumed through it."""
    rep_contact(tmp_path)
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        cli(env, "providers", "add", "Momentum", "--kind", "momentum", "--url", momentum.base_url,
            stdin="momentum-key\n", check=0)
        add_lumen(env, sonata)
        cli(env, "submit", sites, "--provider", "Lumen", check=0)          # stored, not sent
        cli(env, "submit", sites, check=0)                                  # the default
        cli(env, "resume", check=0)
        assert len(sonata.state.quotes()) == 3
    assert [b[:3] for b in stored_batches(tmp_path)] == [(1, "Lumen", "sonata"),
                                                         (2, "Momentum", "momentum")]
    statuses = json.loads(cli(env, "status", "--json", check=0).stdout)
    assert sorted(b["status"] for b in statuses["batches"]) == ["complete", "complete"]


@pytest.mark.parametrize("name, email, missing", [("", "", "name and e-mail"),
                                                  ("Dana Rep", "", "e-mail")])
def test_a_sonata_seller_without_the_rep_s_contact_is_refused_before_anything_is_sent(
        env, sites, tmp_path, name, email, missing):
    rep_contact(tmp_path, name, email)
    with SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sim:
        add_lumen(env, sim)
        out = cli(env, "submit", sites, "--provider", "Lumen", "--wait", check=2)
        assert sim.state.quotes() == []
    assert out.stderr.strip() == (f"bulkquote submit: Lumen (a MEF Sonata seller) needs your "
                                  f"{missing} as the buyer's contact: fill in Settings > You, "
                                  "then send the batch again.")
    assert stored_batches(tmp_path) == []   # nothing stored either


def test_an_unknown_provider_is_one_line(env, sites):
    out = cli(env, "submit", sites, "--provider", "Zayo", "--wait", check=2)
    assert out.stderr.strip() == ("bulkquote submit: no provider is named 'Zayo' "
                                  "(see `bulkquote providers`)")


def test_the_saved_momentum_settings_become_the_first_provider(env, sites, tmp_path):
    """Settings saved before providers (URL in settings.json, key in the keyring) are a provider
    named Momentum on the first start: listed, the default, the URL gone from settings.json."""
    with SimulatorServer(port=0, api_key="saved-key", time_scale=0.01).start() as sim:
        config = tmp_path / "config"
        config.mkdir()
        (config / "settings.json").write_text(json.dumps({"api_base_url": sim.base_url}))
        (tmp_path / "keyring.json").write_text(json.dumps({"BulkQuote/momentum-api-key": "saved-key"}))
        listed = cli(env, "providers", check=0).stdout
        assert listed == f"Momentum\tmomentum\t{sim.base_url}\t1 quote at once\tsecret in the keyring\n"
        assert json.loads((config / "settings.json").read_text())["api_base_url"] == ""
        assert file_keyring.entries(tmp_path / "keyring.json")["BulkQuote/provider:momentum"] == "saved-key"
        cli(env, "submit", sites, "--wait", check=0)
        assert cli(env, "providers", check=0).stdout == listed   # upgraded once
    assert stored_batches(tmp_path) == [(1, "Momentum", "momentum", sim.base_url)]


def test_the_worker_quotes_each_batch_through_its_own_provider(env, sites, tmp_path):
    """A team's worker finds every provider's secret (here in the variables they name) and
    quotes each batch with the provider it was sent to; one without its secret is skipped."""
    rep_contact(tmp_path)
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        cli(env, "providers", "add", "Momentum", "--kind", "momentum", "--url", momentum.base_url,
            "--secret-env", "TEAM_MOMENTUM_KEY", check=0)
        cli(env, "providers", "add", "Lumen", "--kind", "sonata", "--url", sonata.base_url,
            "--token-url", sonata.token_url, "--client-id", "bq-client", "--offering",
            "DIA=BIA-1", "--secret-env", "TEAM_LUMEN_SECRET", check=0)
        cli(env, "providers", "add", "Zayo", "--kind", "sonata", "--url", sonata.base_url,
            "--token-url", sonata.token_url, "--client-id", "zayo", "--secret-env",
            "TEAM_ZAYO_SECRET", check=0)
        team = {**env, "TEAM_MOMENTUM_KEY": "momentum-key", "TEAM_LUMEN_SECRET": SECRET}
        cli(team, "submit", sites, "--provider", "Lumen", check=0)
        cli(team, "submit", sites, check=0)
        out = cli(team, "worker", "--until-idle", check=0)
        assert len(sonata.state.quotes()) == 3
    assert "worker: provider 'Zayo' skipped: the secret of provider 'Zayo' is read from " \
           "$TEAM_ZAYO_SECRET, which is not set" in out.stderr
    statuses = json.loads(cli(env, "status", "--json", check=0).stdout)
    assert sorted(b["status"] for b in statuses["batches"]) == ["complete", "complete"]
