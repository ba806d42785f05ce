"""The store's tables (SQLAlchemy 2.0 typed ORM): BatchJob, BatchQuote, Lead, Quote, QuoteOption.

Money is Decimal end to end; times are timezone-aware UTC. Row and batch statuses are stored
as their plain text (readable with any SQLite browser) and read back as that text.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bulkquote_gui.core.states import (  # noqa: F401 (the groups: re-exported for the store)
    BATCH_OPEN,
    BATCH_UNFINISHED,
    ROW_ACTIVE,
    ROW_OPEN,
    ROW_TERMINAL,
    BatchStatus,
    RowState,
)

__all__ = ["BATCH_CANCELLED", "BATCH_COMPLETE", "BATCH_OPEN", "BATCH_PAUSED", "BATCH_PENDING",
           "BATCH_RUNNING", "BATCH_UNFINISHED", "DEFAULT_PROVIDER_KIND", "CENT", "ROW_ACTIVE", "ROW_CANCELLED", "ROW_COMPLETE", "ROW_FAILED",
           "ROW_OPEN", "ROW_PENDING", "ROW_POLLING", "ROW_SUBMITTING", "ROW_TERMINAL", "Account",
           "AccountLease", "Base", "BatchJob", "BatchQuote", "CleanupOwed", "DealChoice", "DealRule",
           "Lead", "Money",
           "Provider", "Quote", "QuoteOption", "StoreMeta", "UTCDateTime", "legacy_reference",
           "one_line_address", "one_of", "row_reference", "to_money", "utcnow"]

# The statuses as the store writes them: the enums of core/states.py (StrEnum: equal to their text).
BATCH_PENDING = BatchStatus.PENDING
BATCH_RUNNING = BatchStatus.RUNNING
BATCH_PAUSED = BatchStatus.PAUSED
BATCH_CANCELLED = BatchStatus.CANCELLED
BATCH_COMPLETE = BatchStatus.COMPLETE

ROW_PENDING = RowState.PENDING
ROW_SUBMITTING = RowState.SUBMITTING
ROW_POLLING = RowState.POLLING
ROW_COMPLETE = RowState.COMPLETE
ROW_FAILED = RowState.FAILED
ROW_CANCELLED = RowState.CANCELLED


# The provider kind of accounts stored before kinds existed (schema v8), and the default.
DEFAULT_PROVIDER_KIND = "momentum"


def one_of(column: Any, states: tuple[str, ...]) -> Any:
    """`column IN ('a', 'b')` with our own status words written into the statement, for the
    statements built once that the engine runs per quote: a bound IN list is expanded again
    on every execution (a tenth of a millisecond each)."""
    words = [str(state) for state in states]
    if not all(word.isidentifier() for word in words):
        raise ValueError(f"not status words: {words!r}")
    return column.in_([literal_column(f"'{word}'") for word in words])


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones), always hands back an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


CENT = Decimal("0.01")


def to_money(value: Any) -> Decimal:
    """A Decimal with exactly two decimals; more are rounded half-even ("0.125" -> "0.12")."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


