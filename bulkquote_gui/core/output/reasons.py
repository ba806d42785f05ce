"""A row's status and reason in the rep's words, once: for the results table, its filter and exports.

The engine stores a failure as (code, message), and the message may already start with the
code's words ("manual pricing required: …") or quote the server's own text in brackets; shown
as "code: message" it said the same thing three times. Here each code has one short label (the
filter's categories) and `reason_text` gives one sentence for a row.
"""

from __future__ import annotations

from bulkquote_gui.core.quoting.provider import QuoteStatus
from bulkquote_gui.core.states import BatchStatus, RowState

# Failures a new attempt can change: the API was busy, slow or lost the quote. The others (no
# coverage, an address the carriers do not know, manual pricing, a refused field) come back the
# same however often they are sent.
RETRYABLE = frozenset({
    "timeout", "not_found", "expired", "cancelled", "internal_error", "server_error",
    "rate_limited", "unexpected_status", "broken_body", "connection_error", "unreachable",
    "aborted", "unhealthy", "body_too_large", "error", "failed",
})

_LABELS = {
    "manual_pricing_required": "Manual pricing",
    "no_coverage": "No coverage",
    "address_not_found": "Address not found",
    "invalid_address": "Address refused",
    "unsupported_product": "Product not offered",
    "unsupported_bandwidth": "Speed not offered",
    "unsupported_term": "Term not offered",
    "invalid_request": "Request refused",
    "timeout": "Timed out",
    "not_found": "Quote lost by the API",
    QuoteStatus.EXPIRED: "Expired on the server",   # a quote the server ended: its status is the code
    RowState.CANCELLED: "Not sent: cancelled",      # a cancelled row's code is its state
    "internal_error": "Unexpected error",
}

STATUS_WORDS = {
    RowState.PENDING: "Queued", RowState.SUBMITTING: "Sending", RowState.POLLING: "Pricing",
    RowState.COMPLETE: "Priced", RowState.FAILED: "Failed", RowState.CANCELLED: "Cancelled",
    "invalid": "Invalid", "duplicate": "Duplicate",   # the import's verdicts (core/intake/rows.RowStatus)
    BatchStatus.PAUSED: "Paused", BatchStatus.RUNNING: "Running",
}

ACCESS_WORDS = {"on_net": "On-net", "off_net": "Off-net", "near_net": "Near-net",
                "fiber": "Fiber", "copper": "Copper", "wireless": "Fixed wireless"}


BATCH_WORDS = {BatchStatus.PENDING: "Waiting its turn", BatchStatus.RUNNING: "Running",
               BatchStatus.PAUSED: "Paused", BatchStatus.CANCELLED: "Cancelled",
               BatchStatus.COMPLETE: "Complete"}


def batch_word(status: str) -> str:
    """A whole batch's status (a row "Priced", a batch "Complete")."""
    return BATCH_WORDS.get(str(status), str(status).replace("_", " ").capitalize())


# A server's own code for a passing trouble ("carrier_timeout", "service_unavailable").
_PASSING = ("timeout", "timed_out", "unavailable", "temporar", "busy", "retry", "rate_limit",
            "server_error", "overloaded")


def is_retryable(code: str | None) -> bool:
    """True if quoting the row again may give another answer."""
    code = (code or "failed").lower()
    return code in RETRYABLE or any(word in code for word in _PASSING)


def reason_label(code: str | None) -> str:
    """The category a failure is counted and filtered under ("Manual pricing")."""
    if not code:
        return ""
    return _LABELS.get(code) or code.replace("_", " ").capitalize()


def status_word(status: str) -> str:
    return STATUS_WORDS.get(str(status), str(status).replace("_", " ").capitalize())


def access_word(access: str | None) -> str:
    if not access:
        return ""
    return ACCESS_WORDS.get(access, access.replace("_", "-").capitalize())


# A seller's quoteLevel (MEF Sonata), as the rep reads it beside the price.
QUOTE_LEVEL_WORDS = {"budgetary": "budgetary", "firmSubjectToFeasibilityCheck":
                     "firm subject to feasibility", "firm": "firm"}
# A price for something other than what was asked (e.g. 48 months offered for 36).
ALTERNATE_TEXT = "alternate: review"


def quote_level_word(level: str | None) -> str:
    return QUOTE_LEVEL_WORDS.get(level, level) if level else ""


def reason_text(code: str | None, message: str | None) -> str:
    """One sentence for a row that did not get a price, its category first, said once.

    >>> reason_text("manual_pricing_required", "manual pricing required: the carriers price "
    ...             "this site by hand, a person must chase it (the carriers price this site by "
    ...             "hand; a sales engineer will follow up)")
    'Manual pricing: the carriers price this site by hand; a sales engineer will follow up'
    """
    label = reason_label(code)
    text = (message or "").strip()
    if code == RowState.CANCELLED and text in ("", "cancelled", "cancelled by the user"):
        return label
    if code == "manual_pricing_required" and text.endswith(")") and "(" in text:
        text = text[text.index("(") + 1:-1].strip()  # the server's own words, not our preamble
    if code and text:
        spoken = code.replace("_", " ")
        for prefix in (f"{code}:", f"{spoken}:"):
            if text.lower().startswith(prefix):
                text = text[len(prefix):].strip()
    if not text or text.lower() in (label.lower(), (code or "").replace("_", " ")):
        return label
    if not label:
        return text[:1].upper() + text[1:]
    return f"{label}: {text}"


def expired_text(valid_until) -> str:
    """A priced row whose quote's valid-until date has passed (the window's Reason column and
    the export's say the same)."""
    return f"Price expired on {valid_until:%b %d %Y}: re-quote before putting it in a proposal"
