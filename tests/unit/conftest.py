"""The engine tests' common ground: a fake clock (the store on a temp SQLite file, `sf`, is
tests/conftest.py's)."""

from __future__ import annotations

import pytest

from tests.helpers.fakes import FakeClock


@pytest.fixture
def clock():
    return FakeClock()
