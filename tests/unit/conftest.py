"""The engine tests' common ground: a store on a temp SQLite file and a fake clock."""

from __future__ import annotations

import pytest

from bulkquote_gui.core import store
from tests.fakes import FakeClock


@pytest.fixture
def sf(tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'engine.sqlite'}")
    yield store.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def clock():
    return FakeClock()
