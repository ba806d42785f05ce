"""A throwaway PostgreSQL server for the tests: its own cluster in a temp folder, on loopback.

    cluster = PostgresCluster.start()      # initdb + pg_ctl start on a free 127.0.0.1 port
    cluster.url                             # postgresql+psycopg://postgres@127.0.0.1:PORT/bulkquote_test
    cluster.reset_schema()                  # empty it again: DROP SCHEMA public CASCADE
    cluster.empty_tables(fingerprint)       # or keep the store's tables, delete their rows
    url = cluster.create_database()         # or a fresh database, bq_<n>
    cluster.drop_database(url)

Measured per test on this machine (2 shared cores), including make_engine's schema: a new
database and dropping it ~400 ms; DROP SCHEMA and CREATE SCHEMA ~250 ms; deleting the rows of
an unchanged store schema ~90 ms (the fixtures use the last when they can, else the second).
    cluster.stop()                          # pg_ctl stop -m fast, then the folder is deleted
    cluster.crash(); cluster.start_again()  # pg_ctl stop -m immediate; start on the same port

The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`, newest version first; or
$BULKQUOTE_PG_BINDIR). initdb refuses to run as root, so under root the cluster belongs to the
`postgres` user and every server command runs through `runuser -u postgres --`; anyone else
runs them as themselves. Authentication is `trust`, and the server listens on 127.0.0.1 only.

`stop()` is registered with atexit when the server starts, as a backstop for a run that ends
without its fixtures' teardown, and a watchdog process stops the server should the test run
be killed outright: a server is never left running by the tests.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATABASE = "bulkquote_test"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


_FINGERPRINT_SQL = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(':', table_name, column_name, data_type, character_maximum_length,
                               numeric_precision, numeric_scale, is_nullable, column_default),
                     ',' ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(pg_get_constraintdef(c.oid), ',' ORDER BY pg_get_constraintdef(c.oid))
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'),
  (SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger t JOIN pg_class r
     ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
     WHERE n.nspname = 'public' AND NOT t.tgisinternal)
))"""


