"""A test-only runner: one batch quoted through a Sonata seller in a process of its own, so a
crash test can kill -9 it (tests/integration/test_sonata_crash.py). The CLI cannot be pointed at
a Sonata seller yet (no `--provider`): this builds what it would, the store on the database URL,
the client `build_client(kind="sonata")` and the real Processor.

    python -m tests.helpers.sonata_runner DB_URL BASE_URL TOKEN_URL BATCH_ID [cancel|run] [LANES]

Exits 0 with the batch's status on stdout. With `cancel`, does what `bulkquote cancel` does
instead: cancels the batch and makes one pass over the clean-up owed (cancelQuote). LANES: the
quotes the seller allows in progress (1 unless given).
"""

from __future__ import annotations

import random
import sys

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store

# Short timings: a killed holder's lease runs out in a second, polls every 20 ms.
CONFIG = EngineConfig(poll_interval_s=0.02, quote_timeout_s=30.0, retry_after_floor_s=0.01,
                      retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                      command_check_s=0.05, delete_attempts=3, cleanup_timeout_s=2.0,
                      lease_ttl_s=1.0, lease_retry_s=0.1)


def main(db_url: str, base_url: str, token_url: str, batch_id: str, mode: str = "run",
         lanes: str = "1") -> int:
    settings = SonataSettings(token_url=token_url, client_id="buyer-1", seller="Hostile Fiber",
                              offerings={"DIA": "BIA-1", "ETHERNET": "AEL-1"},
                              contact=Contact("Rita Rep", "rita@buyer.example", "555-0100"),
                              lanes=int(lanes))
    engine = engine_store.make_engine(db_url)
    try:
        with build_client(base_url, "s3cret-value", kind=SONATA, sonata=settings) as client:
            sf = engine_store.make_session_factory(engine)
            processor = Processor(sf, client, config=CONFIG, rng=random.Random(5))
            if mode == "cancel":
                processor.cancel(int(batch_id))
                processor.send_pending_deletes()
                with sf() as session:
                    status = view_store.get_batch(session, int(batch_id)).status
            else:
                status = processor.run_batch(int(batch_id))
    finally:
        engine.dispose()
    print(status)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
