"""Batches run as `bulkquote worker` runs them (one runner thread per account, real HTTP on
loopback), in this process: for the parallel-accounts test and its benchmark
(benchmarks/bench_parallel_accounts.py), which times what the test only checks."""

from __future__ import annotations

import time
from pathlib import Path

from bulkquote_gui.services.simulator import SimulatorServer


def sites_file(folder: Path, n: int, name: str, first: int = 100) -> Path:
    """n distinct, valid sites (street numbers from `first`), in a file named after `name`."""
    rows = [f"{name} Co,{first + i} Congress Ave,Austin,TX,78701" for i in range(n)]
    path = folder / f"{name}_{n}.csv"
    path.write_text("\n".join(["Company,Street,City,State,ZIP", *rows]) + "\n", encoding="utf-8")
    return path


def quote_with_pool(db_url: str, sim: SimulatorServer, batches_per_key: dict[str, int],
                    folder: Path) -> float:
    """Store one batch per key, then run them all; returns the seconds from the first quote
    asked to the last answered. Every row must end complete."""
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.pool import AccountPool
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.core.store import accounts as account_store
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store

    engine = engine_store.make_engine(db_url)
    sf = engine_store.make_session_factory(engine)
    accounts = []
    try:
        for key, n in batches_per_key.items():
            account = account_store.ensure_account(sf, sim.base_url, key)
            result = import_file(sites_file(folder, n, key))
            with engine_store.in_transaction(sf) as session:
                batch_store.create_batch(session, result, defaults=BatchDefaults(), source_name=f"{key}.csv",
                                   account_id=account.id)
            accounts.append((account, MomentumClient(sim.base_url, key)))
        config = EngineConfig(poll_interval_s=0.05, retry_after_floor_s=0.05, backoff_base_s=0.05)
        pool = AccountPool(sf, accounts, on_event=lambda e: None, config=config)
        started = time.monotonic()
        results = pool.run(until_idle=True)
        took = time.monotonic() - started
        if not all(r.statuses and set(r.statuses.values()) == {"complete"}
                   for r in results.values()):
            raise AssertionError(f"not every row complete: {results}")
        return took
    finally:
        for _, client in accounts:
            client.close()
        engine.dispose()
