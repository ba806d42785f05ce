"""Named providers in the store (core/store/providers.py, schema v8), on SQLite and PostgreSQL:
added, listed, changed and removed by name; a taken name refused in one sentence; no secret ever
stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from bulkquote_gui.core.store import providers as provider_store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
SONATA = {"token_url": "https://seller.example/oauth/token", "client_id": "bq-client",
          "secret_env": "SELLER_SECRET", "quote_level": "firm", "instant": False,
          "offerings": {"DIA": "off-139", "ETHERNET": "off-106"}}


def test_a_provider_is_added_listed_changed_and_removed_by_name(session_factory):
    sf = session_factory
    lumen = provider_store.add_provider(sf, " Lumen ", "Sonata", "https://seller.example/qm/v8/",
                                   lanes=4, settings=SONATA, now=T0)
    assert (lumen.name, lumen.kind, lumen.base_url, lumen.lanes) == (
        "Lumen", "sonata", "https://seller.example/qm/v8", 4)
    assert lumen.settings == SONATA and lumen.created_at == lumen.updated_at == T0
    momentum = provider_store.add_provider(sf, "Momentum", "momentum", "https://api.example/v1", now=T0)
    assert (momentum.lanes, momentum.settings) == (1, {})
    with sf() as session:
        assert [p.name for p in provider_store.list_providers(session)] == ["Lumen", "Momentum"]
        assert provider_store.get_provider(session, "lumen") == lumen      # letter case aside
        assert provider_store.get_provider(session, "Zayo") is None

    later = T0 + timedelta(hours=1)
    changed = provider_store.update_provider(sf, "Lumen", lanes=2, settings={"quote_level": "budgetary"},
                                        now=later)
    assert (changed.lanes, changed.settings, changed.base_url) == (
        2, {"quote_level": "budgetary"}, "https://seller.example/qm/v8")
    assert (changed.created_at, changed.updated_at) == (T0, later)
    with pytest.raises(provider_store.NoSuchProvider, match="no provider is named 'Zayo'"):
        provider_store.update_provider(sf, "Zayo", lanes=3)

    assert provider_store.remove_provider(sf, "LUMEN")
    assert not provider_store.remove_provider(sf, "Lumen")
    with sf() as session:
        assert [p.name for p in provider_store.list_providers(session)] == ["Momentum"]


@pytest.mark.parametrize("again", ["Lumen", "lumen", "  LUMEN "])
def test_a_taken_name_is_refused_in_one_sentence(session_factory, again):
    sf = session_factory
    provider_store.add_provider(sf, "Lumen", "sonata", "https://seller.example/qm/v8")
    with pytest.raises(provider_store.ProviderExists) as caught:
        provider_store.add_provider(sf, again, "momentum", "https://api.example/v1")
    message = str(caught.value)
    assert message.startswith(f"a provider named {again.strip()!r} already exists") and "\n" not in message
    with sf() as session:
        (only,) = provider_store.list_providers(session)
    assert (only.name, only.kind) == ("Lumen", "sonata")


@pytest.mark.parametrize(("kw", "words"), [
    ({"name": ""}, "needs a name"),
    ({"name": "two\nlines"}, "one line"),
    ({"kind": " "}, "needs a kind"),
    ({"base_url": ""}, "needs a base URL"),
    ({"lanes": 0}, "lanes must be a whole number"),
    ({"lanes": True}, "lanes must be a whole number"),
    ({"lanes": "4"}, "lanes must be a whole number"),
    ({"settings": {"when": datetime(2026, 1, 1)}}, "plain JSON values"),
])
def test_a_provider_it_cannot_keep_is_refused_and_nothing_is_stored(session_factory, kw, words):
    sf = session_factory
    args = {"name": "Lumen", "kind": "sonata", "base_url": "https://seller.example/qm/v8", **kw}
    with pytest.raises(provider_store.InvalidProvider, match=words):
        provider_store.add_provider(sf, args.pop("name"), args.pop("kind"), args.pop("base_url"), **args)
    with sf() as session:
        assert provider_store.list_providers(session) == []


SECRET = "s3cr3t-Zq81-do-not-store"


@pytest.mark.parametrize("secret_settings", [
    {"client_secret": SECRET},
    {"auth": {"Password": SECRET}},
    {"api_key": SECRET},
    {"tokens": [{"refresh_token": SECRET}]},
])
def test_no_secret_is_ever_stored_in_any_column(session_factory, secret_settings):
    """A provider added (and changed) with a secret among its settings is refused, naming the
    setting and not the secret; what is stored, read column by column, holds no secret."""
    sf = session_factory
    with pytest.raises(provider_store.InvalidProvider) as caught:
        provider_store.add_provider(sf, "Lumen", "sonata", "https://seller.example/qm/v8",
                               settings={**SONATA, **secret_settings})
    assert "never hold a secret" in str(caught.value) and SECRET not in str(caught.value)
    provider_store.add_provider(sf, "Lumen", "sonata", "https://seller.example/qm/v8", settings=SONATA)
    with pytest.raises(provider_store.InvalidProvider, match="never hold a secret"):
        provider_store.update_provider(sf, "Lumen", settings={**SONATA, **secret_settings})

    engine = sf.kw["bind"]
    columns = [c["name"] for c in inspect(engine).get_columns("provider")]
    assert not [c for c in columns if any(w in c for w in ("secret", "password", "key", "token"))]
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(columns)} FROM provider")).all()
    assert len(rows) == 1
    cells = [str(cell) for cell in rows[0]]
    assert len(cells) == len(columns) == 8
    assert not [cell for cell in cells if SECRET in cell]
    assert "SELLER_SECRET" in " ".join(cells)    # the variable's name is kept: not a secret


def test_a_provider_with_an_unfinished_batch_is_not_removed(session_factory):
    """Only that provider can quote its batch: removing it is refused, with the batches named,
    until the batch is finished or cancelled; another provider's batch does not hold it."""
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from tests.helpers.fakes import fake_import

    sf = session_factory
    provider_store.add_provider(sf, "Lumen", "sonata", "https://seller.example/qm/v8", settings=SONATA)
    provider_store.add_provider(sf, "Zayo", "sonata", "https://zayo.example/qm/v8", settings=SONATA)
    with engine_store.in_transaction(sf) as session:
        batch = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(),
                                         source_name="a.csv", provider_name="Lumen")
        batch_store.mark_paused(session, batch)   # paused is unfinished too
    with pytest.raises(provider_store.ProviderInUse,
                       match=r"cannot remove 'Lumen': batch #1 is still being quoted through it"):
        provider_store.remove_provider(sf, "lumen")
    assert provider_store.remove_provider(sf, "Zayo") is True
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, batch)
    assert provider_store.remove_provider(sf, "Lumen") is True
