"""Batches through the real engine against the hostile Sonata peer (tests/helpers/hostile_sonata.py),
over real sockets on loopback, with the client the factory builds for kind "sonata": whatever the
seller does, every row ends (or the batch pauses for a refused secret), no site is quoted twice,
and the prices are exactly the seller's."""

from __future__ import annotations

import random
from decimal import Decimal
from functools import partial as bind

import pytest

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.states import ROW_TERMINAL, BatchStatus, RowState
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeImport, checked_row
from tests.helpers.hostile_sonata import (
    FAULTS,
    HostileSonata,
    partial,
    price_for,
    priced,
    refused,
)

FAST = EngineConfig(poll_interval_s=0.02, quote_timeout_s=20.0, retry_after_floor_s=0.01,
                    retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                    command_check_s=0.05, delete_attempts=3, cleanup_timeout_s=2.0)
ROWS = 4


class Recording:
    """The real client, with the quotes it handed the engine kept for the test to read."""

    def __init__(self, client) -> None:
        self.client, self.quotes = client, []

    def __getattr__(self, name):
        call = getattr(self.client, name)
        if name not in ("submit", "find", "poll", "cancel"):
            return call

        def recorded(*args, **kwargs):
            reply = call(*args, **kwargs)
            self.quotes.append(reply.quote)
            return reply
        return recorded


def _settings(peer: HostileSonata, **kw) -> SonataSettings:
    return SonataSettings(token_url=peer.token_url, client_id="buyer-1", seller="Hostile Fiber",
                          offerings={"DIA": "BIA-1", "ETHERNET": "AEL-1"},
                          contact=Contact("Rita Rep", "rita@buyer.example", "555-0100"), **kw)


def _run(sf, peer: HostileSonata, rows: int = ROWS, **settings):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(n) for n in range(2, 2 + rows)]),
                                      defaults=BatchDefaults(), source_name="sites.csv")
    with build_client(peer.base_url, "s3cret-value", kind=SONATA,
                      sonata=_settings(peer, **settings)) as real:
        client = Recording(real)
        outcome = Processor(sf, client, config=FAST, rng=random.Random(7)).run_batch(batch_id)
    with sf() as session:
        return outcome, view_store.batch_rows(session, batch_id), client.quotes, \
            view_store.get_batch(session, batch_id)


def _sent(peer: HostileSonata) -> dict[int, dict]:
    """Row number -> the request the peer was sent for it."""
    return {int(q["_request"]["description"].rsplit("-", 1)[1]): q["_request"]
            for q in peer.quotes.values()}


def _all_priced_once(peer, outcome, rows, count: int = ROWS) -> None:
    assert outcome == BatchStatus.COMPLETE
    assert peer.twice() == []
    assert len(peer.created) == count
    sent = _sent(peer)
    for row in rows:
        assert row.status == RowState.COMPLETE, (row.row_number, row.error_message)
        assert (row.mrc, row.nrc) == price_for(sent[row.row_number])


@pytest.mark.parametrize("kind", ["post", "poll"])
def test_every_fault_on_a_call_is_outlived_and_no_site_is_quoted_twice(sf, kind):
    faults = [f for f in FAULTS if kind == "post" or not f.startswith("commit_then")]
    # Each answer lost after the quote was made takes a row of its own (it is found, not re-sent).
    count = 8 if kind == "post" else ROWS
    with HostileSonata(faults={kind: faults}, polls_before_final=2) as peer:
        outcome, rows, _, _ = _run(sf, peer, rows=count)
    _all_priced_once(peer, outcome, rows, count)
    assert peer.faults[kind] == []   # every fault was met


def test_answers_lost_after_the_quote_was_made_are_found_by_external_id(sf):
    # Each POST's answer is lost after the seller made the quote, and the first searches fail.
    with HostileSonata(faults={"post": ["commit_then_drop", "commit_then_500"] * 2,
                               "search": ["503", "malformed", "429"]}) as peer:
        outcome, rows, _, _ = _run(sf, peer)
        searches = peer.calls["search"]
    _all_priced_once(peer, outcome, rows)
    assert searches >= 4


