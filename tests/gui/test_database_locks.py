"""The file dialogs never drop the window's locks on its SQLite database (issue 8).

SQLite's locks are POSIX locks: closing *any* descriptor of the file in the same process drops
them all. Qt's file dialog, listing the database's folder, sniffed each file's type through
QAbstractFileIconProvider::type() -> QMimeDatabase::mimeTypeForFile, which opened and closed
`bulkquote.sqlite`, `-wal` and `-shm` (found with strace). These tests drive the real dialogs
into the database's folder and read /proc/locks for this process before and after.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel, QLineEdit
from sqlalchemy import text

from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.gui.dialogs.questions import Dialogs
from bulkquote_gui.services import paths

pytestmark = [
    pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks"),
    # the offscreen platform cannot raise, grab or size a modal dialog; nothing of ours
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


def held_locks(folder: Path) -> list[tuple[str, str, str, str]]:
    """This process's POSIX locks on the SQLite files in `folder`: (file, type, start, end)."""
    # /proc/locks names a file by device and inode: an inode number alone can match another
    # test's database on another file system, still open in this worker
    files = {}
    for path in folder.iterdir():
        if path.name.startswith(paths.DATABASE_FILE):
            st = os.stat(path)
            files[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = path.name
    found = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 1 and fields[1] == "->":   # a waiter, not a holder
            continue
        # "1: POSIX  ADVISORY  READ 1234 08:01:5678 128 128"
        kind, pid, where, start, end = fields[1], fields[4], fields[5], fields[6], fields[7]
        if kind != "POSIX" or int(pid) != os.getpid():
            continue
        major, minor, inode = where.split(":")
        key = (int(major, 16), int(minor, 16), int(inode))
        if key in files:
            found.append((files[key], fields[3], start, end))
    return sorted(found)


@pytest.fixture
def database(tmp_path, monkeypatch):
    """The default database, in its folder, open the way the window keeps it open."""
    monkeypatch.setenv("BULKQUOTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BULKQUOTE_DB", raising=False)
    url = paths.default_db_url()
    engine = engine_store.make_engine(url)
    conn = engine.connect()
    conn.execute(text("SELECT count(*) FROM batch_job")).all()
    conn.commit()
    folder = paths.database_dir()
    # a few more files for the dialog to list: spreadsheets are never kept here, but copies are
    (folder / "bulkquote.sqlite.bak-v2-20261201T000000Z").write_bytes(b"SQLite format 3\0" + b"\0" * 100)
    before = held_locks(folder)
    assert {name for name, *_ in before} == {"bulkquote.sqlite", "bulkquote.sqlite-shm"}, before
    yield url, folder, before
    conn.close()
    engine.dispose()


def _wait_listed(qtbot, dialog: QFileDialog, folder: Path) -> None:
    """Until the dialog's own file-system model has listed `folder` (every file's type asked)."""
    model = dialog.findChild(QFileSystemModel)
    assert model is not None
    index = model.index(str(folder))
    qtbot.waitUntil(lambda: model.rowCount(model.index(str(folder))) >= 4, timeout=5000)
    assert index.isValid()
    qtbot.wait(300)   # the gatherer's later passes (icons, types) and the completer's


def _drive(qtbot, steps):
    """Run `steps(dialog)` once the modal file dialog is up (the dialog's exec() blocks)."""
    done = {}

    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, poll)
            return
        try:
            steps(dialog)
        except BaseException as exc:   # noqa: BLE001 - reported after exec() returns
            done["error"] = exc
            dialog.reject()
        done["ran"] = True
    QTimer.singleShot(0, poll)
    return done


def _type_folder(qtbot, dialog: QFileDialog, folder: Path, tail: str = "") -> QLineEdit:
    """The rep types the folder into the file name box (the completer lists it), then enters it."""
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    assert edit is not None
    if "All files (*)" in dialog.nameFilters():
        dialog.selectNameFilter("All files (*)")   # every file listed, as a curious rep would
    else:
        dialog.setNameFilters(dialog.nameFilters() + ["All files (*)"])
        dialog.selectNameFilter("All files (*)")
    edit.clear()
    QTest.keyClicks(edit, str(folder) + "/" + tail)
    qtbot.wait(200)
    dialog.setDirectory(str(folder))
    _wait_listed(qtbot, dialog, folder)
    return edit


def _accept(qtbot, dialog: QFileDialog, edit: QLineEdit, path: Path) -> None:
    """The rep picks `path` and presses Open/Save (the completer's popup closed first)."""
    completer = edit.completer()
    if completer is not None:
        completer.popup().hide()
    edit.setText(str(path))
    dialog.selectFile(str(path))
    dialog.accept()
    assert not dialog.isVisible() or dialog.result() == QFileDialog.DialogCode.Accepted, \
        "the dialog did not take the path"


