"""What a deal will cost before it is submitted (core/deal/estimate.py and the store's quote
times, core/store/deals.quote_seconds): quotes per provider (Sonata: sites; Momentum: sites x
terms) and the time from the median quote that provider has shown here, divided by its lanes;
"unknown yet" without history. The store's times are read from a temp database holding
known durations."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bulkquote_gui.core.deal.asks import PlannedBatch, plan_batches
from bulkquote_gui.core.deal.estimate import deal_seconds, estimate, estimate_lines
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store.models import BatchQuote
from tests.helpers.cli import run_bulkquote
from tests.helpers.fakes import fake_import

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_sonata_asks_sites_momentum_sites_times_terms_each_over_its_lanes():
    planned = plan_batches([("Lumen", "sonata"), ("Momentum", "momentum")], (12, 36))
    costs = estimate(30, planned, lanes={"Lumen": 4, "Momentum": 1},
                     history={"Lumen": [60.0, 20.0, 40.0], "Momentum": [10.0, 30.0]})
    assert [(c.provider, c.terms, c.quotes, c.lanes, c.seconds_per_quote, c.seen, c.seconds)
            for c in costs] == [("Lumen", (12, 36), 30, 4, 40.0, 3, 300.0),
                                ("Momentum", (12, 36), 60, 1, 20.0, 2, 1200.0)]
    assert deal_seconds(costs) == 1200.0     # the providers run at once: the slowest's time
    assert estimate_lines(30, costs) == [
        "Lumen: 30 quotes (30 sites, 2 terms in one quote each), about 5 min 00 s "
        "(40 s a quote, the median of 3; 4 at a time)",
        "Momentum: 60 quotes (30 sites, 2 terms), about 20 min (20 s a quote, the median of 2; "
        "1 at a time)",
        "in all: 90 quotes, about 20 min (the providers run at once)"]
    # The window's line under the terms: quotes and time alone (the rest in its tooltip).
    assert estimate_lines(30, costs, brief=True) == [
        "Lumen: 30 quotes, about 5 min 00 s", "Momentum: 60 quotes, about 20 min",
        "in all: 90 quotes, about 20 min"]


def test_a_provider_never_seen_is_unknown_yet_never_guessed():
    costs = estimate(5, [PlannedBatch("Zayo", "sonata", (36,)), PlannedBatch(None, "momentum", (36,))],
                     lanes={}, history={None: [12.0]})
    assert [(c.quotes, c.seconds) for c in costs] == [(5, None), (5, 60.0)]
    assert deal_seconds(costs) is None
    assert estimate_lines(5, costs) == [
        "Zayo: 5 quotes (5 sites, 1 term), time unknown yet (no quote from Zayo has finished here)",
        "Momentum: 5 quotes (5 sites, 1 term), about 1 min 00 s (12 s a quote, the median of 1; "
        "1 at a time)",
        "in all: 10 quotes, time unknown yet"]
    assert estimate_lines(5, costs, brief=True) == [
        "Zayo: 5 quotes, time unknown yet", "Momentum: 5 quotes, about 1 min 00 s",
        "in all: 10 quotes, time unknown yet"]


def _quoted(sf, provider: str | None, seconds: list[float | None], *, reused: int = 0) -> int:
    """A batch to `provider` whose rows were answered after these many seconds (None: still
    open); its first `reused` rows filled from an earlier quote."""
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(len(seconds)),
                                            defaults=BatchDefaults(), source_name="a.csv",
                                            provider_name=provider)
    with engine_store.in_transaction(sf) as session:
        rows = session.scalars(select(BatchQuote.id).where(BatchQuote.batch_id == batch_id)
                               .order_by(BatchQuote.position)).all()
        for n, (row_id, took) in enumerate(zip(rows, seconds)):
            start = T0 + timedelta(minutes=n)
            session.execute(update(BatchQuote).where(BatchQuote.id == row_id).values(
                submitted_at=start, status=RowState.COMPLETE if took is not None else RowState.POLLING,
                finished_at=start + timedelta(seconds=took) if took is not None else None,
                reused_from=1 if n < reused else None))
    return batch_id


def test_the_store_reads_a_providers_own_answered_quotes(session_factory):
    _quoted(session_factory, "Lumen", [30.0, 90.0, None, 45.5])
    _quoted(session_factory, "Lumen", [1.0, 2.0, 120.0], reused=2)   # reused rows asked nothing
    _quoted(session_factory, None, [7.0])                            # the unnamed Momentum
    with session_factory() as session:
        assert sorted(deal_store.quote_seconds(session, "Lumen")) == [30.0, 45.5, 90.0, 120.0]
        assert deal_store.quote_seconds(session, None) == [7.0]
        assert deal_store.quote_seconds(session, "Zayo") == []
        # the most recent first: a bounded read keeps today's pace
        assert deal_store.quote_seconds(session, "Lumen", limit=1) == [120.0]


def test_check_says_what_a_deal_will_cost_from_the_stores_quote_times(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = engine_store.make_engine(db)
    sf = engine_store.make_session_factory(engine)
    provider_store.add_provider(sf, "Lumen", "sonata", "https://seller.example/qm/v8", lanes=2)
    provider_store.add_provider(sf, "Momentum", "momentum", "https://momentum.example/v1")
    _quoted(sf, "Lumen", [60.0, 20.0, 40.0])
    engine.dispose()
    sheet = tmp_path / "sites.csv"
    sheet.write_text("Site ID,Street Address,City,State,ZIP\n"
                     + "".join(f"S-{n},{n} Main St,Austin,TX,78701\n" for n in range(1, 11)))
    env = {"PATH": "/usr/bin:/bin", "BULKQUOTE_DB": db, "BULKQUOTE_CONFIG_DIR": str(tmp_path / "c"),
           "BULKQUOTE_DATA_DIR": str(tmp_path / "d"), "PYTHON_KEYRING_BACKEND":
           "keyring.backends.null.Keyring", "PYTHONPATH": ":".join(sys.path)}
    args = ["check", str(sheet), "--provider", "Lumen", "--provider", "Momentum", "--terms", "12,36"]
    out = run_bulkquote(env, args + ["--json"])
    assert out.returncode == 0, out.stderr
    cost = json.loads(out.stdout)["cost"]
    assert [(p["provider"], p["quotes"], p["lanes"], p["seconds_per_quote"], p["seconds"])
            for p in cost["providers"]] == [("Lumen", 10, 2, 40.0, 200.0),
                                            ("Momentum", 20, 1, None, None)]
    assert (cost["quotes"], cost["seconds"]) == (30, None)
    out = run_bulkquote(env, args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-4:] == [
        "what it will cost:",
        "  Lumen: 10 quotes (10 sites, 2 terms in one quote each), about 3 min 20 s (40 s a "
        "quote, the median of 3; 2 at a time)",
        "  Momentum: 20 quotes (10 sites, 2 terms), time unknown yet (no quote from Momentum "
        "has finished here)",
        "  in all: 30 quotes, time unknown yet"]
    bad = run_bulkquote(env, args[:-1] + ["12,,36"])
    assert (bad.returncode, bad.stderr.strip()) == (2, "bulkquote check: --terms: '' is not a "
                                                       "term in months (a whole number from 1 to "
                                                       "600), e.g. 12,36,60")


def test_thousands_of_quotes_are_written_as_submit_counts_them():
    """The window's cost line read "4738 quotes" beside "Submit 4,738 quotes" (seen on Xvfb)."""
    costs = estimate(4738, [PlannedBatch(None, "momentum", (36,))], lanes={}, history={})
    assert estimate_lines(4738, costs, brief=True) == [
        "Momentum: 4,738 quotes, time unknown yet", "in all: 4,738 quotes, time unknown yet"]
