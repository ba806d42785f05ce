"""Plain http:// only to this computer unless the rep allows it; TLS verification always on."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path

import httpx
import pytest

from bulkquote_gui.core.quoting.momentum import InsecureApiUrl, MomentumClient, check_api_url, is_loopback_host
from bulkquote_gui.services.runtime import MissingApiKey, RefusedApiUrl, Runtime
from bulkquote_gui.services.settings import Settings, load_settings, save_settings

KEY = "sk_live_INSECURE_probe_77c1"
PACKAGE = Path(__file__).resolve().parents[2] / "bulkquote_gui"

LOOPBACK = ["http://127.0.0.1:8765/v1", "http://127.9.8.7/v1", "http://localhost/v1",
            "http://LOCALHOST./v1", "http://[::1]:8080/v1", "http://[::ffff:127.0.0.1]/v1"]
REMOTE = ["http://api.momentum.example/v1", "http://10.0.0.5/v1", "http://192.168.1.20:8765/v1",
          "http://[2001:db8::1]/v1", "http://127.0.0.1.nip.example/v1",
          "http://localhost.attacker.example/v1", "http://0.0.0.0/v1", "http://128.0.0.1/v1"]


@pytest.mark.parametrize("url", LOOPBACK)
def test_http_to_this_computer_is_accepted(url):
    with MomentumClient(url, KEY) as client:
        assert client.base_url.startswith("http://")


@pytest.mark.parametrize("url", REMOTE)
def test_http_to_another_computer_is_refused_with_a_sentence(url):
    with pytest.raises(InsecureApiUrl) as caught:
        MomentumClient(url, KEY)
    text = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "unencrypted" in text and "https://" in text and "Settings" in text
    assert KEY not in text


@pytest.mark.parametrize("url", REMOTE)
def test_the_rep_can_allow_http_to_another_computer(url):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    with MomentumClient(url, KEY, transport=httpx.MockTransport(handler),
                        allow_insecure_http=True) as client:
        client.health()
    assert seen and seen[0].url.scheme == "http"


def test_https_anywhere_needs_no_permission():
    assert check_api_url("https://api.momentum.example/v1").scheme == "https"
    assert check_api_url("https://10.0.0.5:8443/v1").host == "10.0.0.5"


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.255.255.254", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LocalHost", True), ("::ffff:127.0.0.1", True),
    ("fe80::1%eth0", False), ("10.0.0.1", False), ("", False), ("localhost.example", False),
    ("127.0.0.1.example", False), ("::", False),
])
def test_is_loopback_host(host, expected):
    assert is_loopback_host(host) is expected


# --- the setting, through the runtime ------------------------------------------------------------

def runtime(url: str, settings: Settings) -> Runtime:
    return Runtime(db_url="sqlite:///:memory:", api_url=url, api_key=KEY, demo=False,
                   poll_interval_s=1, quote_timeout_s=60, settings=settings)


def test_the_runtime_refuses_remote_http_as_a_missing_key_would_hold_batches():
    with pytest.raises(RefusedApiUrl) as caught:
        runtime("http://quotes.corp.example/v1", Settings()).make_client()
    assert isinstance(caught.value, MissingApiKey)  # the CLI and the window already handle it
    assert "quotes.corp.example" in str(caught.value) and KEY not in str(caught.value)


def test_the_runtime_refuses_remote_http_even_without_a_key():
    bare = Runtime(db_url="sqlite:///:memory:", api_url="http://10.1.2.3/v1", api_key=None,
                   demo=False, poll_interval_s=1, quote_timeout_s=60, settings=Settings())
    with pytest.raises(RefusedApiUrl):
        bare.make_client()


def test_the_runtime_allows_remote_http_when_settings_say_so():
    client = runtime("http://quotes.corp.example/v1", Settings(allow_insecure_http=True)).make_client()
    client.close()
    client = runtime("http://127.0.0.1:9/v1", Settings()).make_client()
    client.close()


def test_the_setting_is_saved_and_loaded_and_defaults_to_off(tmp_path):
    path = tmp_path / "settings.json"
    assert Settings().allow_insecure_http is False
    save_settings(Settings(allow_insecure_http=True), path)
    assert json.loads(path.read_text())["allow_insecure_http"] is True
    assert load_settings(path).allow_insecure_http is True
    for junk in ("yes", 1, None, [True]):
        path.write_text(json.dumps({"allow_insecure_http": junk}))
        assert load_settings(path).allow_insecure_http is False, junk
    assert KEY not in path.read_text()


# --- TLS verification stays on -------------------------------------------------------------------

_DISABLING = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|"
                        r"_create_unverified_context|PYTHONHTTPSVERIFY")


def test_no_source_file_turns_tls_verification_off():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{n}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if _DISABLING.search(line)]
    assert offenders == []


def test_the_real_transport_verifies_certificates_and_host_names():
    with MomentumClient("https://api.momentum.example/v1", KEY) as client:
        transport = client._http._transport
        context = transport._pool._ssl_context
    assert isinstance(transport, httpx.HTTPTransport)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
