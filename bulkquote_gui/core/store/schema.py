"""Schema versions: a fresh database gets today's tables; an older one is upgraded step by step.

`schema_version` holds one row with the version number. Each later release appends a step
to UPGRADES (a function taking a Connection) that turns version N-1 into N, so a rep's
database full of batches is carried forward, never recreated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from bulkquote_gui.core.store.models import (
    DEFAULT_PROVIDER_KIND,
    AccountLease,
    Base,
    CleanupOwed,
    DealChoice,
    DealRule,
    Provider,
    StoreMeta,
    UTCDateTime,
)

__all__ = ["SCHEMA_VERSION", "UPGRADES", "SchemaError", "current_version", "ensure_schema"]

UpgradeStep = Callable[[Connection], None]

# The account tables as v3 made them. A step creates the tables of its own version, never
# today's models: a later step (v8) changes them, and would find its change already made.
_V3 = MetaData()
_V3_ACCOUNT = Table(
    "account", _V3,
    Column("id", Integer, primary_key=True),
    Column("api_url", String(500), nullable=False),
    Column("key_fingerprint", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ux_account_url_key", "api_url", "key_fingerprint", unique=True))
_V3_ACCOUNT_LEASE = Table(
    "account_lease", _V3,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    Column("instance_id", String(64), nullable=False),
    Column("holder", String(300), nullable=False),
    Column("token", Integer, nullable=False),
    Column("acquired_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("waiting", String(20), nullable=False),
    Column("waiting_message", Text, nullable=False),
    Column("blocker_id", String(100)),
    Column("waiting_since", UTCDateTime))

def _v2_cleanup_owed(conn: Connection) -> None:
    """v2: clean-up owed to the account survives a restart (table cleanup_owed)."""
    CleanupOwed.__table__.create(conn)


def _v3_accounts_and_leases(conn: Connection) -> None:
    """v3: accounts, their leases, the install id; a batch's account, owner, priority and turn."""
    for table in (StoreMeta.__table__, _V3_ACCOUNT, _V3_ACCOUNT_LEASE):
        table.create(conn)
    for column, ddl in (("account_id", "INTEGER REFERENCES account(id)"),
                        ("owner", "VARCHAR(200) NOT NULL DEFAULT ''"),
                        ("priority", "INTEGER NOT NULL DEFAULT 0"),
                        ("turn", "INTEGER NOT NULL DEFAULT 0")):
        conn.execute(text(f"ALTER TABLE batch_job ADD COLUMN {column} {ddl}"))
    conn.execute(text("CREATE INDEX ix_batch_job_account_id ON batch_job (account_id)"))
    conn.execute(text("ALTER TABLE batch_quote ADD COLUMN reference VARCHAR(200)"))


def _v4_skipped_rows(conn: Connection) -> None:
    """v4: a batch keeps the rows it did not quote (invalid, duplicate) for the whole-sheet export."""
    conn.execute(text("ALTER TABLE batch_job ADD COLUMN skipped JSON"))


def _v5_reused_quotes(conn: Connection) -> None:
    """v5: a row may be filled from an earlier row's still-valid quote (batch_quote.reused_from),
    or ask again for an earlier row whose quote went stale (batch_quote.requote_of)."""
    conn.execute(text("ALTER TABLE batch_quote ADD COLUMN reused_from INTEGER"))
    conn.execute(text("ALTER TABLE batch_quote ADD COLUMN requote_of INTEGER"))


def _v6_address_sets(conn: Connection) -> None:
    """v6: each row says which address set of its sheet it was quoted from
    (batch_quote.address_set; NULL for rows stored before, and for sheets with one set)."""
    conn.execute(text("ALTER TABLE batch_quote ADD COLUMN address_set VARCHAR(200)"))


def _v7_line_index(conn: Connection) -> None:
    """v7: the engine's next row found by one index step (batch, status, position): it was a
    sort of every open row of the batch, once per quote (1 ms at 300 rows, growing with them)."""
    conn.execute(text("DROP INDEX IF EXISTS ix_batch_quote_batch_status"))
    conn.execute(text("CREATE INDEX ix_batch_quote_line ON batch_quote (batch_id, status, position)"))


_LEASE_COLUMNS = ("account_id, instance_id, holder, token, acquired_at, heartbeat_at, expires_at, "
                  "waiting, waiting_message, blocker_id, waiting_since")


