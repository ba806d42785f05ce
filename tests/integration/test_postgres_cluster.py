"""The tests' throwaway PostgreSQL server (tests/helpers/postgres.py) leaves nothing behind."""

from __future__ import annotations

import socket

import pytest

from tests.helpers.postgres import PostgresCluster, PostgresUnavailable


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_cluster_listens_on_loopback_and_is_gone_after_stop(postgres_cluster):
    # postgres_cluster first: on a machine without PostgreSQL this skips (fails under CI=true)
    cluster = PostgresCluster.start()
    try:
        assert cluster.port != postgres_cluster.port and _listening(cluster.port)
        assert cluster.url == f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/bulkquote_test"
        url = cluster.create_database()
        cluster.drop_database(url)
    finally:
        cluster.stop()
    assert not cluster.root.exists()
    assert not _listening(cluster.port)
    cluster.stop()  # a second stop (atexit's) is harmless


def test_missing_binaries_are_a_reason_not_a_crash(tmp_path):
    with pytest.raises(PostgresUnavailable, match="initdb"):
        PostgresCluster.start(bindir=tmp_path)
