"""Issue 18's "Done when", end to end, as a rep runs the CLI against the built-in simulators on
loopback (Momentum and a Sonata seller at once): a 30-site file asked for 12 and 36 months of
both providers gets every offer; each site's choice is what the rule says (recomputed here from
the offers `status --json` lists, not by core/deal/rules.py); a rep's pick survives a re-rule;
the Summary (status --json and the export's sheet) is the chosen offers' to the cent; the
proposal PDF and XLSX hold every site at its chosen price, the totals and the map; and the diff
of the same file quoted again, a few stored prices changed, lists exactly those sites."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdf

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers.cli import run_cli as cli
from tests.integration.test_deal_submit_cli import SECRET, add_providers, env  # noqa: F401

CENT = Decimal("0.01")
PLACES = [("Congress Ave", "Austin", "TX", "78701"), ("Summer St", "Boston", "MA", "02110"),
          ("S Wacker Dr", "Chicago", "IL", "60606"), ("3rd Ave", "Seattle", "WA", "98101"),
          ("California St", "Denver", "CO", "80202"), ("Peachtree St NE", "Atlanta", "GA", "30303")]
SITES = 30
PAIRS = {("Momentum", 12), ("Momentum", 36), ("Lumen", 12), ("Lumen", 36)}
FIRM = ("firm", "firm subject to feasibility")
MEASURES = {"lowest-tcv": ("contract_value", "mrc"), "lowest-mrc": ("mrc", "contract_value")}


def sites_file(tmp_path: Path) -> Path:
    path = tmp_path / "sites.csv"
    lines = ["Site ID,Company,Street Address,City,State,ZIP"]
    lines += [f"S-{i:03d},Acme,{100 + 10 * i} {street},{city},{state},{zip_code}"
              for i in range(SITES) for street, city, state, zip_code in [PLACES[i % len(PLACES)]]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def status(env, batch) -> dict:  # noqa: F811 (env: the fixture)
    return json.loads(cli(env, "status", batch, "--json", check=0).stdout)


def by_rule(rule: str, offers: list[dict]) -> int:
    """The rule by hand: among the firm offers (or all when none is firm), the lowest of the
    rule's measure, then of the other; a tie goes to the first listed."""
    firm = [o for o in offers if o["level"] in FIRM and not o["alternate"]] or offers
    first, then = MEASURES[rule]
    return min(firm, key=lambda o: (Decimal(o[first]), Decimal(o[then]), o["offer"]))["offer"]


def chosen_offers(report: dict) -> dict[int, dict]:
    """{row: its chosen offer as listed}, of the rows with a choice."""
    return {r["row"]: r["offers"][r["chosen"]["offer"] - 1] for r in report["rows"]
            if r["chosen"] and r["chosen"]["offer"]}


def total(offers, field: str) -> Decimal:
    return sum((Decimal(o[field]) for o in offers), Decimal(0)).quantize(CENT)


def usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def raise_prices(db: Path, batches: list[int], row: int, by: str) -> None:
    """Every offer of the row in these batches dearer by `by` (cheaper when negative)."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE quote_option SET mrc = mrc + ? WHERE quote_id IN (SELECT quote_id "
                     f"FROM batch_quote WHERE row_number = ? AND batch_id IN "
                     f"({','.join('?' * len(batches))}))", (by, row, *batches))


def test_issue_18_done_when(env, tmp_path):  # noqa: F811 (env: the fixture)
    sites = sites_file(tmp_path)
    # Settings > You (the env fixture's contact), and the proposal's company
    (tmp_path / "config" / "settings.json").write_text(json.dumps(
        {"rep_name": "Dana Rep", "rep_email": "dana@example.com", "company_name": "Acme Networks"}))
    db = Path(env["BULKQUOTE_DB"].removeprefix("sqlite:///"))
    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.002).start() as momentum, \
            SonataSimulator(time_scale=0.002, clients={"bq-client": SECRET}) as sonata:
        add_providers(env, momentum, sonata)
        ask = ("submit", sites, "--provider", "Momentum", "--provider", "Lumen", "--terms",
               "12,36", "--wait")
        cli(env, *ask, check=0)
        cli(env, *ask, "--no-reuse", check=0)   # the same file asked again: the second deal

    # ---- every site gets every offer, and the rule's choice is what the rule says
    report = status(env, 1)
    deal_batches = [b["batch"] for b in report["deal"]["batches"]]
    assert report["deal"]["id"] == 1 and len(deal_batches) == 3
    assert len(report["rows"]) == SITES
    priced = [r for r in report["rows"] if r["offers"]]
    assert len(priced) >= SITES - 6, "the simulators price most sites"
    for row in priced:
        assert {(o["provider"], o["term_months"]) for o in row["offers"]} == PAIRS, row["row"]
        assert row["chosen"]["offer"] == by_rule("lowest-tcv", row["offers"]), row["row"]

    # ---- an override survives a re-rule
    picked = next(r for r in priced if by_rule("lowest-mrc", r["offers"]) != len(r["offers"]))
    k = len(picked["offers"])
    cli(env, "choose", 1, "--row", picked["row"], "--offer", k, check=0)
    cli(env, "choose", 1, "--rule", "lowest-mrc", check=0)
    report = status(env, 2)   # any batch of the deal tells the whole deal
    for row in (r for r in report["rows"] if r["offers"]):
        want = k if row["row"] == picked["row"] else by_rule("lowest-mrc", row["offers"])
        assert row["chosen"]["offer"] == want, row["row"]
    assert next(r for r in report["rows"] if r["row"] == picked["row"])["chosen"]["by"] == "Dana Rep"

    # ---- the Summary is the chosen offers' to the cent
    chosen = chosen_offers(report)
    assert len(chosen) == len(priced)
    summary = report["summary"]
    for field in ("mrc", "nrc", "contract_value"):
        assert Decimal(summary[field]) == total(chosen.values(), field), field
    xlsx = tmp_path / "deal.xlsx"
    cli(env, "export", 1, "-o", xlsx, check=0)
    figures = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(
        values_only=True) if r and r[0]}
    assert Decimal(str(figures["Total MRC"])).quantize(CENT) == total(chosen.values(), "mrc")
    assert Decimal(str(figures["Total contract value (MRC x term + NRC)"])).quantize(CENT) == \
        total(chosen.values(), "contract_value")

    # ---- the proposal, PDF and XLSX: every site, the totals, the map
    unpriced = [r["row"] for r in report["rows"] if r["row"] not in chosen]
    pdf, book = tmp_path / "x.pdf", tmp_path / "x.xlsx"
    cli(env, "proposal", 1, "-o", pdf, check=0)
    cli(env, "proposal", 1, "-o", book, check=0)
    reader = pypdf.PdfReader(pdf)
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
    for row, offer in chosen.items():
        line = (rf" {row} [^$]*? {re.escape(offer['carrier'])} [^$]*? {offer['term_months']} mo "
                rf"{re.escape(usd(Decimal(offer['mrc'])))} {re.escape(usd(Decimal(offer['nrc'])))}")
        assert re.search(line, text), f"row {row} at its chosen price"
    for row in unpriced:
        assert re.search(rf" {row} [^$]*? Not priced", text), f"row {row} listed as not priced"
    for field in ("mrc", "nrc", "contract_value"):
        assert usd(total(chosen.values(), field)) in text, field
    map_page = next(p for p in reader.pages if "Where the sites are" in p.extract_text())
    assert any(x.get_object()["/Subtype"] == "/Image"
               for x in map_page["/Resources"]["/XObject"].values())

    wb = openpyxl.load_workbook(book)
    lines = {r[0]: r for r in wb["Sites"].iter_rows(min_row=2, values_only=True)
             if isinstance(r[0], int)}
    assert list(lines) == [r["row"] for r in report["rows"]]   # every site, in the sheet's order
    for row, offer in chosen.items():
        assert (lines[row][2], lines[row][4]) == (offer["carrier"], offer["term_months"])
        assert (Decimal(str(lines[row][5])).quantize(CENT), Decimal(str(lines[row][6])).quantize(
            CENT)) == (Decimal(offer["mrc"]), Decimal(offer["nrc"]))
    assert all(lines[row][2] == "Not priced" for row in unpriced)
    cover = {r[0]: r[1] for r in wb["Proposal"].iter_rows(values_only=True) if r[0]}
    assert Decimal(str(cover["Monthly (MRC)"])).quantize(CENT) == total(chosen.values(), "mrc")
    assert Decimal(str(cover["One-time (NRC)"])).quantize(CENT) == total(chosen.values(), "nrc")
    assert Decimal(str(cover["Over the term (MRC x term + NRC)"])).quantize(CENT) == \
        total(chosen.values(), "contract_value")
    with zipfile.ZipFile(book) as z:
        (picture,) = [z.read(n) for n in z.namelist() if n.startswith("xl/media/")]
    assert picture.startswith(b"\x89PNG") and len(wb["Proposal"]._images) == 1

    # ---- the diff of the two deals lists exactly the sites whose prices differ
    second = status(env, 4)
    second_batches = [b["batch"] for b in second["deal"]["batches"]]
    assert second["deal"]["id"] == 4 and len(second_batches) == 3
    cli(env, "choose", 4, "--rule", "lowest-mrc", check=0)   # the same rule and pick as deal 1
    cli(env, "choose", 4, "--row", picked["row"], "--offer", k, check=0)
    same = status(env, 4)
    assert {row: (o["carrier"], o["mrc"], o["nrc"]) for row, o in chosen_offers(same).items()} \
        == {row: (o["carrier"], o["mrc"], o["nrc"]) for row, o in chosen.items()}
    # Each moved site's chosen offer re-priced in its own batch only (the others of the batch
    # with it, so the listing order holds): down for the rule's choices (they stay the lowest),
    # up for the rep's pick. Sites chosen outside the deal's first batch, where they can be:
    # a diff must read the deal's choice, not the first batch's own answer.
    batch_of = {(b["provider"] or "Momentum", term): b["batch"]
                for b in second["deal"]["batches"] for term in b["terms"]}
    elsewhere = [row for row, o in sorted(chosen.items())
                 if batch_of[o["provider"], o["term_months"]] != 4 and row != picked["row"]]
    ruled = (elsewhere or [row for row in sorted(chosen) if row != picked["row"]])[:2]
    moved = {ruled[0]: "-25.50", ruled[1]: "-3.07", picked["row"]: "10.00"}
    for row, by in moved.items():
        offer = chosen[row]
        raise_prices(db, [batch_of[offer["provider"], offer["term_months"]]], row, by)
    diff = json.loads(cli(env, "diff", 1, 4, "--json", check=0).stdout)
    changed = {s["row"]: s["mrc_change"] for s in diff["sites"] if s["kinds"] != ["unchanged"]}
    assert changed == {row: f"{Decimal(by):.2f}" for row, by in moved.items()}
    assert Decimal(diff["totals"]["monthly_change"]) == sum(Decimal(b) for b in moved.values())
