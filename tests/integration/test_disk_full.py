"""A real full disk under a running batch: the database on a 2 MB tmpfs, filled to the last byte
mid-batch, then given room again. SQLite answers SQLITE_FULL on its own; the batch pauses with
the sentence, nothing recorded is lost, and it goes on by itself once there is space.

Needs root (mount); outside CI a refused mount skips, under CI=true it fails.
"""

from __future__ import annotations

import errno
import os
import random
import subprocess

import pytest

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import BatchEvent, WaitEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeClock, FakeMomentum, fake_import


@pytest.fixture
def tiny_disk(tmp_path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        why = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(folder) -> int:
    """Write a file until the disk refuses another byte; returns its size."""
    filler = folder / "filler"
    written = 0
    with open(filler, "wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):
            chunk = b"\0" * size
            while True:
                try:
                    out.write(chunk)
                    written += size
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return written


def test_a_full_disk_pauses_the_batch_and_it_goes_on_when_space_returns(tiny_disk):
    engine = engine_store.make_engine(f"sqlite:///{tiny_disk / 'bulkquote.sqlite'}")
    try:
        sf = engine_store.make_session_factory(engine)
        clock = FakeClock()
        api = FakeMomentum(clock)
        events: list = []
        with engine_store.in_transaction(sf) as session:
            batch_id = batch_store.create_batch(session, fake_import(6), defaults=BatchDefaults(),
                                          source_name="t.csv")
        processor = Processor(sf, api, clock=clock, on_event=events.append,
                              config=EngineConfig(), rng=random.Random(1))
        state = {"posts": 0, "filled": 0, "waits_full": 0}

        def after_call(method, _what):
            if method == "POST":
                state["posts"] += 1
                if state["posts"] == 3 and not state["filled"]:
                    with engine.connect() as conn:   # the -wal emptied: any write needs space
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    state["filled"] = _fill(tiny_disk)
        api.after_call = after_call

        def on_wait(_seconds):
            if not (tiny_disk / "filler").exists():
                return
            if any(isinstance(e, WaitEvent) and e.reason == "store" for e in events):
                state["waits_full"] += 1
                if state["waits_full"] == 3:
                    with engine_store.make_session_factory(engine)() as session:
                        state["rows_meanwhile"] = [r.status for r in view_store.batch_rows(session, batch_id)]
                if state["waits_full"] >= 5:
                    (tiny_disk / "filler").unlink()   # space returns
        clock.on_wait = on_wait

        assert processor.run_batch(batch_id) == "complete"
        assert state["filled"] > 0
        with sf() as session:
            rows = view_store.batch_rows(session, batch_id)
        assert [r.status for r in rows] == ["complete"] * 6
        for row in rows:
            assert len(api.created_for(f"batch-{batch_id}/row-{row.row_number}")) == 1
        # what was recorded before the disk filled stayed recorded
        assert state["rows_meanwhile"][:2] == ["complete", "complete"]
        paused = [e for e in events if isinstance(e, BatchEvent) and e.status == "paused"]
        assert paused and paused[0].message.startswith(
            "paused: the disk that holds the database is full;")
        waits = [e.reason for e in events if isinstance(e, WaitEvent)]
        assert waits[0] == "store" and waits[-1] == ""
        assert safety_store.probe_writable(engine) is None
    finally:
        engine.dispose()
