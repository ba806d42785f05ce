"""The XLSX export's Summary and Options sheets, and a re-quote's previous price beside the new one."""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from decimal import Decimal

import openpyxl

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.deal.rules import Rule
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import reuse as reuse_store
from tests.helpers.deals import make_deal
from tests.helpers.fakes import (
    VALID_UNTIL,
    FakeClock,
    FakeMomentum,
    Outcome,
    fake_import,
)


def quoted(sf, n, outcomes=None):
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(), source_name="d.csv")
    for ref, outcome in (outcomes or {}).items():
        api.outcomes[f"batch-{batch_id}/{ref}"] = outcome
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(4)).run_batch(batch_id)
    return batch_id


def test_the_xlsx_has_a_summary_and_every_option(session_factory, tmp_path):
    sf = session_factory
    batch_id = quoted(sf, 3, {"row-4": Outcome(mrc="500.00")})
    out = tmp_path / "deal.xlsx"
    export_batch(sf, batch_id, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Quotes", "Summary", "Options"]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    # By hand (FakeMomentum): Lumen 899 + 899 + 500 recommended, no install, 36 months.
    assert summary["Sites priced"] == 3
    assert Decimal(str(summary["Total MRC"])) == Decimal("2298")
    assert Decimal(str(summary["Total contract value (MRC x term + NRC)"])) == Decimal("82728")
    assert summary["Rule"] == "Lowest contract value"
    rows = list(wb["Summary"].iter_rows(values_only=True))
    chosen = rows[[r[0] for r in rows].index("Chosen offer per site") + 1:]
    # Spectrum's lower contract value is an estimate: the firm Lumen offers are chosen.
    assert [(r[0], r[2], r[7], r[8], Decimal(str(r[10]))) for r in chosen] == [
        ("Row 2", "Lumen", "firm", "rule", Decimal("27464")),
        ("Row 3", "Lumen", "firm", "rule", Decimal("27464")),
        ("Row 4", "Lumen", "firm", "rule", Decimal("18000"))]
    options = list(wb["Options"].iter_rows(values_only=True))
    assert options[0][:4] == ("Row", "Option", "Recommended", "Carrier")
    assert len(options) == 1 + 3 * 2                       # two options for each priced site
    assert [(o[0], o[3], o[2]) for o in options[1:3]] == [(2, "Spectrum", None), (2, "Lumen", "yes")]


def test_a_requote_export_sets_the_new_price_beside_the_old_with_the_change(session_factory, tmp_path):
    sf = session_factory
    first = quoted(sf, 2)
    with engine_store.in_transaction(sf) as session:
        new_id = reuse_store.requote_stale(session, first, today=VALID_UNTIL + timedelta(days=60))
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    api.outcomes[f"batch-{new_id}/row-2"] = Outcome(mrc="950.00")
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(4)).run_batch(new_id)
    out = tmp_path / "requote.csv"
    export_batch(sf, new_id, out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    header = table[0]
    at = header.index("Previous MRC")
    assert header[at + 1] == "MRC change"
    assert [row[at:at + 2] for row in table[1:]] == [["899.00", "51.00"], ["899.00", "0.00"]]


def test_the_summary_sheet_is_the_deals_chosen_offers_to_the_cent(session_factory, tmp_path):
    """A deal of two batches (tests/helpers/deals.py), a rule and a rep's pick: the Summary of
    either batch's export adds up the chosen offers, site by site, to the cent."""
    sonata, momentum = make_deal(session_factory)
    with session_factory() as session:
        spectrum = choice_store.deal_offers(session, sonata)[2][2]
    with engine_store.in_transaction(session_factory) as session:
        choice_store.set_rule(session, sonata, Rule("on-net-first"), "Bob")
        choice_store.set_override(session, sonata, 2, spectrum.option_id, "Alice")
    with session_factory() as session:
        chosen = choice_store.read_deal(session, sonata).choices
    out = tmp_path / "deal.xlsx"
    export_batch(session_factory, momentum, out)
    rows = list(openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True))
    figures = {r[0]: r[1] for r in rows if r and r[0]}
    table = rows[[r[0] for r in rows].index("Chosen offer per site") + 1:]
    money = lambda v: Decimal(str(v)).quantize(Decimal("0.01"))   # noqa: E731
    assert [(r[0], r[2], money(r[4]), money(r[5]), money(r[6]), r[8]) for r in table] == [
        (f"Row {n}", c.offer.carrier, c.offer.mrc, c.offer.nrc, c.offer.contract_value, c.chosen_by)
        for n, c in sorted(chosen.items())]
    assert money(figures["Total MRC"]) == sum(money(r[4]) for r in table) == Decimal("1399.10")
    assert money(figures["Total NRC"]) == sum(money(r[5]) for r in table) == Decimal("750.05")
    assert money(figures["Total contract value (MRC x term + NRC)"]) == \
        sum(money(r[6]) for r in table) == Decimal("51117.65")
    assert figures["Rule"] == "On-net first, then lowest contract value"
    assert figures["Sites you chose by hand"] == 1
    others = rows[[r[0] for r in rows].index("Other rules would cost") + 1:][:2]
    assert [(r[0], money(r[1]), money(r[2])) for r in others] == [
        ("lowest contract value", Decimal("1399.10"), Decimal("0.00")),
        ("lowest MRC", Decimal("1399.10"), Decimal("0.00"))]