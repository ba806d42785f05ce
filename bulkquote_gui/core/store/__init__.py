"""The store: everything BulkQuote keeps, by aggregate, on SQLite or PostgreSQL.

    engine     engines and sessions (SQLite WAL + busy timeout; any SQLAlchemy URL)
    models     the tables (SQLAlchemy 2.0 typed ORM);  schema: versions and upgrades
    batches    storing a batch, the rep's commands on it, its start and finish
    views      what the window, CLI and exports read (frozen dataclasses, never ORM objects)
    work       the engine's reading of rows (the exact POST body) and which row is next
    rows       one row's state transitions, each a conditional UPDATE before its side effect
    cleanup    calls owed to the account (DELETEs, replays of lost POSTs), kept across restarts
    accounts   the install id, accounts (URL + key fingerprint) and their leases (fencing tokens)
    search     rows of past batches by address, company or site id
    options    every carrier option the API returned for a batch's rows
    reuse      filling a new batch's rows from still-valid earlier quotes (never paying twice)

Threads: one short-lived Session per unit of work, never shared. Callers import this package
(`from bulkquote_gui.core import store`) and use the names below.
"""

from bulkquote_gui.core.store.accounts import *  # noqa: F401,F403
from bulkquote_gui.core.store.batches import *  # noqa: F401,F403
from bulkquote_gui.core.store.cleanup import *  # noqa: F401,F403
from bulkquote_gui.core.store.engine import *  # noqa: F401,F403
from bulkquote_gui.core.store.models import utcnow  # noqa: F401
from bulkquote_gui.core.store.options import *  # noqa: F401,F403
from bulkquote_gui.core.store.reuse import *  # noqa: F401,F403
from bulkquote_gui.core.store.safety import *  # noqa: F401,F403
from bulkquote_gui.core.store.rows import *  # noqa: F401,F403
from bulkquote_gui.core.store.search import *  # noqa: F401,F403
from bulkquote_gui.core.store.views import *  # noqa: F401,F403
from bulkquote_gui.core.store.work import *  # noqa: F401,F403