def test_a_token_revoked_mid_batch_is_renewed_once_and_the_batch_goes_on(sf):
    with HostileSonata(revoke_after_creates=2) as peer:
        outcome, rows, _, _ = _run(sf, peer)
        tokens, refusals = peer.calls["token"], peer.calls["401"]
    _all_priced_once(peer, outcome, rows)
    assert (tokens, refusals) == (2, 1)


def test_a_refused_secret_pauses_the_batch_with_one_sentence(sf):
    with HostileSonata(refuse_tokens=True) as peer:
        outcome, rows, _, job = _run(sf, peer)
        tokens = peer.calls["token"]
    assert outcome == BatchStatus.PAUSED
    assert peer.created == {}
    assert tokens == 2          # the first token, and one fresh one after the 401
    assert job.status_message == (
        "the seller Hostile Fiber refused BulkQuote's access (HTTP 401): the access token is "
        "expired or revoked, with a fresh token; check the client id and secret and what the "
        "seller lets them do, then resume the batch")
    assert all(r.status in (RowState.PENDING, RowState.SUBMITTING) for r in rows)


@pytest.mark.parametrize("state, status", [
    ("approved.answered", RowState.COMPLETE),          # pre-Billie for answered
    ("cancelled.unableToProvide", RowState.FAILED),    # pre-Billie for unableToProvide
    ("rejected.expired", RowState.FAILED),             # pre-Billie for expired
])
def test_pre_billie_state_names_are_read_as_their_new_names(sf, state, status):
    final = bind(priced, state=state) if status == RowState.COMPLETE else bind(refused, state=state)
    with HostileSonata(final=final) as peer:
        outcome, rows, _, _ = _run(sf, peer)
    assert outcome == BatchStatus.COMPLETE
    assert peer.twice() == []
    assert {r.status for r in rows} == {status}
    if state == "cancelled.unableToProvide":
        assert all("no fibre within 500 m of the site" in r.error_message for r in rows)
    if state == "rejected.expired":
        assert {r.error_code for r in rows} == {"expired"}


def test_an_alternate_is_priced_and_flagged_never_taken_for_the_term_asked(sf):
    with HostileSonata(final=bind(priced, state="approved.orderableAlternate", term=48)) as peer:
        outcome, rows, quotes, _ = _run(sf, peer)
    _all_priced_once(peer, outcome, rows)
    offers = [o for q in quotes if q.result for o in q.result.options]
    assert len(offers) == ROWS
    assert {(o.alternate, o.term_months) for o in offers} == {(True, 48)}


def test_a_budgetary_answer_carries_its_level(sf):
    with HostileSonata(final=bind(priced, state="answered", level="budgetary")) as peer:
        outcome, rows, quotes, _ = _run(sf, peer, quote_level="budgetary")
    _all_priced_once(peer, outcome, rows)
    assert {r.is_estimate for r in rows} == {True}
    assert {o.quote_level for q in quotes if q.result for o in q.result.options} == {"budgetary"}


def test_a_partial_failure_fails_the_row_with_the_sellers_words(sf):
    with HostileSonata(final=partial) as peer:
        outcome, rows, _, _ = _run(sf, peer)
    assert outcome == BatchStatus.COMPLETE
    assert peer.twice() == []
    for row in rows:
        assert (row.status, row.error_code) == (RowState.FAILED, "unableToProvide")
        assert "the 10 Gbps port is sold out" in row.error_message


def test_unknown_fields_are_ignored(sf):
    with HostileSonata(extra_fields=True) as peer:
        outcome, rows, _, _ = _run(sf, peer)
    _all_priced_once(peer, outcome, rows)