class Money(TypeDecorator[Decimal]):
    """Two-decimal money: NUMERIC(14, 2) where the database has exact decimals; text on SQLite.

    SQLite's NUMERIC affinity would turn "899.10" into a binary float, so there the value is
    kept as text and parsed back into a Decimal, digit for digit. Either way a value is rounded
    half-even to cents on the way in, and read back as a Decimal of exactly two decimals
    (`Decimal("360.48")`, `Decimal("0.00")`), whatever an older column or file holds.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = to_money(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else to_money(Decimal(str(value)))


class Base(DeclarativeBase):
    pass


class BatchJob(Base):
    __tablename__ = "batch_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(500))
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)       # original header order
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # field -> column
    bandwidth_mbps: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(20))
    company: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default=BATCH_PENDING, index=True)
    status_message: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # schema v3: whose quotes (account), who submitted it (owner), its place in the account's line
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)     # rush > 0 goes first
    turn: Mapped[int] = mapped_column(Integer, default=0)         # last turn taken (round-robin)
    # schema v4: the sheet's rows that were not quoted (invalid, duplicate), each with its row
    # number, verdict, reason and original cells, so an export gives the whole sheet back.
    # Deferred: the recent-jobs list reads batches often and never needs them.
    skipped: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, deferred=True)
    # schema v8: the named provider it was sent to (None: the unnamed Momentum of --api-url, or
    # stored before v8), so resume, the worker and the window quote it with the same one
    provider_name: Mapped[str | None] = mapped_column(String(200))
    # schema v9 (issue 18): a deal is one submit's batches (one per provider, or per Momentum
    # term). deal_id: None, a deal by itself; else the id of the deal's first batch (its own too).
    # terms: the terms asked (a Sonata quote asks them all at once); None: [term_months].
    deal_id: Mapped[int | None] = mapped_column(Integer, index=True)
    terms: Mapped[list[int] | None] = mapped_column(JSON)

    rows: Mapped[list[BatchQuote]] = relationship(
        back_populates="batch", order_by="BatchQuote.position", cascade="all, delete-orphan")


class Lead(Base):
    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(100), default="")


class Quote(Base):
    """The address and service asked for, and the recommended answer."""

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"))
    street: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    product: Mapped[str] = mapped_column(String(20))
    bandwidth_mbps: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="requested")  # the remote quote's status
    carrier: Mapped[str | None] = mapped_column(String(200))
    mrc: Mapped[Decimal | None] = mapped_column(Money)
    nrc: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    install_days: Mapped[int | None] = mapped_column(Integer)
    access: Mapped[str | None] = mapped_column(String(20))
    is_estimate: Mapped[bool | None] = mapped_column(Boolean)
    valid_until: Mapped[date | None] = mapped_column(Date)

    lead: Mapped[Lead] = relationship()
    options: Mapped[list[QuoteOption]] = relationship(
        back_populates="quote", order_by="QuoteOption.position", cascade="all, delete-orphan")

    def one_line_address(self) -> str:
        return one_line_address(self.street, self.unit, self.city, self.state, self.postal_code)


def one_line_address(street: str, unit: str | None, city: str, state: str, postal_code: str) -> str:
    """"600 Congress Ave Ste 200, Austin, TX 78701": how the views and exports show a site."""
    street = f"{street} {unit}".strip() if unit else street
    return f"{street}, {city}, {state} {postal_code}"


class QuoteOption(Base):
    __tablename__ = "quote_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    recommended: Mapped[bool] = mapped_column(Boolean, default=False)
    carrier: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(20))
    bandwidth_mbps: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    mrc: Mapped[Decimal] = mapped_column(Money)
    nrc: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    install_days: Mapped[int | None] = mapped_column(Integer)
    access: Mapped[str | None] = mapped_column(String(20))
    is_estimate: Mapped[bool | None] = mapped_column(Boolean)
    # schema v8: what a Sonata seller says beside the price (provider.QuoteOption's last fields)
    quote_level: Mapped[str | None] = mapped_column(String(40))
    alternate: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(500))

    quote: Mapped[Quote] = relationship(back_populates="options")


class BatchQuote(Base):
    """One spreadsheet row of a batch and where it is in the processor's state machine."""

    __tablename__ = "batch_quote"
    # schema v7: (batch_id, status, position), so the next pending row of a batch is one index
    # step, not a sort of all its open rows (it was ix_batch_quote_batch_status, without position)
    __table_args__ = (Index("ix_batch_quote_line", "batch_id", "status", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch_job.id", ondelete="CASCADE"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id"))
    position: Mapped[int] = mapped_column(Integer)      # processing order within the batch
    row_number: Mapped[int] = mapped_column(Integer)    # as the rep sees it in the spreadsheet
    site_id: Mapped[str] = mapped_column(String(200), default="")
    original: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=ROW_PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(100), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # schema v3: the request's `reference`, fixed when the row is stored (install id first, so
    # two installs never send the same one); rows of older versions keep "batch-N/row-M".
    reference_text: Mapped[str | None] = mapped_column("reference", String(200))
    # schema v5: filled from this earlier row's still-valid quote instead of asking the API
    reused_from: Mapped[int | None] = mapped_column(Integer)
    # schema v5: this row asks again for an earlier row whose quote went stale (re-quote)
    requote_of: Mapped[int | None] = mapped_column(Integer)
    # schema v6: the address set (core/intake/address_sets.py) the row's location was taken from, as
    # the import named it ("PH", "Mailing"); None for a sheet with one address set, and for
    # rows stored before v6.
    address_set: Mapped[str | None] = mapped_column(String(200))
    # schema v8: the lane (of the account's lease) that took the row, written with `submitting`:
    # its next holder resumes it, never another lane (None: before v8, lane 0's).
    lane: Mapped[int | None] = mapped_column(Integer)

    batch: Mapped[BatchJob] = relationship(back_populates="rows")
    quote: Mapped[Quote] = relationship()

    @property
    def reference(self) -> str:
        """The request's `reference`, how a quote on the server is traced back to this row."""
        return self.reference_text or legacy_reference(self.batch_id, self.row_number)


