"""Runtime resolution: demo mode, precedence of flags/env/settings, the key never shown."""

from __future__ import annotations

import httpx
import pytest

from bulkquote_gui.services.runtime import DEMO_TIME_SCALE, MissingApiKey, open_runtime
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings


def test_no_api_url_means_demo_mode_with_a_running_simulator(tmp_path):
    runtime = open_runtime(db_url=f"sqlite:///{tmp_path / 'd.sqlite'}", settings=Settings())
    try:
        assert runtime.demo and runtime.simulator is not None
        assert runtime.api_url == runtime.simulator.base_url
        assert httpx.get(runtime.api_url + "/health").json() == {"status": "ok"}
        client = runtime.make_client()
        client.close()
    finally:
        runtime.close()
    assert runtime.simulator is None


@pytest.mark.parametrize("given,scale", [(None, DEMO_TIME_SCALE), ("0.005", 0.005), ("0", 0.0),
                                         ("fast", DEMO_TIME_SCALE), ("-1", DEMO_TIME_SCALE),
                                         ("nan", DEMO_TIME_SCALE), ("inf", DEMO_TIME_SCALE)])
def test_the_demo_pace_comes_from_the_environment_when_it_makes_sense(tmp_path, monkeypatch,
                                                                     given, scale):
    if given is None:
        monkeypatch.delenv("BULKQUOTE_DEMO_TIME_SCALE", raising=False)
    else:
        monkeypatch.setenv("BULKQUOTE_DEMO_TIME_SCALE", given)
    runtime = open_runtime(db_url=f"sqlite:///{tmp_path / 'd.sqlite'}", settings=Settings())
    try:
        assert runtime.simulator.state.time_scale == scale
        assert runtime.demo_sonata.server.state.time_scale == scale
    finally:
        runtime.close()


def test_flags_beat_settings_and_key_comes_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_API_KEY", "sk-secret-123")
    settings = Settings(api_base_url="https://settings.example/v1", poll_interval_s=20, quote_timeout_s=600)
    runtime = open_runtime(db_url="sqlite:///:memory:", api_url="https://flag.example/v1",
                           poll_interval_s=0.2, settings=settings, keystore=KeyStore())
    with runtime:
        assert not runtime.demo and runtime.simulator is None
        assert runtime.api_url == "https://flag.example/v1"
        assert (runtime.poll_interval_s, runtime.quote_timeout_s) == (0.2, 600)
        config = runtime.processor_config()
        assert config.poll_interval_s == 0.2 and config.retry_after_floor_s == 0.2
        assert config.backoff_base_s == 0.2
        assert config.quote_timeout_s == 600
        assert "sk-secret-123" not in repr(runtime)
        assert runtime.api_key == "sk-secret-123"


def test_database_url_from_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("BULKQUOTE_DB", url)
    with open_runtime(api_url="https://x.example/v1", settings=Settings()) as runtime:
        assert runtime.db_url == url
        runtime.engine  # opens and creates the schema
    assert (tmp_path / "env.sqlite").exists()


def test_real_api_without_a_key_cannot_make_a_client():
    with open_runtime(db_url="sqlite:///:memory:", settings=Settings(api_base_url="https://x.example/v1"),
                      keystore=KeyStore()) as runtime:
        assert runtime.api_key is None
        with pytest.raises(MissingApiKey, match="BULKQUOTE_API_KEY"):
            runtime.make_client()