def test_money_with_many_decimals_is_rounded_to_the_cent_half_up_and_said_so(sf):
    # The store keeps Money with two decimals (store/models.Money); the mapping rounds half up
    # and notes what the seller wrote: 1234.005 -> 1234.01, never 1234.00 through a float.
    with HostileSonata(final=bind(priced, mrc=Decimal("1234.005"))) as peer:
        outcome, rows, quotes, _ = _run(sf, peer)
    assert outcome == BatchStatus.COMPLETE and peer.twice() == []
    assert {r.mrc for r in rows} == {Decimal("1234.01")}
    notes = {o.note for q in quotes if q.result for o in q.result.options}
    assert notes == {"MRC rounded to the cent from 1234.005"}


def test_an_instant_answer_when_asked_to_defer(sf):
    with HostileSonata(answer_at_once=True) as peer:
        outcome, rows, _, _ = _run(sf, peer, instant=False)
        polls = peer.calls["poll"]
    _all_priced_once(peer, outcome, rows)
    assert polls == 0


def test_a_deferred_answer_when_asked_for_an_instant_one(sf):
    with HostileSonata(polls_before_final=3) as peer:
        outcome, rows, _, _ = _run(sf, peer, instant=True)
        polls = peer.calls["poll"]
    _all_priced_once(peer, outcome, rows)
    assert all(q["_request"]["instantSyncQuote"] is True for q in peer.quotes.values())
    assert polls >= 3 * ROWS


def test_every_row_ends_under_every_fault_at_once(sf):
    # The storm: faults on every call kind and a revoked token, with lost answers.
    with HostileSonata(faults={"post": list(FAULTS), "poll": ["500", "slow", "huge", "429"],
                               "search": ["429_retry_after", "503"]},
                       revoke_after_creates=1, extra_fields=True) as peer:
        outcome, rows, _, _ = _run(sf, peer)
    _all_priced_once(peer, outcome, rows)
    assert all(r.status in ROW_TERMINAL for r in rows)


def test_a_search_that_ignores_the_external_id_and_pages_still_finds_a_lost_quote(sf):
    # A seller whose GET /quote?externalId= lists every quote, oldest first, 2 a page: the quote
    # of the 4th row, whose POST answer was lost, is on the second page. Read as "not there",
    # the row would be sent again.
    with HostileSonata(search_page=2, faults={"post": ["ok", "ok", "ok", "commit_then_drop"]}) \
            as peer:
        outcome, rows, _, _ = _run(sf, peer, rows=6)
        created = dict(peer.created)
    assert peer.twice() == [], created
    assert outcome == BatchStatus.COMPLETE
    assert {r.status for r in rows} == {RowState.COMPLETE}


def test_a_batch_cancelled_while_a_post_failed_unanswered_makes_no_quote_for_it(sf):
    # The seller answers the first POSTs with a 500 and makes no quote; the rep cancels as the
    # third is answered. That POST may have reached the seller, so a look-up is owed. Looked
    # up, nothing is there: asking for a quote then, only to cancel it, is a quote the rep
    # never wanted (and a carrier's pricing desk told to work on it).
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                      source_name="sites.csv")
    processor: list[Processor] = []

    def cancel_at_third_post(kind: str, count: int) -> None:
        if (kind, count) == ("post", 3):
            processor[0].cancel(batch_id)

    with HostileSonata(faults={"post": ["500"] * 3}, on_call=cancel_at_third_post) as peer, \
            build_client(peer.base_url, "s3cret-value", kind=SONATA,
                         sonata=_settings(peer)) as client:
        processor.append(Processor(sf, client, config=FAST, rng=random.Random(7)))
        outcome = processor[0].run_batch(batch_id)
        created, searches = dict(peer.created), peer.calls["search"]
    assert outcome == BatchStatus.CANCELLED
    assert searches >= 1       # the look-up owed was made
    assert created == {}       # and no quote was asked for, to be cancelled


def test_a_secret_refused_at_the_token_endpoint_is_one_sentence_naming_the_seller(sf):
    with HostileSonata(refuse_secret=True) as peer:
        outcome, _, _, job = _run(sf, peer)
        created = dict(peer.created)
    assert (outcome, created) == (BatchStatus.PAUSED, {})
    assert job.status_message == (
        "the seller Hostile Fiber refused the client id/secret: invalid_client the client "
        "secret is wrong; set the right secret, then resume the batch")
