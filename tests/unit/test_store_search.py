"""Search across past batches (store.find_rows, `bulkquote find`) on SQLite and PostgreSQL."""

from __future__ import annotations

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import search as search_store
from tests.helpers.fakes import FakeImport, checked_row


def test_rows_are_found_by_street_company_site_id_and_zip_in_any_case(session_factory):
    sf = session_factory
    with engine_store.in_transaction(sf) as session:
        first = batch_store.create_batch(session, FakeImport([checked_row(2, company="Acme Dental",
                                                               street="111 East Wacker Drive"),
                                                   checked_row(3, company="Blue 50%_Off")]),
                                   defaults=BatchDefaults(), source_name="a.csv")
    with engine_store.in_transaction(sf) as session:
        second = batch_store.create_batch(session, FakeImport([checked_row(2, company="acme dental",
                                                                street="9 Elm St")]),
                                    defaults=BatchDefaults(), source_name="b.csv")
    with sf() as session:
        by_company = search_store.find_rows(session, "ACME")
        assert [(f.batch_id, f.row_number) for f in by_company] == [(second, 2), (first, 2)]  # newest first
        assert [f.address for f in search_store.find_rows(session, "wacker")] == [
            "111 East Wacker Drive, Austin, TX 78701"]
        assert [(f.batch_id, f.site_id) for f in search_store.find_rows(session, "s3")] == [(first, "S3")]
        # LIKE's wildcards are literal text here: "%_" matches only a company that has them.
        assert [f.company for f in search_store.find_rows(session, "50%_")] == ["Blue 50%_Off"]
        assert len(search_store.find_rows(session, "78701")) == 3
        assert search_store.find_rows(session, "   ") == []
        assert search_store.find_rows(session, "nowhere") == []
