"""Sonata's quote and quote-item states (MEF 115, Grace) in the seam's words, with the names the
Billie release renamed (productApi/quote/README.md in the SDK), so an older seller reads the same.

The seam's statuses: queued / processing (poll again), complete (priced), failed (not priced, the
seller said why), cancelled, expired.
"""

from __future__ import annotations

from bulkquote_gui.core.quoting.provider import QuoteStatus

# A quote's state -> the seam's status.
QUOTE_STATES: dict[str, QuoteStatus] = {
    "acknowledged": QuoteStatus.QUEUED,
    "inProgress": QuoteStatus.PROCESSING,
    "inProgress.draft": QuoteStatus.PROCESSING,
    "approved.orderable": QuoteStatus.COMPLETE,
    "approved.orderableAlternate": QuoteStatus.COMPLETE,   # priced, but not quite what was asked: flagged
    "answered": QuoteStatus.COMPLETE,                      # a budgetary answer
    "accepted": QuoteStatus.COMPLETE,                      # the buyer already accepted it: still its price
    "unableToProvide": QuoteStatus.FAILED,
    # Grace's `rejected` is the seller refusing the request. Before Billie, `rejected` meant
    # what is now `declined` (the buyer said no); a seller cannot be told apart by the word, and
    # a quote BulkQuote never declined is the seller's refusal, so the Grace meaning wins.
    "rejected": QuoteStatus.FAILED,
    "cancelled": QuoteStatus.CANCELLED,
    "declined": QuoteStatus.CANCELLED,                     # the buyer declined it: over, not priced
    "expired": QuoteStatus.EXPIRED,
    # the pre-Billie names
    "approved.answered": QuoteStatus.COMPLETE,
    "cancelled.unableToProvide": QuoteStatus.FAILED,
    "cancelled.insufficientInformationProvided": QuoteStatus.FAILED,
    "rejected.expired": QuoteStatus.EXPIRED,
    "pending": QuoteStatus.PROCESSING,
}

# States whose quote is an alternate to what was asked (e.g. 48 months offered for 36).
ALTERNATE_STATES = frozenset({"approved.orderableAlternate"})

# A quote item's state -> priced, or not, or still open.
ITEM_PRICED = frozenset({"approved.orderable", "approved.orderableAlternate", "answered",
                         "approved.answered"})
ITEM_FAILED = frozenset({"rejected", "abandoned", "unableToProvide", "cancelled.unableToProvide"})
ITEM_OPEN = frozenset({"acknowledged", "inProgress", "inProgress.draft", "pending"})

QUOTE_LEVELS = frozenset({"budgetary", "firmSubjectToFeasibilityCheck", "firm"})
BUYER_QUOTE_LEVELS = ("firm", "budgetary")


def seam_status(state: str) -> str | None:
    """The seam's status for a Sonata quote state; None for a state no release has."""
    return QUOTE_STATES.get(state)
