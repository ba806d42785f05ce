"""`bulkquote providers` as a rep runs it (a process per command): list, add, test, remove. The secret is
asked without echo and kept in a keyring (a file-backed one, so the next run finds it), or read
from the variable --secret-env names; never in the database or the output. Every bad input is
one line naming it, exit 2, nothing stored."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers import file_keyring
from tests.helpers.cli import run_bulkquote
from tests.helpers.fakes import fake_import

SECRET = "s3cret-Client-Value"
ENTRY = "BulkQuote/provider:lumen"


@pytest.fixture
def env(tmp_path):
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "PYTHON_KEYRING_BACKEND": file_keyring.BACKEND,
           "BULKQUOTE_TEST_KEYRING": str(tmp_path / "keyring.json")}
    env.pop("BULKQUOTE_API_KEY", None)
    return env


@pytest.fixture
def seller():
    with SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sim:
        yield sim


def cli(env, *args: str, stdin: str = "", check: int | None = None) -> subprocess.CompletedProcess:
    out = run_bulkquote(env, list(args), stdin=stdin, timeout=60)
    assert "Traceback" not in out.stderr, out.stderr
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout, out.stderr)
    return out


def add_lumen(env, sim, *extra: str, secret: str = SECRET, check: int | None = 0):
    return cli(env, "providers", "add", "Lumen", "--kind", "sonata", "--url", sim.base_url,
               "--token-url", sim.token_url, "--client-id", "bq-client", "--lanes", "4",
               "--offering", "DIA=BIA-1", "--offering", "ethernet=ELINE-1", *extra,
               stdin=secret + "\n", check=check)


def test_a_sonata_seller_is_added_tested_listed_and_removed(env, seller, tmp_path):
    added = add_lumen(env, seller)
    assert "provider 'Lumen' added (sonata" in added.stderr
    assert "kept in the keyring" in added.stderr
    keyring_file = tmp_path / "keyring.json"
    assert file_keyring.entries(keyring_file) == {ENTRY: SECRET}
    assert SECRET.encode() not in (tmp_path / "cli.sqlite").read_bytes()

    listed = cli(env, "providers", check=0)
    assert listed.stdout.splitlines() == [
        f"Lumen\tsonata\t{seller.base_url}\t4 quotes at once\tsecret in the keyring"]

    tested = cli(env, "providers", "test", "lumen", check=0)
    assert "provider 'Lumen': the credentials work (no quote was made)" in tested.stdout
    assert seller.state.quotes() == []   # a token and a search: no quote made

    removed = cli(env, "providers", "remove", "Lumen", check=0)
    assert "provider 'Lumen' removed" in removed.stderr
    assert file_keyring.entries(keyring_file) == {}
    assert cli(env, "providers", check=0).stdout == ""
    for run in (added, listed, tested, removed):
        assert SECRET not in run.stdout + run.stderr


def test_a_refused_secret_is_one_sentence_and_exit_1(env, seller):
    add_lumen(env, seller, secret="not-the-secret")
    tested = cli(env, "providers", "test", "Lumen", check=1)
    assert tested.stderr.startswith("bulkquote providers: Lumen refused the credentials")
    assert len(tested.stderr.strip().splitlines()) == 1
    assert "not-the-secret" not in tested.stderr


def test_a_momentum_key_read_from_the_variable_secret_env_names(env, tmp_path):
    with SimulatorServer(port=0, api_key="team-key", time_scale=0.01).start() as sim:
        cli(env, "providers", "add", "Momentum", "--kind", "momentum", "--url", sim.base_url,
            "--secret-env", "TEAM_MOMENTUM_KEY", check=0)
        assert file_keyring.entries(tmp_path / "keyring.json") == {}
        listed = cli(env, "providers", check=0).stdout
        assert listed == f"Momentum\tmomentum\t{sim.base_url}\t1 quote at once\tsecret in $TEAM_MOMENTUM_KEY\n"
        unset = cli(env, "providers", "test", "Momentum", check=2)
        assert "read from $TEAM_MOMENTUM_KEY, which is not set" in unset.stderr
        wrong = cli({**env, "TEAM_MOMENTUM_KEY": "other"}, "providers", "test", "Momentum", check=1)
        assert "Momentum refused the credentials" in wrong.stderr
        cli({**env, "TEAM_MOMENTUM_KEY": "team-key"}, "providers", "test", "Momentum", check=0)


BASE = ["providers", "add", "P"]
SONATA = ["--kind", "sonata", "--url", "https://seller.example/qm/v8",
          "--token-url", "https://seller.example/oauth/token", "--client-id", "c"]


@pytest.mark.parametrize("args, words", [
    (["--kind", "carrierx", "--url", "https://x.example"], "unknown kind 'carrierx': use momentum or sonata"),
    (["--kind", "momentum", "--url", "ftp://x.example"], "the URL: the API URL must start with http:// or https://"),
    (["--kind", "momentum", "--url", "http://seller.example/v1"], "the URL: the API URL http://seller.example is plain http://"),
    (["--kind", "momentum", "--url", "https://x.example", "--lanes", "2"],
     "Momentum allows one quote in flight per account: --lanes must be 1"),
    (["--kind", "momentum", "--url", "https://x.example", "--instant"], "--instant is only for a Sonata seller"),
    ([*SONATA, "--lanes", "0"], "lanes must be at least 1, not 0"),
    ([*SONATA, "--offering", "DIA"], "--offering takes PRODUCT=ID (e.g. DIA=off-139), got 'DIA'"),
    ([*SONATA, "--offering", "VOICE=v-1"], "--offering 'VOICE=v-1': the product must be one of DIA, BROADBAND, ETHERNET"),
    ([*SONATA, "--level", "binding"], "--level must be firm or budgetary, not 'binding'"),
    ([*SONATA, "--secret-env", "MY SECRET"], "--secret-env takes the name of an environment variable"),
    (SONATA[:4], "a Sonata seller needs --token-url"),
    ([*SONATA[:6]], "a Sonata seller needs --client-id"),
    ([*SONATA[:4], "--token-url", "token", "--client-id", "c"], "the token URL: the API URL must start with http"),
])
def test_every_bad_input_is_one_line_and_nothing_is_stored(env, args, words):
    out = cli(env, *BASE, *args, stdin=SECRET + "\n", check=2)
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("bulkquote providers: ") and words in line, line
    assert cli(env, "providers", check=0).stdout == ""


def test_a_taken_name_an_unknown_name_and_no_secret(env, seller):
    add_lumen(env, seller)
    again = add_lumen(env, seller, check=2)
    assert again.stderr.strip() == ("bulkquote providers: a provider named 'Lumen' already "
                                    "exists: choose another name, or remove that one first")
    for action in ("test", "remove"):
        unknown = cli(env, "providers", action, "Zayo", check=2)
        assert unknown.stderr.strip() == ("bulkquote providers: no provider is named 'Zayo' "
                                          "(see `bulkquote providers`)")
    empty = cli(env, *BASE, *SONATA, stdin="\n", check=2)
    assert "no client secret given" in empty.stderr
    assert [line.split("\t")[0] for line in cli(env, "providers").stdout.splitlines()] == ["Lumen"]


def test_a_provider_with_an_unfinished_batch_is_not_removed(env, seller, tmp_path):
    add_lumen(env, seller)
    engine = engine_store.make_engine(env["BULKQUOTE_DB"])
    try:
        with engine_store.in_transaction(engine_store.make_session_factory(engine)) as session:
            batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(),
                                     source_name="a.csv", provider_name="Lumen")
    finally:
        engine.dispose()
    out = cli(env, "providers", "remove", "Lumen", check=2)
    assert out.stderr.strip() == ("bulkquote providers: cannot remove 'Lumen': batch #1 is still "
                                  "being quoted through it; let it finish or cancel it first")
    assert file_keyring.entries(tmp_path / "keyring.json") == {ENTRY: SECRET}
    cli(env, "cancel", "1", check=0)
    cli(env, "providers", "remove", "Lumen", check=0)


def test_the_secret_typed_on_a_terminal_is_not_echoed(env, seller, tmp_path):
    """On a terminal the secret is asked with getpass: echo off, so the terminal shows nothing."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulkquote_gui", "providers", "add", "Lumen", "--kind", "sonata",
         "--url", seller.base_url, "--token-url", seller.token_url, "--client-id", "bq-client"],
        env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    try:
        seen = _read_until(master, proc, b"client secret (not shown): ")
        os.write(master, SECRET.encode() + b"\n")
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        seen += _drain(master)
    finally:
        os.close(master)
        proc.stderr.close()
    assert SECRET.encode() not in seen
    assert file_keyring.entries(tmp_path / "keyring.json") == {ENTRY: SECRET}


def _read_until(master: int, proc: subprocess.Popen, prompt: bytes) -> bytes:
    """What the terminal showed up to the prompt (getpass writes it to the terminal, or to
    stderr where the process has no controlling terminal)."""
    seen = b""
    deadline = time.monotonic() + 60
    while prompt not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        ready, _, _ = select.select([master, proc.stderr], [], [], 0.5)
        for fd in ready:
            chunk = os.read(master if fd == master else proc.stderr.fileno(), 4096)
            seen += chunk
    return seen


def _drain(master: int) -> bytes:
    seen = b""
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:   # the terminal's other side closed
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_the_cli_never_takes_the_secret_as_an_argument(env):
    """`--secret VALUE` is refused, never read as an abbreviation of --secret-env (whose error
    would print the value back), and a secret given as --secret-env is not quoted either."""
    out = cli(env, *BASE, *SONATA, "--secret", SECRET, check=2)
    assert "unrecognized arguments: --secret" in out.stderr
    out = cli(env, *BASE, *SONATA, "--secret-env", SECRET + "!", check=2)
    assert "not its value" in out.stderr and SECRET not in out.stderr
    assert SECRET.encode() not in Path(env["BULKQUOTE_DB"][len("sqlite:///"):]).read_bytes()
