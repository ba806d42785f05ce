"""The quoting engine: one quote in flight per account lane, fair turns, crash-safe, never cancelling
anyone else's work. Read the modules in this order:

    policy          EngineConfig and the delays it derives (Retry-After, backoff, probes)
    commands        pause / cancel / stop flags and the interruptible wait (renews the lease)
    lease           the account's lease as one engine holds it (acquire, heartbeat, fence)
    api_gate        an unreachable API makes the account wait (probing /health), not rows fail
    outcomes        recording how a row ended; the events the window and CLI listen to
    quote_run       one row's state machine: submit, poll, record (core/states.py has the diagram)
    cleanup         maintenance: DELETEs and replays owed to the account, kept across restarts
    account_runner  one lane of an account's line: lease, next row (rush first, round-robin), run
    processor       what the window and CLI call: run a batch or the whole account (a runner
                    per lane), commands
    pool            several accounts in parallel, one runner thread each (`bulkquote worker`)
    unblock         the rep's explicit cancel of another client's blocking quote

The guarantees, and the tests that hold them, are written out in docs/architecture.md.
"""