def test_the_open_dialog_in_the_database_folder_keeps_every_lock(qtbot, database):
    url, folder, before = database
    dialogs = Dialogs(db_url=url)
    seen = {}

    def steps(dialog):
        assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
        assert Path(dialog.directory().absolutePath()).resolve() != folder.resolve()
        _type_folder(qtbot, dialog, folder)
        seen["during"] = held_locks(folder)
        dialog.reject()
    done = _drive(qtbot, steps)
    assert dialogs.open_file() is None
    assert done.get("ran") and "error" not in done, done.get("error")
    assert seen["during"] == before
    assert held_locks(folder) == before


def test_choosing_the_database_itself_is_refused_before_anything_opens_it(qtbot, database):
    url, folder, before = database
    dialogs = Dialogs(db_url=url)
    refusals = []
    dialogs.error = lambda title, message: refusals.append(message)
    rounds = []

    def steps(dialog):
        rounds.append(1)
        if len(rounds) == 1:
            edit = _type_folder(qtbot, dialog, folder)
            _accept(qtbot, dialog, edit, folder / paths.DATABASE_FILE)
            QTimer.singleShot(0, lambda: _drive(qtbot, steps))   # it asks again
        else:
            assert refusals, "the dialog came back without saying why"
            assert Path(dialog.directory().absolutePath()).resolve() != folder.resolve()
            dialog.reject()
    _drive(qtbot, steps)
    assert dialogs.open_file() is None
    assert len(rounds) == 2 and refusals and "database folder" in refusals[0]
    assert held_locks(folder) == before


def test_exporting_into_the_database_folder_is_refused_and_keeps_the_locks(qtbot, database,
                                                                           monkeypatch):
    url, folder, before = database
    monkeypatch.chdir(folder)   # even started from there, the dialog starts elsewhere
    dialogs = Dialogs(db_url=url)
    refusals = []
    dialogs.error = lambda title, message: refusals.append(message)
    rounds = []

    def steps(dialog):
        rounds.append(1)
        if len(rounds) == 1:
            assert Path(dialog.directory().absolutePath()).resolve() != folder.resolve()
            edit = _type_folder(qtbot, dialog, folder)
            _accept(qtbot, dialog, edit, folder / "prices.xlsx")
            QTimer.singleShot(0, lambda: _drive(qtbot, steps))
        else:
            assert refusals, "the dialog came back without saying why"
            dialog.reject()
    _drive(qtbot, steps)
    assert dialogs.save_file("Export the prices", "batch-1-quotes.xlsx") is None
    assert refusals and not (folder / "prices.xlsx").exists()
    assert held_locks(folder) == before


@pytest.mark.skipif(sys.platform != "linux", reason="Qt's default provider sniffs on Linux")
def test_the_culprit_qt_default_icon_provider_drops_the_locks(qtbot, database):
    """Without NameOnlyIconProvider, Qt's own file dialog listing the folder drops the locks:
    what the issue saw, and the reason the fix exists (if Qt stops sniffing, this may go)."""
    _url, folder, before = database
    dialog = QFileDialog(None, "plain", str(folder.parent))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.show()
    try:
        dialog.setDirectory(str(folder))
        _wait_listed(qtbot, dialog, folder)
        qtbot.waitUntil(lambda: held_locks(folder) != before, timeout=5000)
    finally:
        dialog.close()
        dialog.deleteLater()
    assert held_locks(folder) == []


def test_the_database_lives_in_its_own_folder_and_an_old_one_is_moved_there(tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BULKQUOTE_DB", raising=False)
    legacy = tmp_path / paths.DATABASE_FILE
    engine = engine_store.make_engine(f"sqlite:///{legacy}")
    engine.dispose()   # closed: no -wal or -shm left
    url = paths.default_db_url()
    assert url.endswith("/data/database/bulkquote.sqlite".replace("/data", "")) or \
        url.endswith("/database/bulkquote.sqlite")
    assert not legacy.exists() and (paths.database_dir() / paths.DATABASE_FILE).exists()
    assert paths.is_database_path(paths.database_dir() / "anything.xlsx")
    assert not paths.is_database_path(tmp_path / "sites.xlsx")


def test_the_database_dropped_on_the_window_is_refused_before_anything_opens_it(qtbot, tmp_path):
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.gui.pages.upload_page import UploadPage

    db = tmp_path / "team" / "bulkquote.sqlite"
    db.parent.mkdir()
    db.write_bytes(b"SQLite format 3\x00")
    page = UploadPage(BatchDefaults())
    qtbot.addWidget(page)
    page.database_url = f"sqlite:///{db}"
    with qtbot.waitSignal(page.load_failed, timeout=5_000) as failed:
        page.load_file(db)
    assert "BulkQuote's own database" in failed.args[0]
    with qtbot.waitSignal(page.load_failed, timeout=5_000):
        page.load_file(db.with_name("bulkquote.sqlite-wal"))
