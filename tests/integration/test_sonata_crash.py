"""Kill -9 a process quoting through a Sonata seller at the worst instants, resume, and prove no
site was quoted twice: Sonata has no idempotency key, so a row that may have been sent is looked
up by its externalId before it is sent again (issue 17).

The CLI cannot be pointed at a Sonata seller yet (no `--provider`), so each process is
tests/helpers/sonata_runner.py: the store, `build_client(kind="sonata")` and the real Processor.
The hostile peer (tests/helpers/hostile_sonata.py) runs in this test process and holds an
answer at a chosen instant (the quote made, its answer not yet sent; a poll; a search), so the
kill lands exactly there, and counts the quotes made per externalId.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.states import BatchStatus, RowState
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeImport, checked_row
from tests.helpers.hostile_sonata import HostileSonata, price_for

REPO = Path(__file__).resolve().parents[2]
ROWS = 4
# Where each process is killed, in turn: right after the seller made a quote (its answer not yet
# sent), while the resumed row's search is answered, mid-poll; round and round.
SCHEDULE = ["post", "search", "poll"] * 3
GUARD_S = 60   # a process that neither reaches the instant nor ends is a hang: fail, not wait


def _batch(db: Path) -> int:
    engine = engine_store.make_engine(f"sqlite:///{db}")
    try:
        with engine_store.in_transaction(engine_store.make_session_factory(engine)) as session:
            return batch_store.create_batch(session,
                                      FakeImport([checked_row(n) for n in range(2, 2 + ROWS)]),
                                      defaults=BatchDefaults(), source_name="sites.csv")
    finally:
        engine.dispose()


def _rows(db: Path, batch_id: int):
    engine = engine_store.make_engine(f"sqlite:///{db}")
    try:
        with engine_store.make_session_factory(engine)() as session:
            return view_store.batch_rows(session, batch_id)
    finally:
        engine.dispose()


def _start(peer: HostileSonata, db: Path, batch_id: int, log: Path,
           mode: str = "run") -> subprocess.Popen:
    """The runner, its stdout and stderr appended to `log` (the last line: the batch's status)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.sonata_runner", f"sqlite:///{db}",
             peer.base_url, peer.token_url, str(batch_id), mode],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _finish(peer: HostileSonata, db: Path, batch_id: int, log: Path,
            mode: str = "run") -> tuple[int, str, str]:
    """A last run, left to end: (exit code, its last line, everything the runners wrote)."""
    proc = _start(peer, db, batch_id, log, mode)
    proc.wait(timeout=GUARD_S)
    text = log.read_text(errors="replace")
    return proc.returncode, text.strip().rsplit("\n", 1)[-1], text


def _kill_when_held(peer: HostileSonata, proc: subprocess.Popen) -> bool:
    """SIGKILL the process once the peer holds an answer for it; False if it ended first."""
    guard = time.monotonic() + GUARD_S
    while not peer.stalled.wait(timeout=0.05):
        if proc.poll() is not None:
            return False
        assert time.monotonic() < guard, "the runner neither reached the instant nor ended"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def test_kill_9_where_an_answer_is_held_then_resume_quotes_every_site_once(tmp_path):
    db = tmp_path / "crash.sqlite"
    log = tmp_path / "runner.log"
    batch_id = _batch(db)
    kills: list[str] = []
    with HostileSonata(polls_before_final=2) as peer:
        for kind in SCHEDULE:
            peer.hold(kind)
            proc = _start(peer, db, batch_id, log)
            killed = _kill_when_held(peer, proc)
            peer.let_go()
            if not killed:
                break
            kills.append(kind)
        code, last, output = _finish(peer, db, batch_id, log)
        made, sent = dict(peer.created), {q["externalId"]: q["_request"] for q in peer.quotes.values()}
    assert "Traceback" not in output, output
    assert (code, last) == (0, BatchStatus.COMPLETE), output
    assert made == {key: 1 for key in made} and len(made) == ROWS, (kills, made)
    assert len(kills) >= 6, kills   # the kills landed where meant, not after the batch ended
    by_row = {int(r["description"].rsplit("-", 1)[1]): r for r in sent.values()}
    for row in _rows(db, batch_id):
        assert row.status == RowState.COMPLETE, (row.row_number, row.error_message, kills)
        assert (row.mrc, row.nrc) == price_for(by_row[row.row_number])


def test_kill_9_at_random_instants_with_lost_answers_then_resume(tmp_path):
    rng = random.Random(17)
    db = tmp_path / "crash.sqlite"
    log = tmp_path / "runner.log"
    batch_id = _batch(db)
    with HostileSonata(polls_before_final=3,
                       faults={"post": ["commit_then_drop", "500", "commit_then_500"],
                               "search": ["503"], "poll": ["429"]}) as peer:
        for _ in range(6):
            proc = _start(peer, db, batch_id, log)
            try:
                proc.wait(timeout=round(rng.uniform(0.4, 1.5), 3))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        code, last, output = _finish(peer, db, batch_id, log)
        made = dict(peer.created)
    assert "Traceback" not in output, output
    assert (code, last) == (0, BatchStatus.COMPLETE), output
    assert made == {key: 1 for key in made} and len(made) == ROWS, made
    assert {r.status for r in _rows(db, batch_id)} == {RowState.COMPLETE}


def test_kill_9_around_a_cancel_leaves_no_quote_in_progress_at_the_seller(tmp_path):
    # Killed with a quote made but unanswered; the rep cancels the batch (as `bulkquote cancel`
    # does), killed as the seller answers its cancelQuote; cancelled again, it ends.
    db = tmp_path / "crash.sqlite"
    log = tmp_path / "runner.log"
    batch_id = _batch(db)
    with HostileSonata(polls_before_final=1000) as peer:   # in progress until withdrawn
        peer.hold("post")
        assert _kill_when_held(peer, _start(peer, db, batch_id, log))
        peer.let_go()
        peer.hold("cancel")
        assert _kill_when_held(peer, _start(peer, db, batch_id, log, "cancel"))
        peer.let_go()
        code, last, output = _finish(peer, db, batch_id, log, "cancel")
        made = dict(peer.created)
        states = [q["state"] for q in peer.quotes.values()]
    assert "Traceback" not in output, output
    assert (code, last) == (0, BatchStatus.CANCELLED), output
    assert made == {key: 1 for key in made} and len(made) == 1, made
    assert states == ["cancelled"]          # withdrawn, not left in progress
    assert {r.status for r in _rows(db, batch_id)} == {RowState.CANCELLED}
