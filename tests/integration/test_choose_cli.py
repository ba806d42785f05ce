"""`bulkquote choose` and the offers of `status --json`, as a rep runs them (a subprocess).

Against the built-in simulator: a finished batch's every site is chosen as the rule says (the
test recomputes it from the offers `status --json` lists), and a rep's pick survives a change
of rule until cleared. On a deal stored directly (two batches, two providers and terms): every
offer of a site is listed like for like, in one order, and bad rows, offers, batches and rules
get one line each.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli
from tests.helpers.deals import option, price_row
from tests.helpers.fakes import fake_import

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"


def bq(env, *args, check=None, api_url=None):
    return run_cli(env, *args, check=check, api_url=api_url)


def status(env, batch) -> dict:
    return json.loads(bq(env, "status", batch, "--json", check=0).stdout)


def firm(offer: dict) -> bool:
    return offer["level"] in ("firm", "firm subject to feasibility") and not offer["alternate"]


def on_net_first_firm_only(offers: list[dict]) -> int | None:
    """The rule, recomputed from the listed offers: firm ones only, on-net first, then the
    lowest contract value (ties: the listing order, which is provider, term, value, carrier)."""
    pool = [o for o in offers if firm(o)]
    if not pool:
        return None
    return min(pool, key=lambda o: (o["access"] != "on-net", Decimal(o["contract_value"]),
                                    Decimal(o["mrc"]), o["offer"]))["offer"]


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.01, api_key="test-key").start()
    yield server
    server.stop()


def test_every_site_is_chosen_as_the_rule_says_and_a_pick_survives_a_new_rule(sim, env, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:9]) + "\n",
                     encoding="utf-8")
    out = bq(env, "submit", sites, "--wait", "--json", api_url=sim.base_url, check=0)
    batch = json.loads(out.stdout.splitlines()[0])["batch"]

    before = status(env, batch)
    assert before["deal"]["rule"]["reads"] == "Lowest contract value"
    priced = [r for r in before["rows"] if r["offers"]]
    assert len(priced) >= 5 and any(len(r["offers"]) > 1 for r in priced)
    for row in priced:   # each offer like for like, its contract value to the cent
        for o in row["offers"]:
            assert Decimal(o["contract_value"]) == Decimal(o["mrc"]) * o["term_months"] + Decimal(o["nrc"])
            assert o["provider"] == "Momentum" and o["level"] in ("firm", "estimate")

    picked = max(priced, key=lambda r: len(r["offers"]))
    k = len(picked["offers"])   # the dearest listed of its offers, unlikely to be any rule's
    bq({**env, "USER": "bob", "LOGNAME": "bob"}, "choose", batch, "--row", picked["row"],
       "--offer", k, check=0)
    out = bq(env, "choose", batch, "--rule", "on-net-first", "--firm-only", check=0)
    assert f"deal {batch}: On-net first, then lowest contract value; firm offers only" in out.stdout

    after = status(env, batch)
    assert after["deal"]["rule"]["name"] == "on-net-first" and after["deal"]["rule"]["firm_only"]
    for row in (r for r in after["rows"] if r["offers"]):
        chosen = row["chosen"]
        if row["row"] == picked["row"]:
            assert (chosen["offer"], chosen["by"], chosen["needs_review"]) == (k, "bob", False)
            continue
        expected = on_net_first_firm_only(row["offers"])
        assert chosen["offer"] == expected and chosen["by"] == "rule"
        assert chosen["needs_review"] == (expected is None)

    # The summary adds up the chosen offers, to the cent, and prices the other rules.
    chosen = [r["offers"][r["chosen"]["offer"] - 1] for r in after["rows"]
              if r["offers"] and r["chosen"]["offer"]]
    for money in ("mrc", "nrc", "contract_value"):
        assert Decimal(after["summary"][money]) == sum(Decimal(o[money]) for o in chosen)
    assert [o["rule"] for o in after["summary"]["other_rules"]] == ["lowest-tcv", "lowest-mrc"]
    assert after["summary"]["chosen_by_rep"] == 1

    bq(env, "choose", batch, "--row", picked["row"], "--clear", check=0)
    cleared = {r["row"]: r for r in status(env, batch)["rows"]}[picked["row"]]
    assert cleared["chosen"]["by"] == "rule"
    assert cleared["chosen"]["offer"] == on_net_first_firm_only(cleared["offers"])


def store_a_deal(env) -> list[int]:
    """Rows 2..4 of one sheet asked of a Sonata seller (12 and 36 months) and of Momentum
    (36 months): row 2 priced by both, row 3 by Momentum, row 4 not priced."""
    engine = engine_store.make_engine(env["BULKQUOTE_DB"])
    try:
        sf = engine_store.make_session_factory(engine)
        provider_store.add_provider(sf, "Acme Sonata", "sonata", "https://seller.example/q",
                                    settings={"token_url": "https://seller.example/token",
                                              "client_id": "buyer", "offerings": {"DIA": "BIA-1"}})
        with engine_store.in_transaction(sf) as session:
            ids = deal_store.create_deal(session, fake_import(3), defaults=BatchDefaults(),
                                         source_name="sites.csv",
                                         asks=[deal_store.Ask("Acme Sonata", (12, 36)),
                                               deal_store.Ask(None, (36,))])
            price_row(session, ids[0], 2, [
                option("Acme", "700.00", "100.00", 12, quote_level="firm"),
                option("Acme", "600.00", "0.00", 36, quote_level="budgetary")], date(2027, 2, 1))
            price_row(session, ids[1], 2, [option("Lumen", "650.00", access="on_net"),
                                           option("Spectrum", "500.00", "500.00", is_estimate=True)])
            price_row(session, ids[1], 3, [option("Lumen", "899.10", "250.05")])
    finally:
        engine.dispose()
    return ids


def test_status_lists_every_offer_of_a_site_across_the_deal_like_for_like(env):
    sonata, momentum = store_a_deal(env)
    report = status(env, momentum)
    assert report["deal"]["id"] == sonata and report["deal"]["sites_priced"] == 2
    rows = {r["row"]: r for r in report["rows"]}
    assert [(o["offer"], o["provider"], o["carrier"], o["term_months"], o["mrc"], o["nrc"],
             o["contract_value"], o["level"], o["alternate"], o["access"], o["valid_until"])
            for o in rows[2]["offers"]] == [
        (1, "Acme Sonata", "Acme", 12, "700.00", "100.00", "8500.00", "firm", False, None, "2027-02-01"),
        (2, "Acme Sonata", "Acme", 36, "600.00", "0.00", "21600.00", "budgetary", False, None, "2027-02-01"),
        (3, "Momentum", "Spectrum", 36, "500.00", "500.00", "18500.00", "estimate", False, None, "2027-01-31"),
        (4, "Momentum", "Lumen", 36, "650.00", "0.00", "23400.00", "firm", False, "on-net", "2027-01-31")]
    # The lowest contract value among the firm offers: Acme's 12 months, though dearer a month.
    assert rows[2]["chosen"] == {"offer": 1, "by": "rule", "needs_review": False,
                                 "reason": "best of 2 firm offers", "suggested": None}
    assert rows[3]["offers"][0]["contract_value"] == "32617.65"
    assert rows[4]["offers"] == [] and rows[4]["chosen"] is None
    # The Sonata batch names the same deal, the same choices.
    assert status(env, sonata)["deal"] == report["deal"]


def test_a_pick_is_stored_with_who_made_it(env):
    sonata, momentum = store_a_deal(env)
    env = {**env, "USER": "alice", "LOGNAME": "alice"}
    out = bq(env, "choose", sonata, "--row", 2, "--offer", 3, check=0)
    assert "row     2  offer 3: Momentum / Spectrum 36 mo" in out.stdout
    assert "(estimate), by alice" in out.stdout
    chosen = {r["row"]: r["chosen"] for r in status(env, momentum)["rows"]}
    assert chosen[2] == {"offer": 3, "by": "alice", "needs_review": False,
                         "reason": "chosen by alice", "suggested": None}


@pytest.mark.parametrize("args, message", [
    (("--row", 4, "--offer", 1), "row 4 of deal {deal} has no offer to choose (not priced, or not "
                                 "a row of the sheet; see `bulkquote status {deal} --json`)"),
    (("--row", 2, "--offer", 5), "row 2 has 4 offers: --offer must be 1 to 4 "
                                 "(see `bulkquote status {deal} --json`)"),
    (("--row", 2), "--row 2 needs either --offer K or --clear"),
    (("--offer", 2), "--offer and --clear need --row N (the sheet's row number)"),
    (("--row", 2, "--offer", 1, "--rule", "lowest-mrc"),
     "choose either a rule (--rule, --prefer, --exclude, --firm-only) or one row's offer "
     "(--row), not both"),
    (("--prefer", "Lumen", "--exclude", "lumen"),
     "a carrier cannot be both preferred and excluded: lumen"),
])
def test_a_bad_row_offer_or_rule_is_one_line(env, args, message):
    sonata, _ = store_a_deal(env)
    out = bq(env, "choose", sonata, *args, check=2)
    assert out.stderr == f"bulkquote choose: {message.format(deal=sonata)}\n"


def test_an_unknown_batch_is_one_line(env):
    out = bq(env, "choose", 99, "--rule", "lowest-mrc", check=2)
    assert out.stderr == "bulkquote choose: no batch 99 in this database (see `bulkquote status`)\n"


def test_a_carrier_typed_with_escapes_is_printed_as_one_safe_line(env):
    sonata, _ = store_a_deal(env)
    out = bq(env, "choose", sonata, "--prefer", "Acme\x1b[2J\nrow 9 fake", check=0)
    first = out.stdout.splitlines()[0]
    assert "\x1b" not in out.stdout and first.startswith(f"deal {sonata}: Lowest contract value; Acme")
    assert "fake preferred" in first
