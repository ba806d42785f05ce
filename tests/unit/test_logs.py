"""The log file: where it goes, rotation, secrets masked in messages and tracebacks, thread crashes."""

from __future__ import annotations

import logging
import threading

import pytest

from bulkquote_gui.services import logs


@pytest.fixture
def log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("BULKQUOTE_API_KEY", "sk_live_LOGTEST+key/9")
    monkeypatch.setenv("BULKQUOTE_SMTP_PASSWORD", "smtp-Pass-42")
    root = logging.getLogger()
    level = root.level
    yield tmp_path / "logs"
    logs.remove_logging("test")
    root.setLevel(level)


def test_the_folder_follows_the_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv("BULKQUOTE_LOG_DIR", raising=False)
    monkeypatch.setenv("BULKQUOTE_DATA_DIR", str(tmp_path))
    assert logs.log_dir() == tmp_path / "logs"
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "elsewhere"))
    assert logs.log_file("window") == tmp_path / "elsewhere" / "bulkquote.log"
    assert logs.log_file("cli") == tmp_path / "elsewhere" / "bulkquote-cli.log"


def test_records_go_to_the_file_with_every_secret_masked(log_folder):
    path = logs.setup_logging("test")
    logs.hide("typed-into-settings-KEY")
    log = logging.getLogger("bulkquote_gui.test")
    log.info("calling with key %s and %s", "sk_live_LOGTEST+key/9", "typed-into-settings-KEY")
    try:
        raise ValueError("login smtp-Pass-42 refused")
    except ValueError:
        log.exception("send failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "calling with key *** and ***" in text
    assert "ValueError: login *** refused" in text and "Traceback" in text
    for secret in ("sk_live_LOGTEST+key/9", "typed-into-settings-KEY", "smtp-Pass-42"):
        assert secret not in text


def test_the_file_is_rotated(log_folder, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = logs.setup_logging("test")
    log = logging.getLogger("bulkquote_gui.test")
    for i in range(200):
        log.warning("line %d %s", i, "x" * 50)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names[:2] == ["bulkquote-test.log", "bulkquote-test.log.1"]
    assert len(names) == logs.BACKUPS + 1
    assert all(p.stat().st_size <= 2200 for p in path.parent.iterdir())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_thread_that_dies_is_logged(log_folder):
    path = logs.setup_logging("test")

    def boom() -> None:
        raise RuntimeError("the mail thread broke")

    t = threading.Thread(target=boom, name="doomed")
    t.start()
    t.join()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "uncaught exception in thread doomed" in text and "RuntimeError: the mail thread broke" in text


def test_an_unwritable_folder_is_said_not_fatal(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(blocker / "logs"))
    try:
        assert logs.setup_logging("test") is None
    finally:
        logs.remove_logging("test")
    assert "no log file" in capsys.readouterr().err
