"""What the engine tells its listener (the CLI's progress line, the GUI's worker).

Plain frozen data only — ids, strings, numbers — so an event can cross threads safely and
never drags an ORM object or a session along.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuoteEvent:
    """One batch row changed status (pending/submitting/polling/complete/failed/cancelled)."""

    batch_id: int
    quote_id: int            # BatchQuote.id
    row_number: int          # as the rep sees it in the spreadsheet
    status: str
    carrier: str | None = None
    mrc: str | None = None   # decimal string, e.g. "899.00"
    nrc: str | None = None
    currency: str | None = None
    install_days: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # total, pending, active, complete, failed, cancelled
    quote_level: str | None = None   # the priced answer's (a Sonata seller's quoteLevel)
    alternate: bool = False          # priced, but not as asked: "alternate: review"


@dataclass(frozen=True)
class BatchEvent:
    """The batch as a whole changed status (running/paused/cancelled/complete), with why."""

    batch_id: int
    status: str
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitEvent:
    """The account's line stopped, or went on, for a reason that is nobody's row.

    reason: "account" (another client's quote `blocker_id` is in flight on the account: we wait
    for it, never cancel it unless the rep asks), "api" (the API cannot be reached: probing it),
    "lease" (another BulkQuote holds the account's lease: `message` says who), "store" (the
    database cannot be reached, or refuses writes: probing it), or "" (the wait is over). `batch_ids`: the unfinished batches of the account that the wait holds up.
    """

    account_id: int
    reason: str
    message: str = ""
    blocker_id: str | None = None
    batch_ids: tuple[int, ...] = ()


Event = QuoteEvent | BatchEvent | WaitEvent