# Run by the watchdog process (see PostgresCluster._start_watchdog).
_WATCHDOG = """
import json, shutil, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the test run's to handle
stop_argv, root = json.loads(sys.argv[1]), sys.argv[2]
if sys.stdin.buffer.read() == b"":  # the pipe closed with no word: the test run is gone
    subprocess.run(stop_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    shutil.rmtree(root, ignore_errors=True)
"""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the throwaway server would not start (the reason says which)."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl."""
    override = os.environ.get("BULKQUOTE_PG_BINDIR")
    candidates = [override] if override else glob.glob("/usr/lib/postgresql/*/bin")

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/bin", path)
        return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)

    for path in sorted(candidates, key=version, reverse=True):
        if all((Path(path) / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_isready")):
            return Path(path)
    where = override or "/usr/lib/postgresql/*/bin"
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries (initdb, pg_ctl, pg_isready) in {where}; install Debian's "
        "`postgresql` package (.ci/run does this when it runs as root)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _others_can_enter(folder: Path) -> bool:
    """Whether another user (the server's) may pass through every folder down to this one."""
    try:
        return all(os.stat(p).st_mode & 0o001 for p in (folder.resolve(), *folder.resolve().parents))
    except OSError:
        return False


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class PostgresCluster:
    """One throwaway cluster; make it with `PostgresCluster.start()`."""

    def __init__(self, bindir: Path, root: Path, port: int, as_postgres: bool) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sock"
        self.log = root / "server.log"
        self.port = port
        self.as_postgres = as_postgres
        self.running = False
        self._names = itertools.count(1)
        # DATABASE's schema as make_engine created it, while nothing has changed it since:
        # the fixtures then empty its tables (empty_tables) instead of making it again.
        self.store_fingerprint: str | None = None
        self._watchdog: subprocess.Popen | None = None

    # ------------------------------------------------------------------ life

    @classmethod
    def start(cls, bindir: Path | None = None) -> PostgresCluster:
        """initdb a new cluster in a temp folder, start it on a free loopback port, make DATABASE.

        Raises PostgresUnavailable with the reason (and the server log's tail) when it cannot.
        """
        bindir = bindir or find_bindir()
        as_postgres = _is_root()
        base = Path(tempfile.gettempdir())
        if as_postgres and not _others_can_enter(base):  # e.g. TMPDIR under /root
            base = Path("/tmp")
        root = Path(tempfile.mkdtemp(prefix="bq-pg-", dir=base))
        cluster = cls(bindir, root, 0, as_postgres)
        try:
            cluster._init()
            for attempt in range(3):  # the port is free when picked, not always when bound
                cluster.port = free_port()
                if cluster._start_server():
                    break
            else:
                raise PostgresUnavailable(
                    f"the PostgreSQL server would not start: {cluster._log_tail()}")
            atexit.register(cluster.stop)
            cluster._start_watchdog()
            cluster._wait_ready()
            cluster.admin_execute(f"CREATE DATABASE {DATABASE}")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _init(self) -> None:
        self.data.mkdir()
        self.sockets.mkdir()
        if self.as_postgres:
            try:
                shutil.chown(self.root, SUPERUSER)
                for path in (self.data, self.sockets):
                    shutil.chown(path, SUPERUSER)
            except (LookupError, PermissionError) as exc:
                raise PostgresUnavailable(
                    f"running as root, and the cluster cannot be given to the {SUPERUSER!r} "
                    f"user ({exc}); the `postgresql` package creates that user") from exc
            # The temp folder's parents must let that user in.
            self._run(["test", "-w", str(self.data)], what="reach the temp folder")
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                   "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"], what="initdb")

    def _start_server(self) -> bool:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        result = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                            "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start"],
                           what="pg_ctl start", check=False)
        self.running = result.returncode == 0 or self._postmaster_running()
        return self.running

    def _postmaster_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", SUPERUSER, "-d", "postgres", "-q"], capture_output=True)
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"the PostgreSQL server on 127.0.0.1:{self.port} never became ready: "
                    f"{self._log_tail()}")
            time.sleep(0.1)

    def _stop_argv(self) -> list[str]:
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
        return ["runuser", "-u", SUPERUSER, "--", *argv] if self.as_postgres else argv

    def _start_watchdog(self) -> None:
        """A small process, in its own session, that stops the server and deletes the folder
        if this one dies without doing it (SIGKILL, a CI time limit): it waits for the end of
        a pipe that only this process holds."""
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps(self._stop_argv()), str(self.root)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.root, start_new_session=True)

    def stop(self) -> None:
        """Stop the server (fast: running sessions are cut) and delete its folder. Idempotent,
        and never raises: it runs from fixture teardown and atexit."""
        if self.running or self._postmaster_running():
            try:
                subprocess.run(self._stop_argv(), cwd=self.root, capture_output=True,
                               timeout=START_TIMEOUT_S, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            try:
                watchdog.communicate(b"stopped", timeout=10)  # "nothing left to do"
            except (OSError, ValueError, subprocess.TimeoutExpired):
                watchdog.kill()
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover - interpreter shutting down
            pass

    def crash(self) -> None:
        """`pg_ctl -m immediate stop`: the server goes away at once, as in a crash or a power
        cut (no goodbye to its clients). The folder stays, for `start_again()`."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                   "stop"], what="pg_ctl stop -m immediate")
        self.running = False

    def start_again(self) -> None:
        """Start a crashed server again, on the same port (crash recovery runs first)."""
        if not self._start_server():
            raise PostgresUnavailable(f"the server would not start again: {self._log_tail()}")
        self._wait_ready()

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        """The session's database, DATABASE."""
        return self.url_for(DATABASE)

    def admin_execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
        with self._admin(database) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_database(self) -> str:
        """A new empty database (bq_<n>, copied from template0 file by file: the quickest)."""
        name = f"bq_{next(self._names)}"
        self.admin_execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY file_copy")
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, cutting any connection a test left open."""
        name = url.rsplit("/", 1)[1]
        self.admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def reset_schema(self, database: str = DATABASE) -> None:
        """Empty a database in place: drop and recreate its public schema.

        Connections a test left open are cut first, so none can hold a lock that the DROP
        would wait for; lock_timeout turns anything else into an error instead of a hang.
        """
        with self._admin(database) as conn:
            conn.execute("SET lock_timeout = '10s'")
            self._terminate_others(conn, database)
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    def schema_fingerprint(self, database: str = DATABASE) -> str:
        """A hash of the public schema's tables, columns, indexes and constraints, with the
        stored schema version: equal fingerprints mean the same (empty or not) store schema."""
        with self._admin(database) as conn:
            return self._fingerprint(conn)

    def empty_tables(self, fingerprint: str, database: str = DATABASE) -> bool:
        """If the schema still has this fingerprint, delete every row but the schema version's
        and restart every sequence, and return True: an empty store again in a few
        milliseconds (dropping and creating the schema takes about 250 ms). Else change
        nothing and return False."""
        with self._admin(database) as conn:
            conn.execute("SET lock_timeout = '10s'")
            self._terminate_others(conn, database)
            if self._fingerprint(conn) != fingerprint:
                return False
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'schema_version'")]
            sequences = [r[0] for r in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")]
            statements = ["SET session_replication_role = replica"]  # no FK order to follow
            statements += [f'DELETE FROM "{t}"' for t in tables]
            statements += [f"SELECT setval('\"{q}\"', 1, false)" for q in sequences]
            statements.append("SET session_replication_role = DEFAULT")
            with conn.transaction():
                conn.execute("; ".join(statements))  # one round trip (no parameters)
            return True

    @staticmethod
    def _fingerprint(conn) -> str:
        shape = conn.execute(_FINGERPRINT_SQL).fetchone()[0]
        versions: list = []
        if conn.execute("SELECT to_regclass('public.schema_version')").fetchone()[0]:
            versions = [r[0] for r in conn.execute("SELECT version FROM schema_version")]
        return f"{shape}:{versions}"

    def add_password_role(self, user: str, password: str) -> str:
        """A role that must give its password (scram) on loopback, owning a database of its
        own name: the URL (without the password) of that database."""
        with self._admin() as conn:
            conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
            conn.execute(f"CREATE DATABASE {user} OWNER {user}")
        hba = self.data / "pg_hba.conf"
        rule = f"host all {user} 127.0.0.1/32 scram-sha-256\n"
        hba.write_text(rule + hba.read_text())  # first match wins: before the trust lines
        self.admin_execute("SELECT pg_reload_conf()")
        import psycopg

        deadline = time.monotonic() + 10
        while True:  # the reload is asynchronous: wait until a password-less login is refused
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user=user, dbname=user,
                                connect_timeout=5, passfile=os.devnull, password="").close()
            except psycopg.OperationalError:
                break
            if time.monotonic() > deadline:
                raise PostgresUnavailable("pg_hba.conf reload did not take effect")
            time.sleep(0.05)
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{user}"

    # ------------------------------------------------------------------ helpers

    def _admin(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database,
                               autocommit=True, connect_timeout=10)

    @staticmethod
    def _terminate_others(conn, database: str) -> None:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))

    def _run(self, argv: list[str], *, what: str, check: bool = True) -> subprocess.CompletedProcess:
        if self.as_postgres:
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        try:
            # cwd: the server user may not be allowed into the caller's folder.
            result = subprocess.run(argv, cwd=self.root, capture_output=True, text=True,
                                    timeout=START_TIMEOUT_S + 30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresUnavailable(f"{what} failed: {exc}") from exc
        if check and result.returncode != 0:
            output = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise PostgresUnavailable(f"{what} failed (exit {result.returncode}): "
                                      + " | ".join(output))
        return result

    def _log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no server log)"
        return " | ".join(text[-lines:]) or "(empty server log)"
