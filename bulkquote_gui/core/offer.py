"""What the Momentum API can quote (momentum-api.md), and the batch defaults."""

from __future__ import annotations

from dataclasses import dataclass

BANDWIDTHS_MBPS: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
TERMS_MONTHS: tuple[int, ...] = (12, 24, 36, 60)
PRODUCTS: tuple[str, ...] = ("DIA", "BROADBAND", "ETHERNET")


@dataclass(frozen=True)
class BatchDefaults:
    """Service and customer used for a row whose own columns leave them blank."""

    bandwidth_mbps: int = 1000
    term_months: int = 36
    product: str = "DIA"
    company: str = ""  # customer company when the file has none

    def __post_init__(self) -> None:
        if self.bandwidth_mbps not in BANDWIDTHS_MBPS:
            raise ValueError(f"unsupported bandwidth {self.bandwidth_mbps} Mbps")
        if self.term_months not in TERMS_MONTHS:
            raise ValueError(f"unsupported term {self.term_months} months")
        if self.product not in PRODUCTS:
            raise ValueError(f"unsupported product {self.product!r}")