def legacy_reference(batch_id: int, row_number: int) -> str:
    """The reference schema v1/v2 sent: kept for their rows, so a replay's body is unchanged."""
    return f"batch-{batch_id}/row-{row_number}"


def row_reference(install_id: str, batch_id: int, row_number: int) -> str:
    return f"{install_id}/batch-{batch_id}/row-{row_number}"


class CleanupOwed(Base):
    """A quote we still owe the account a DELETE for, or a POST whose answer was lost.

    Kept in the store (schema v2) so a restart does not forget it: a quote left in flight would
    block the account (one quote in flight) until the server expires it.
    """

    __tablename__ = "cleanup_owed"

    id: Mapped[int] = mapped_column(primary_key=True)
    remote_id: Mapped[str | None] = mapped_column(String(100))       # set: DELETE this quote
    row_id: Mapped[int | None] = mapped_column(ForeignKey("batch_quote.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # no remote id: replay this key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoreMeta(Base):
    """Facts about this database (schema v3): its install id and the salt of key fingerprints."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Account(Base):
    """One account of a quote provider: its kind ("momentum"), base URL and a salted
    fingerprint of the key (never the key). Two kinds on one URL and key are two accounts.

    A provider's in-flight rule is per account, so the account is what the lease guards.
    """

    __tablename__ = "account"
    __table_args__ = (Index("ux_account_identity", "provider", "api_url", "key_fingerprint",
                            unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), default=DEFAULT_PROVIDER_KIND,
                                          server_default=DEFAULT_PROVIDER_KIND)   # kind (v8)
    api_url: Mapped[str] = mapped_column(String(500))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountLease(Base):
    """Which process quotes for an account, with a fencing token that grows with each new holder.

    One row per lane of an account (v8; lane 0 made with the account, and the only one used
    until a provider allows several quotes in progress). `instance_id == ""` means nobody
    holds it. The waiting fields say why the holder is not sending (another client's quote,
    the API unreachable), for every process that reads the store (the window, `status --json`).
    """

    __tablename__ = "account_lease"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            primary_key=True)
    lane: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    instance_id: Mapped[str] = mapped_column(String(64), default="")
    holder: Mapped[str] = mapped_column(String(300), default="")   # "host pid 1234 (window)"
    token: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting: Mapped[str] = mapped_column(String(20), default="")    # "" | "account" | "api"
    waiting_message: Mapped[str] = mapped_column(Text, default="")
    blocker_id: Mapped[str | None] = mapped_column(String(100))
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Provider(Base):
    """A quote provider as the rep named it (schema v8): kind, base URL, lanes (quotes it allows
    in progress at once) and kind-specific settings as JSON text. Never a secret: those live in
    the keyring or the environment."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    base_url: Mapped[str] = mapped_column(String(500))
    lanes: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    settings: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DealRule(Base):
    """The rule that chooses each site's offer of a deal (schema v10, issue 18): a
    core/deal/rules.py Rule as JSON, who set it and when. No row: the default rule."""

    __tablename__ = "deal_rule"

    deal_id: Mapped[int] = mapped_column(ForeignKey("batch_job.id", ondelete="CASCADE"),
                                         primary_key=True)
    rule: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DealChoice(Base):
    """The rep's own choice of a site's offer (schema v10): kept through a change of rule until
    the rep clears it. An option replaced (a row quoted again) takes its choice with it."""

    __tablename__ = "deal_choice"

    deal_id: Mapped[int] = mapped_column(ForeignKey("batch_job.id", ondelete="CASCADE"),
                                         primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("quote_option.id", ondelete="CASCADE"),
                                           index=True)
    chosen_by: Mapped[str] = mapped_column(String(200))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
