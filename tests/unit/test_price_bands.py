"""The map's price bands: the quartiles of the chosen MRCs as low / mid / high, each band's
label the dollar range of its own sites; equal prices share a band; another currency is kept
out of the bands rather than compared."""

from decimal import Decimal as D

from bulkquote_gui.core.geo.price_bands import price_bands


def _usd(**mrcs: str) -> dict[str, tuple[D, str]]:
    return {k: (D(v), "USD") for k, v in mrcs.items()}


def test_the_cheapest_quarter_is_low_the_dearest_quarter_high_the_middle_half_mid():
    prices = _usd(a="100", b="200", c="300", d="400", e="500", f="600", g="700", h="800")
    bands = price_bands(prices)
    assert {k: b.rank for k, b in bands.items()} == \
        {"a": 0, "b": 0, "c": 1, "d": 1, "e": 1, "f": 1, "g": 2, "h": 2}
    assert [bands[k].label for k in ("a", "c", "h")] == \
        ["Low $100–$200/mo", "Mid $300–$600/mo", "High $700–$800/mo"]


def test_a_label_keeps_cents_only_where_a_price_has_them_and_groups_thousands():
    bands = price_bands(_usd(a="99.50", b="1200", c="1500", d="18000"))
    assert bands["a"].label == "Low $99.50/mo"
    assert bands["b"].label == "Mid $1,200–$1,500/mo"
    assert bands["d"].label == "High $18,000/mo"


def test_equal_prices_share_a_band():
    bands = price_bands(_usd(a="100", b="100", c="100", d="900"))
    assert {k: b.rank for k, b in bands.items()} == {"a": 0, "b": 0, "c": 0, "d": 2}
    one_price = price_bands(_usd(a="500", b="500"))
    assert {b.label for b in one_price.values()} == {"Low $500/mo"}


def test_one_or_two_sites_and_none():
    assert price_bands({}) == {}
    assert price_bands(_usd(a="450"))["a"].label == "Low $450/mo"
    two = price_bands(_usd(a="100", b="900"))
    assert (two["a"].rank, two["b"].rank) == (0, 2)


def test_a_site_in_another_currency_is_left_out_of_the_bands():
    prices = _usd(a="100", b="200", c="300")
    prices["d"] = (D("50"), "EUR")
    bands = price_bands(prices)
    assert "d" not in bands
    assert bands["a"].label == "Low $100/mo"   # 50 EUR did not make $100 "mid"
    eur = price_bands({"x": (D("80"), "EUR"), "y": (D("90"), "EUR"), "z": (D("10"), "USD")})
    assert eur["x"].label == "Low 80 EUR/mo" and "z" not in eur
