"""Issue 18's "done when", against the built-in simulators at once (subprocesses, loopback): a
file asked of Momentum and a Sonata seller for 12 and 36 months gets every offer; each site's
choice is what the rule says (recomputed here from the offers `status --json` lists); a rep's
pick survives a change of rule; and the deal's Summary (status --json and the export's sheet)
is the chosen offers' to the cent. The sites: the sample sheet's first SITES rows."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.integration.test_deal_submit_cli import SECRET, add_providers, cli, env  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SITES = 8
RANKS = {"lowest-tcv": lambda o: (Decimal(o["contract_value"]), Decimal(o["mrc"])),
         "lowest-mrc": lambda o: (Decimal(o["mrc"]), Decimal(o["contract_value"]))}


def expected_choice(rule: str, offers: list[dict]) -> int:
    """The rule by hand: firm offers (firm or subject to feasibility, not alternate) if any,
    else all of them; the lowest of the rule's measure; ties in listing order."""
    firm = [o for o in offers if o["level"] in ("firm", "firm subject to feasibility")
            and not o["alternate"]]
    return min(firm or offers, key=lambda o: (*RANKS[rule](o), o["offer"]))["offer"]


def status(env, batch) -> dict:   # noqa: F811 (env: the fixture)
    return json.loads(cli(env, "status", batch, "--json", check=0).stdout)


def assert_summary_is_the_chosen_offers(report: dict) -> list[dict]:
    chosen = [r["offers"][r["chosen"]["offer"] - 1] for r in report["rows"]
              if r["offers"] and r["chosen"]["offer"]]
    for money in ("mrc", "nrc", "contract_value"):
        assert Decimal(report["summary"][money]) == sum(Decimal(o[money]) for o in chosen), money
    return chosen


def test_a_deal_of_two_providers_and_two_terms_is_chosen_by_rule_and_by_hand(env, tmp_path):  # noqa: F811
    lines = (REPO / "resources" / "sample_sites.csv").read_text(encoding="utf-8").splitlines()
    sites = tmp_path / "sites.csv"
    sites.write_text("\n".join(lines[:SITES + 1]) + "\n", encoding="utf-8")
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        add_providers(env, momentum, sonata)
        cli(env, "submit", sites, "--provider", "Momentum", "--provider", "Lumen",
            "--terms", "12,36", "--wait", check=0)

    report = status(env, 3)
    assert report["deal"]["id"] == 1 and report["deal"]["rule"]["name"] == "lowest-tcv"
    priced = [r for r in report["rows"] if r["offers"]]
    assert len(priced) >= SITES - 2
    for row in priced:   # every provider and term of the deal, like for like
        assert {(o["provider"], o["term_months"]) for o in row["offers"]} >= {
            ("Lumen", 12), ("Lumen", 36)}
        assert row["chosen"]["offer"] == expected_choice("lowest-tcv", row["offers"])
        assert row["chosen"]["by"] == "rule"
    assert_summary_is_the_chosen_offers(report)

    picked = max(priced, key=lambda r: len(r["offers"]))
    k = len(picked["offers"])
    cli(env, "choose", 2, "--row", picked["row"],
        "--offer", k, check=0)
    out = cli(env, "choose", 3, "--rule", "lowest-mrc", check=0)
    assert out.stdout.startswith("deal 1: Lowest monthly price (MRC)")

    after = status(env, 1)
    for row in (r for r in after["rows"] if r["offers"]):
        if row["row"] == picked["row"]:
            assert (row["chosen"]["offer"], row["chosen"]["by"]) == (k, "Dana Rep")   # Settings > You
        else:
            assert row["chosen"]["offer"] == expected_choice("lowest-mrc", row["offers"])
    chosen = assert_summary_is_the_chosen_offers(after)
    assert after["summary"]["chosen_by_rep"] == 1

    xlsx = tmp_path / "deal.xlsx"
    cli(env, "export", 2, "-o", xlsx, check=0)
    figures = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True)
               if r and r[0]}
    assert Decimal(str(figures["Total MRC"])).quantize(Decimal("0.01")) == \
        sum(Decimal(o["mrc"]) for o in chosen)
    assert Decimal(str(figures["Total contract value (MRC x term + NRC)"])).quantize(
        Decimal("0.01")) == sum(Decimal(o["contract_value"]) for o in chosen)
