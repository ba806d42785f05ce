"""The processor's whole unit suite (tests/unit/test_processor.py) again, on PostgreSQL.

The tests are imported as they are; only their store, the `sf` fixture, is replaced by the
shared `session_factory` on the session's throwaway PostgreSQL server (tests/helpers/), so
every test added to the processor's suite runs on both backends without a second copy.
"""

from __future__ import annotations

import pytest

from tests.helpers.fakes import FakeClock
from tests.unit.test_processor import *  # noqa: F401,F403  (tests, Harness and fixtures)

pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def clock():  # tests/unit/conftest.py's, which a module elsewhere does not see
    return FakeClock()


@pytest.fixture
def sf(session_factory):  # noqa: F811  (replaces test_processor's SQLite file)
    return session_factory
