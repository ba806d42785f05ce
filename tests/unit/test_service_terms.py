"""Bandwidth, term and product text to the API's values, with the reason when not offered."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.intake.service_terms import (
    parse_bandwidth,
    parse_product,
    parse_term,
)


@pytest.mark.parametrize("text, mbps", [
    ("1 Gbps", 1000), ("1G", 1000), ("1g", 1000), ("10 Gig", 10000), ("500M", 500),
    ("100 Mbps", 100), ("100", 100), ("1,000", 1000), ("1000 Mb/s", 1000), ("2.0 Gbps", 2000),
    ("1", 1000), ("0.5 Gbps", 500), ("1 Gbps DIA", 1000), ("1 Gbps/1 Gbps", 1000),
    ("100M/100M", 100), ("1000 Mb/s", 1000),
])
def test_bandwidth_as_people_write_it(text, mbps):
    assert parse_bandwidth(text) == (mbps, "")


def test_blank_bandwidth_means_the_default():
    assert parse_bandwidth("  ") == (None, "")


@pytest.mark.parametrize("text, reason", [
    ("300 Mbps", "is not offered"), ("fast", "is not a speed"), ("100 furlongs", "unknown unit"),
    ("1.5M", "is not offered"), ("1G/100M", "down and up differ"),
])
def test_bandwidth_not_offered_names_the_value(text, reason):
    value, error = parse_bandwidth(text)
    assert value is None and reason in error and repr(text) in error


@pytest.mark.parametrize("text, months", [
    ("36", 36), ("36 mo", 36), ("36 months", 36), ("3 years", 36), ("3 yrs", 36), ("5y", 60),
    ("12", 12), ("1 year", 12), ("3", 36), ("24-month", 24),
])
def test_term_as_people_write_it(text, months):
    assert parse_term(text) == (months, "")


@pytest.mark.parametrize("text", ["48", "4 years", "forever", "36 weeks"])
def test_term_not_offered(text):
    value, error = parse_term(text)
    assert value is None and repr(text) in error


@pytest.mark.parametrize("text, product", [
    ("DIA", "DIA"), ("dia", "DIA"), ("Dedicated Internet", "DIA"), ("broadband", "BROADBAND"),
    ("Metro Ethernet", "ETHERNET"), ("E-Line", "ETHERNET"),
])
def test_product_synonyms(text, product):
    assert parse_product(text) == (product, "")


def test_unknown_product_lists_the_offer():
    value, error = parse_product("MPLS VPN")
    assert value is None and "DIA, BROADBAND, ETHERNET" in error
    assert parse_product("") == (None, "")
