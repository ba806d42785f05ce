"""The store: everything BulkQuote keeps, by aggregate, on SQLite or PostgreSQL.

    engine     engines and sessions (SQLite WAL + busy timeout; any SQLAlchemy URL)
    models     the tables (SQLAlchemy 2.0 typed ORM);  schema: versions and upgrades
    batches    storing a batch, the rep's commands on it, its start and finish
    views      what the window, CLI and exports read (frozen dataclasses, never ORM objects)
    work       the engine's reading of rows (the exact POST body), which row is next, what is owed
    rows       one row's state transitions, each a conditional UPDATE before its side effect
    cleanup    calls owed to the account (DELETEs, replays of lost POSTs), kept across restarts
    accounts   the install id, accounts (kind + URL + key fingerprint), leases per lane (fencing tokens)
    providers  named quote providers, never their secrets (imported as a module, not re-exported)
    search     rows of past batches by address, company or site id
    options    every carrier option the API returned for a batch's rows
    reuse      filling a new batch's rows from still-valid earlier quotes (never paying twice)
    safety     a full, read-only, locked or unreachable store told apart from bugs; backups

Threads: one short-lived Session per unit of work, never shared.

Callers import by aggregate, always under the module's singular name + `_store` (so it never
clashes with a local `rows`, `batches` or `search`):

    from bulkquote_gui.core.store import batches as batch_store
    batch_store.create_batch(...)

Each module's `__all__` is its public API; this package re-exports nothing.
"""
