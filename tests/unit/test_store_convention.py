"""One calling convention for the store's writers: they take the caller's `Session` and never
commit; the caller opens the transaction at the call site (`engine_store.in_transaction(sf)`),
where the order of the commit and the side effect it comes before can be seen."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

import bulkquote_gui.core.store as store_package
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store.models import BatchQuote, utcnow
from tests.helpers.fakes import fake_import
from tests.helpers.store_setup import next_open_row

STORE = Path(store_package.__file__).parent
# The modules whose every function takes a Session (more join as they are converted).
ONE_CONVENTION = ("rows", "cleanup", "batches", "reuse", "deals", "choices")
# accounts stays as it is: each lease function commits at once, since the lease's token is the
# fence a later write is checked against, and the install id and salt are first-writer-wins.
# Functions that read only their arguments (an import, a row) and touch no store.
NO_STORE = {"batches.quote_fields", "batches.skipped_rows", "reuse.site_key", "reuse.site_key_of",
            "deals.batch_terms", "reuse.address_key_of"}


def _first_parameters(module: str) -> dict[str, str]:
    """Each public function of the module with parameters: the annotation of the first."""
    tree = ast.parse((STORE / f"{module}.py").read_text(encoding="utf-8"))
    return {node.name: ast.unparse(node.args.args[0].annotation) if node.args.args
            and node.args.args[0].annotation else "" for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.args.args}


def test_each_writer_takes_the_callers_session():
    others = {f"{module}.{name}": first for module in ONE_CONVENTION
              for name, first in _first_parameters(module).items() if first != "Session"}
    assert others.keys() == NO_STORE


def test_no_writer_opens_or_commits_a_transaction():
    opening = {module: [word for word in ("sessionmaker", ".begin(", ".commit(")
                        if word in (STORE / f"{module}.py").read_text(encoding="utf-8")]
               for module in ONE_CONVENTION}
    assert opening == {module: [] for module in ONE_CONVENTION}


def test_a_writer_leaves_the_commit_to_the_caller(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(),
                                            source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    status = select(BatchQuote.status).where(BatchQuote.id == row.id)

    with sf() as session:
        assert row_store.mark_submitting(session, row, utcnow())
        session.rollback()                    # the caller's transaction: nothing was committed
    with sf() as session:
        assert session.scalar(status) == "pending"

    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_submitting(session, row, utcnow())
    with sf() as session:                     # committed on leaving the block
        assert session.scalar(status) == "submitting"
