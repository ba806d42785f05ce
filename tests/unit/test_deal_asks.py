"""What a deal asks (core/deal/asks.py): the terms typed checked in one sentence, and one batch
per Sonata provider (every term in one quote), one per (Momentum provider, term)."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.deal.asks import BadAsk, PlannedBatch, parse_terms, plan_batches


def test_terms_are_read_in_the_order_typed():
    assert parse_terms("12,36,60") == (12, 36, 60)
    assert parse_terms(" 60 , 12 ") == (60, 12)
    assert parse_terms("600") == (600,)


@pytest.mark.parametrize("text,sentence", [
    ("", "--terms is empty: give months separated by commas, e.g. 12,36,60"),
    (" , ", "--terms is empty: give months separated by commas, e.g. 12,36,60"),
    ("12,,36", "--terms: '' is not a term in months (a whole number from 1 to 600), e.g. 12,36,60"),
    ("12,3 years", "--terms: '3 years' is not a term in months (a whole number from 1 to 600), "
                   "e.g. 12,36,60"),
    ("0", "--terms: '0' is not a term in months (a whole number from 1 to 600), e.g. 12,36,60"),
    ("601", "--terms: '601' is not a term in months (a whole number from 1 to 600), e.g. 12,36,60"),
    ("-12", "--terms: '-12' is not a term in months (a whole number from 1 to 600), e.g. 12,36,60"),
    ("12.5", "--terms: '12.5' is not a term in months (a whole number from 1 to 600), e.g. 12,36,60"),
    ("36,12,036", "--terms: 36 months is given twice"),
])
def test_bad_terms_get_one_sentence(text, sentence):
    with pytest.raises(BadAsk) as caught:
        parse_terms(text)
    assert str(caught.value) == sentence


def test_sonata_asks_every_term_in_one_batch_momentum_one_batch_per_term():
    planned = plan_batches([("Lumen", "sonata"), ("Momentum", "momentum")], (12, 36))
    assert planned == [PlannedBatch("Lumen", "sonata", (12, 36)),
                       PlannedBatch("Momentum", "momentum", (12,)),
                       PlannedBatch("Momentum", "momentum", (36,))]
    assert plan_batches([(None, "momentum")], (36,)) == [PlannedBatch(None, "momentum", (36,))]


def test_a_provider_twice_or_a_term_momentum_cannot_quote_is_refused():
    with pytest.raises(BadAsk, match=r"^--provider Lumen is given twice$"):
        plan_batches([("Lumen", "sonata"), ("Lumen", "sonata")], (12,))
    with pytest.raises(BadAsk, match=r"^Momentum quotes terms of 12, 24, 36, 60 months, not 48$"):
        plan_batches([("Lumen", "sonata"), ("Momentum", "momentum")], (12, 48))
    assert plan_batches([("Lumen", "sonata")], (48,)) == [PlannedBatch("Lumen", "sonata", (48,))]