def _v8_provider_kinds_and_lanes(conn: Connection) -> None:
    """v8: an account is (provider kind, URL, key fingerprint), existing ones "momentum"; a lease
    is per (account, lane), existing ones lane 0, so a provider may allow several quotes in
    progress; the `provider` table keeps named providers (never their secrets), a batch the name
    of the one it was sent to; an option keeps a seller's quote level, whether it is an
    alternate to what was asked, and a note; a row keeps the lane that took it."""
    conn.execute(text(f"ALTER TABLE account ADD COLUMN provider VARCHAR(50) NOT NULL "
                      f"DEFAULT '{DEFAULT_PROVIDER_KIND}'"))
    conn.execute(text("DROP INDEX ux_account_url_key"))
    conn.execute(text("CREATE UNIQUE INDEX ux_account_identity "
                      "ON account (provider, api_url, key_fingerprint)"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE account_lease ADD COLUMN lane INTEGER NOT NULL DEFAULT 0"))
        pkey = conn.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'p' "
                                 "AND conrelid = 'account_lease'::regclass")).scalar_one()
        conn.execute(text(f'ALTER TABLE account_lease DROP CONSTRAINT "{pkey}"'))
        conn.execute(text("ALTER TABLE account_lease ADD PRIMARY KEY (account_id, lane)"))
    else:   # SQLite cannot change a primary key: the table is made again, its rows copied
        conn.execute(text("ALTER TABLE account_lease RENAME TO account_lease_v7"))
        AccountLease.__table__.create(conn)
        conn.execute(text(f"INSERT INTO account_lease (lane, {_LEASE_COLUMNS}) "
                          f"SELECT 0, {_LEASE_COLUMNS} FROM account_lease_v7"))
        conn.execute(text("DROP TABLE account_lease_v7"))
    Provider.__table__.create(conn)
    conn.execute(text("ALTER TABLE batch_job ADD COLUMN provider_name VARCHAR(200)"))
    conn.execute(text("ALTER TABLE quote_option ADD COLUMN quote_level VARCHAR(40)"))
    conn.execute(text("ALTER TABLE quote_option ADD COLUMN alternate BOOLEAN NOT NULL DEFAULT false"))
    conn.execute(text("ALTER TABLE quote_option ADD COLUMN note VARCHAR(500)"))
    conn.execute(text("ALTER TABLE batch_quote ADD COLUMN lane INTEGER"))


def _v9_deals(conn: Connection) -> None:
    """v9 (issue 18): a batch may be one of a deal's batches (batch_job.deal_id, the deal's first
    batch; NULL for a batch that is a deal by itself, as every one before) and ask several terms
    (batch_job.terms, a JSON list; NULL asks its term_months alone)."""
    conn.execute(text("ALTER TABLE batch_job ADD COLUMN deal_id INTEGER"))
    conn.execute(text("ALTER TABLE batch_job ADD COLUMN terms JSON"))
    conn.execute(text("CREATE INDEX ix_batch_job_deal_id ON batch_job (deal_id)"))


def _v10_deal_choices(conn: Connection) -> None:
    """v10 (issue 18): a deal's rule (deal_rule) and the rep's own choices of a site's offer
    (deal_choice). Tables of their own, new with this step (no later step has changed them)."""
    DealRule.__table__.create(conn)
    DealChoice.__table__.create(conn)


# UPGRADES[i] upgrades version i+1 to i+2. Version 1 is the first released schema.
UPGRADES: tuple[UpgradeStep, ...] = (_v2_cleanup_owed, _v3_accounts_and_leases, _v4_skipped_rows,
                                     _v5_reused_quotes, _v6_address_sets, _v7_line_index,
                                     _v8_provider_kinds_and_lanes, _v9_deals,
                                     _v10_deal_choices)
SCHEMA_VERSION = 1 + len(UPGRADES)


# pg_advisory_xact_lock key of schema creation/upgrade (any fixed number; "BQschema").
SCHEMA_LOCK_KEY = 0x4251_7363_6865_6D61


class SchemaError(RuntimeError):
    """The database cannot be used by this version of BulkQuote."""


def current_version(conn: Connection) -> int | None:
    """The stored schema version, or None for a database that has none of our tables."""
    has_table = conn.dialect.has_table(conn, "schema_version")
    if not has_table:
        if conn.dialect.has_table(conn, "batch_job"):
            raise SchemaError("the database has BulkQuote tables but no schema version")
        return None
    row = conn.execute(text("SELECT version FROM schema_version")).first()
    return None if row is None else int(row[0])


def ensure_schema(engine: Engine, upgrades: Sequence[UpgradeStep] = UPGRADES, *,
                  backup: bool = True) -> int:
    """Create or upgrade the schema in one transaction; returns the version now in place.

    Before upgrading a SQLite file, a copy of it as it is is kept next to it
    (`name.sqlite.bak-v{old}-{timestamp}`, SQLite's backup API); no copy, no upgrade.
    PostgreSQL upgrades in one transaction too; its copies are the team's own backups.
    """
    latest = 1 + len(upgrades)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Take the write lock first, so two processes starting at once cannot both create.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            # The same on PostgreSQL, where two first starts would both CREATE TABLE (and one
            # fail): a lock held until this transaction ends; the second then finds the schema.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
        version = current_version(conn)
        if version is None:
            Base.metadata.create_all(conn)
            conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
            conn.execute(text("DELETE FROM schema_version"))
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": latest})
            return latest
        if version > latest:
            raise SchemaError(
                f"the database was written by a newer BulkQuote (schema {version}, this one "
                f"knows up to {latest}); update the app or use another --db")
        if version < latest and backup:
            _keep_a_copy(engine, version)
        for step_version in range(version, latest):
            upgrades[step_version - 1](conn)
            conn.execute(text("UPDATE schema_version SET version = :v"), {"v": step_version + 1})
        return latest


def _keep_a_copy(engine: Engine, version: int) -> Path | None:
    """The SQLite file as it is now, copied before the upgrade from `version` (the caller holds
    the write lock, so the copy is exactly what the upgrade starts from)."""
    from bulkquote_gui.core.store.safety import backup_sqlite, sqlite_file

    path = sqlite_file(engine)
    if path is None or not path.is_file():
        return None
    try:
        return backup_sqlite(path, version)
    except Exception as exc:
        raise SchemaError(f"the database needs an upgrade (schema {version}), but no copy of it "
                          f"could be kept first ({exc}); nothing was changed") from exc
