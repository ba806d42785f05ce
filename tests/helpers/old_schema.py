"""Databases as an earlier release of BulkQuote left them, for the upgrade tests."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).parent


def make_v1_database(url: str, *, batches: int = 1, rows: int = 3) -> None:
    """A database exactly as schema version 1 created it, holding `batches` pending batches."""
    engine = create_engine(url)
    ddl = (HERE / f"schema_v1_{engine.dialect.name}.sql").read_text()
    now = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc).replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            for statement in ddl.split(";"):
                body = "\n".join(l for l in statement.splitlines() if not l.startswith("--")).strip()
                if body:
                    conn.execute(text(body))
            for b in range(1, batches + 1):
                conn.execute(text(
                    "INSERT INTO batch_job (id, source_name, columns, mapping, bandwidth_mbps, "
                    "term_months, product, company, status, status_message, total, created_at) "
                    "VALUES (:id, 'old.csv', '[]', '{}', 1000, 36, 'DIA', '', 'pending', '', :n, :t)"),
                    {"id": b, "n": rows, "t": now})
                for r in range(rows):
                    rid = b * 1000 + r
                    conn.execute(text("INSERT INTO lead (id, company, contact_name, email, phone) "
                                      "VALUES (:id, 'Acme', '', '', '')"), {"id": rid})
                    conn.execute(text(
                        "INSERT INTO quote (id, lead_id, street, unit, city, state, postal_code, "
                        "product, bandwidth_mbps, term_months, status) VALUES (:id, :id, "
                        "'1 Main St', '', 'Austin', 'TX', '78701', 'DIA', 1000, 36, 'requested')"),
                        {"id": rid})
                    conn.execute(text(
                        "INSERT INTO batch_quote (id, batch_id, quote_id, position, row_number, "
                        "site_id, original, status, idempotency_key, attempts) VALUES (:id, :b, "
                        ":id, :p, :p + 2, '', '{}', 'pending', :k, 0)"),
                        {"id": rid, "b": b, "p": r, "k": f"key-{rid}"})
            if engine.dialect.name == "postgresql":
                # The rows above were given their ids; the release let SERIAL pick them, so
                # move each sequence past them as that release's own inserts would have.
                for table in ("batch_job", "lead", "quote", "batch_quote", "quote_option"):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
    finally:
        engine.dispose()


def make_v5_database(url: str, *, batches: int = 1, rows: int = 3) -> None:
    """A database as schema version 5 left it (the release before address sets were stored):
    version 1's batches carried through the real v2..v5 steps, the last row of batch 1 filled
    from its first (reused_from, a v5 column) and batch 1 given a skipped row (v4)."""
    from bulkquote_gui.core.store.schema import UPGRADES, ensure_schema

    make_v1_database(url, batches=batches, rows=rows)
    engine = create_engine(url)
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:4], backup=False) == 5
        with engine.begin() as conn:
            conn.execute(text("UPDATE batch_quote SET reused_from = :first WHERE id = :last"),
                         {"first": 1000, "last": 1000 + rows - 1})
            conn.execute(text("UPDATE batch_job SET skipped = :s WHERE id = 1"),
                         {"s": '[{"row": 99, "status": "invalid", "reason": "ZIP is missing", '
                               '"categories": ["ZIP missing"], "original": {}}]'})
    finally:
        engine.dispose()


V7_SALT = "v7-salt"
V7_URL = "https://api.example/v1"


def v7_fingerprint(api_key: str) -> str:
    """The key's fingerprint as the v7 release made it with this database's salt (V7_SALT)."""
    import hashlib

    return hashlib.sha256(f"{V7_SALT}:{api_key.strip()}".encode()).hexdigest()[:32]


def make_v7_database(url: str, *, batches: int = 2, rows: int = 3) -> None:
    """A database as schema version 7 left it (the release before provider kinds and lanes):
    version 1's batches carried through the real v2..v7 steps; two accounts on V7_URL (keys
    "key-a" and "key-b", fingerprints salted with V7_SALT), batch 1 filed under the first; the
    first's lease held (token 5, expiring 09:00:30), the second's free (token 2); one DELETE
    owed."""
    from bulkquote_gui.core.store.schema import UPGRADES, ensure_schema

    make_v1_database(url, batches=batches, rows=rows)
    engine = create_engine(url)
    held_at = datetime(2026, 12, 1, 9, 0)   # naive UTC, as the store writes it
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:6], backup=False) == 7
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO store_meta (key, value) VALUES "
                              "('fingerprint_salt', :s), ('install_id', 'bq-v7v7v7')"),
                         {"s": V7_SALT})
            for account_id, key, token, holder in ((1, "key-a", 5, "laptop pid 7 (window)"),
                                                   (2, "key-b", 2, "")):
                conn.execute(text("INSERT INTO account (id, api_url, key_fingerprint, created_at) "
                                  "VALUES (:id, :u, :f, :t)"),
                             {"id": account_id, "u": V7_URL, "f": v7_fingerprint(key),
                              "t": held_at})
                conn.execute(text(
                    "INSERT INTO account_lease (account_id, instance_id, holder, token, "
                    "acquired_at, heartbeat_at, expires_at, waiting, waiting_message) VALUES "
                    "(:id, :inst, :holder, :token, :at, :at, :exp, :w, :wm)"),
                    {"id": account_id, "inst": "inst-7" if holder else "", "holder": holder,
                     "token": token, "at": held_at if holder else None,
                     "exp": held_at.replace(second=30) if holder else None,
                     "w": "api" if holder else "", "wm": "waiting for the API" if holder else ""})
            conn.execute(text("UPDATE batch_job SET account_id = 1, owner = 'Alice' WHERE id = 1"))
            conn.execute(text("INSERT INTO cleanup_owed (remote_id, row_id, created_at) "
                              "VALUES ('q_old', 1000, :t)"), {"t": held_at})
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT setval(pg_get_serial_sequence('account', 'id'), 3, false)"))
    finally:
        engine.dispose()


def make_v8_database(url: str, *, batches: int = 2, rows: int = 3) -> None:
    """A database as schema version 8 left it (the release before deals): make_v7_database's
    batches, accounts and leases carried through the real v8 step; one named provider "Lumen"
    and batch 2 sent to it."""
    from bulkquote_gui.core.store.schema import UPGRADES, ensure_schema

    make_v7_database(url, batches=batches, rows=rows)
    engine = create_engine(url)
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:7], backup=False) == 8
        with engine.begin() as conn:
            conn.execute(text("UPDATE batch_job SET provider_name = 'Lumen' WHERE id = 2"))
    finally:
        engine.dispose()


def make_v9_database(url: str, *, batches: int = 2, rows: int = 3) -> None:
    """A database as schema version 9 left it (deals, before their choices): make_v8_database's
    batches carried through the real v9 step."""
    from bulkquote_gui.core.store.schema import UPGRADES, ensure_schema

    make_v8_database(url, batches=batches, rows=rows)
    engine = create_engine(url)
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:8], backup=False) == 9
    finally:
        engine.dispose()
