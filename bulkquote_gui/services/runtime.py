"""What the CLI and the GUI need to run batches, resolved once from flags, environment and settings.

Precedence for each value: an explicit argument (a CLI flag), then the environment
(BULKQUOTE_DB, BULKQUOTE_API_URL, BULKQUOTE_API_KEY, already folded in by paths/settings/secrets),
then the saved settings (`database_url`: a team's PostgreSQL), then the defaults.

The quote provider: the one named (`--provider`, or the one a batch was sent to), else an API
URL given for the run (--api-url, $BULKQUOTE_API_URL: the unnamed Momentum), else the first
provider stored (the saved Momentum settings become one on first start,
services/provider_upgrade). None of these = demo mode: the built-in simulator is started
in-process on an ephemeral loopback port and accepts any key, and beside it the built-in Sonata
seller (services/demo_sellers), quoted through when the provider named is "Demo Sonata seller".
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.events import Event
from bulkquote_gui.core.store.accounts import AccountRef
from bulkquote_gui.core.store.schema import SchemaError
from bulkquote_gui.core.engine.policy import ENGINE_FLOOR_S, EngineConfig
from bulkquote_gui.core.quoting.factory import MOMENTUM
from bulkquote_gui.services.paths import data_dir, default_db_url
from bulkquote_gui.services import provider_config
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings, load_settings, save_settings

if TYPE_CHECKING:
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.quoting.factory import ProviderClient
    from bulkquote_gui.core.quoting.provider import QuoteProvider
    from bulkquote_gui.services.demo_sellers import DemoSonataSeller
    from bulkquote_gui.services.simulator import SimulatorServer

log = logging.getLogger(__name__)
DEMO_API_KEY = "demo"
DEMO_ACCOUNT_URL = "demo:"


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (tests shorten the lease with it)."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


DEMO_TIME_SCALE = 0.05   # the demo's carrier answers in 1/20 of a real quote's time


def default_demo_time_scale() -> float:
    """How fast the demo's simulated carriers answer, as a fraction of a real quote's time:
    BULKQUOTE_DEMO_TIME_SCALE (0 = at once; a quick rehearsal or a test), else 1/20."""
    try:
        value = float(os.environ.get("BULKQUOTE_DEMO_TIME_SCALE", ""))
    except ValueError:
        return DEMO_TIME_SCALE
    return value if 0 <= value <= 10 else DEMO_TIME_SCALE   # NaN and inf fail both tests


class MissingApiKey(RuntimeError):
    """A real API is configured but no key was found (environment or keyring)."""


class RefusedApiUrl(MissingApiKey):
    """The API URL cannot be used: not http(s)://, or plain http:// to another computer and
    Settings do not allow it.

    A MissingApiKey on purpose: every caller that holds batches back for a missing key (the CLI
    exits 1 with the sentence, the window pauses its batches with it) does the same here, and
    the key is never sent.
    """


class MissingContact(MissingApiKey):
    """A Sonata seller is chosen but the rep's name or e-mail (its buyer's contact) is not set:
    held back like a missing key, nothing sent; str() says where to fill it."""


class UnusableApiKey(MissingApiKey):
    """The key cannot go in an HTTP header (a space, CR/LF): held back like a missing key."""


class UnknownProvider(RuntimeError):
    """--provider (or a batch) names a provider this database does not have; str() says so."""


class UnusableDatabase(RuntimeError):
    """The store's URL names no database BulkQuote can open; str() is the sentence (no password)."""


DATABASE_BACKENDS = ("sqlite", "postgresql")


def check_db_url(url: str) -> None:
    """Raise UnusableDatabase for a URL that is not SQLite or PostgreSQL, or not a URL at all,
    before any driver is imported or folder made."""
    from sqlalchemy.engine import make_url

    try:
        backend = make_url(url).get_backend_name()
    except Exception as exc:   # a bad port, no scheme: SQLAlchemy's ValueError or ArgumentError
        why = "its port is not a number" if "int()" in str(exc) else "it is not a database URL"
        raise UnusableDatabase(f"cannot use the database URL given (--db, BULKQUOTE_DB or "
                               f"Settings): {why}") from None
    if backend not in DATABASE_BACKENDS:
        raise UnusableDatabase(f"cannot use a {backend} database: BulkQuote keeps its data in "
                               "SQLite (sqlite:///path) or PostgreSQL (postgresql+psycopg://...)")


@dataclass
class Runtime:
    db_url: str = field(repr=False)   # may carry a database password: never printed
    api_url: str
    api_key: str | None = field(repr=False)   # never printed, logged or stored by us
    demo: bool
    poll_interval_s: float
    quote_timeout_s: float
    simulator: SimulatorServer | None = None
    demo_sonata: DemoSonataSeller | None = None   # demo mode's Sonata seller (running)
    settings: Settings = field(default_factory=Settings, repr=False)
    provider_kind: str = MOMENTUM   # the client's kind, and so its account's
    # the named provider quoting through (None: the unnamed Momentum of the API URL, or demo)
    provider: provider_store.StoredProvider | None = None
    missing_key: str = ""           # why api_key is None, in the rep's words ("": the default)
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _session_factory: sessionmaker[Session] | None = field(default=None, init=False, repr=False)
    _account: AccountRef | None = field(default=None, init=False, repr=False)
    _shared_engine: bool = field(default=False, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        """The store's engine, opened (and its schema created or upgraded) on first use."""
        if self._engine is None:
            check_db_url(self.db_url)
            try:
                self._engine = engine_store.make_engine(self.db_url)
            except OSError as exc:   # the folder of a SQLite file cannot be made or read
                where = exc.filename or engine_store.public_url(self.db_url)
                raise UnusableDatabase(f"cannot open the database: {where}: "
                                       f"{exc.strerror or exc}") from None
        return self._engine

    def share_engine(self, engine: Engine) -> None:
        """Use an engine the caller already opened on db_url (and still owns: close() keeps it)."""
        if self._engine is not None and not self._shared_engine:
            self._engine.dispose()   # the one opened to choose the provider
        self._session_factory = None
        self._engine = engine
        self._shared_engine = True

    @property
    def session_factory(self) -> sessionmaker[Session]:
        if self._session_factory is None:
            self._session_factory = engine_store.make_session_factory(self.engine)
        return self._session_factory

    def make_client(self, clock: Clock | None = None, *,
                    api_key: str | None = None) -> ProviderClient:
        """A new client (one per thread), with this runtime's key or `api_key` (the worker's
        other accounts). Before any connection, raises MissingApiKey when a real API has no key,
        RefusedApiUrl for a URL that is not http(s):// or is plain http:// to another computer
        unless Settings allow it, UnusableApiKey for a key no HTTP header can carry."""
        from bulkquote_gui.core.quoting.factory import build_client, check_url

        try:
            check_url(self.api_url, kind=self.provider_kind, allow_insecure_http=self.settings.allow_insecure_http)
        except ValueError as exc:   # InsecureApiUrl, or not http(s) at all
            raise RefusedApiUrl(str(exc)) from None
        key = api_key or self.api_key
        if not key:
            raise MissingApiKey(self.missing_key or
                                "no API key: set BULKQUOTE_API_KEY or save the key in the app's "
                                f"settings (API {self.api_url})")
        problem = self.contact_problem()
        if problem:
            raise MissingContact(problem)
        options = (provider_config.client_options(self.provider, contact=self.contact())
                   if self.provider is not None else {"kind": self.provider_kind})
        try:
            return build_client(self.api_url, key, clock=clock,
                                allow_insecure_http=self.settings.allow_insecure_http, **options)
        except ValueError as exc:   # its text never quotes the key
            raise UnusableApiKey(f"{exc} (API {self.api_url})") from None

    def contact_problem(self) -> str:
        """Why the provider cannot be asked for a quote for want of the rep's contact ("": it
        can). Demo mode's seller takes a stand-in (services/demo_sellers)."""
        if self.demo:
            return ""
        return provider_config.missing_contact(self.provider, self.settings.rep_name,
                                               self.settings.rep_email)

    def contact(self) -> Any:
        """The rep as a Sonata seller's buyer contact (Settings > You)."""
        from bulkquote_gui.core.quoting.sonata.settings import Contact
        from bulkquote_gui.services.demo_sellers import DEMO_CONTACT

        s = self.settings
        if self.demo and not (s.rep_name.strip() and s.rep_email.strip()):
            return DEMO_CONTACT
        return Contact(name=s.rep_name.strip(), email=s.rep_email.strip())

    def processor_config(self) -> EngineConfig:
        # A poll interval chosen below a second (tests, local simulators) also lowers the floor
        # under the server's Retry-After, the first backoff step and the API probe's ceiling,
        # which would otherwise hold every poll and retry to a second.
        quick = max(ENGINE_FLOOR_S, min(1.0, self.poll_interval_s))
        lease_ttl = _env_seconds("BULKQUOTE_LEASE_TTL_S", EngineConfig.lease_ttl_s)
        return EngineConfig(poll_interval_s=self.poll_interval_s,
                            quote_timeout_s=self.quote_timeout_s,
                            retry_after_floor_s=quick, backoff_base_s=quick,
                            lease_ttl_s=lease_ttl,
                            lease_retry_s=min(EngineConfig.lease_retry_s, lease_ttl / 4),
                            api_probe_max_s=min(EngineConfig.api_probe_max_s,
                                                max(2.0, 20 * self.poll_interval_s)))

    @property
    def provider_name(self) -> str | None:
        """What a batch stored by this runtime records as its provider."""
        return self.provider.name if self.provider is not None else None

    @property
    def account_url(self) -> str:
        """The account's URL as stored: demo mode's simulators move port each start, so their
        batches belong to stable demo accounts."""
        from bulkquote_gui.services.demo_sellers import SONATA_ACCOUNT_URL

        if not self.demo:
            return self.api_url
        return SONATA_ACCOUNT_URL if self.provider is not None else DEMO_ACCOUNT_URL

    def account(self) -> AccountRef | None:
        """This runtime's account (kind, URL, key fingerprint), or None while no key is set: batches
        stored then are claimed by whichever account first runs them."""
        if not self.api_key:
            return None
        if self._account is None:
            # demo mode's secrets are made up at each start: its accounts are known by one key
            key = DEMO_API_KEY if self.demo else self.api_key
            self._account = account_store.ensure_account(self.session_factory, self.account_url,
                                                 key, provider=self.provider_kind)
        return self._account

    def make_processor(self, client: QuoteProvider, *, on_event: Callable[[Event], None], role: str,
                       clock: Clock | None = None) -> Processor:
        """The engine for this runtime's account, its lease held as "host pid N (role)"."""
        from bulkquote_gui.core.engine.lease import this_process
        from bulkquote_gui.core.engine.processor import Processor

        return Processor(self.session_factory, client, clock=clock, on_event=on_event,
                         config=self.processor_config(), account=self.account,
                         holder=this_process(role))   # the account is resolved on first run

    def close(self) -> None:
        if self._engine is not None:
            if not self._shared_engine:
                self._engine.dispose()
            self._engine = None
            self._session_factory = None
            self._account = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.demo_sonata is not None:
            self.demo_sonata.stop()
            self.demo_sonata = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def resolve_db_url(db_url: str | None, settings: Settings) -> str:
    """The store's URL: the flag, else $BULKQUOTE_DB, else the settings' team database, else
    the SQLite file in the data folder."""
    if not db_url and not os.environ.get("BULKQUOTE_DB"):
        db_url = settings.database_url.strip() or None
    return db_url or default_db_url()


def demo_state_file(db_url: str) -> Path:
    """Where demo mode's simulator keeps its quotes: beside a SQLite database (one per
    database, so a test's or a second profile's never mix), else in the data folder."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(db_url)
        database = url.database if url.get_backend_name() == "sqlite" else None
    except Exception:
        database = None
    if database and database != ":memory:":
        path = Path(database)
        return path.with_name(path.name + ".simulator.jsonl")
    return data_dir() / "simulator.jsonl"


def open_runtime(*, db_url: str | None = None, api_url: str | None = None,
                 poll_interval_s: float | None = None, quote_timeout_s: float | None = None,
                 settings: Settings | None = None, keystore: KeyStore | None = None,
                 demo_time_scale: float | None = None, provider: str | None = None,
                 batch_id: int | None = None, start_demo: bool = True) -> Runtime:
    """Resolve the runtime; starts the in-process simulator in demo mode (stop it with close()).

    `provider`: the named provider to quote through (UnknownProvider if there is none; demo
    mode's sellers are named by services/demo_sellers and mean nothing outside demo mode);
    `batch_id`: without a name, quote through the provider that batch was sent to;
    `start_demo=False`: demo mode without its simulators, for a command that sends nothing."""
    from bulkquote_gui.services import demo_sellers

    if demo_time_scale is None:
        demo_time_scale = default_demo_time_scale()
    settings = settings or load_settings()
    keystore = keystore or KeyStore()
    runtime = Runtime(db_url=resolve_db_url(db_url, settings), api_url="", api_key=None,
                      demo=False, poll_interval_s=poll_interval_s or settings.poll_interval_s,
                      quote_timeout_s=quote_timeout_s or settings.quote_timeout_s,
                      settings=settings)
    demo_name = provider if demo_sellers.is_demo_name(provider) else None
    try:
        chosen = _choose_provider(runtime, keystore, None if demo_name else provider, batch_id,
                                  api_url)
    except _DemoSeller as named:   # a batch sent to a demo seller
        chosen, demo_name = None, named.name
    except BaseException:
        runtime.close()
        raise
    if chosen is not None:
        runtime.provider, runtime.provider_kind = chosen, chosen.kind
        runtime.api_url = chosen.base_url
        try:
            runtime.api_key = provider_config.provider_secret(chosen)
        except provider_config.MissingSecret as exc:
            runtime.missing_key = str(exc)
        return runtime
    runtime.api_url = (api_url or settings.api_base_url or "").strip()
    runtime.demo = not runtime.api_url
    if not runtime.demo:
        runtime.api_key = keystore.get()
    elif not start_demo:
        runtime.api_key = DEMO_API_KEY
    else:
        from bulkquote_gui.services.simulator import SimulatorServer

        # The simulator keeps its quotes beside the database, as the real API keeps them: a
        # demo batch quit mid-quote finds its quote again on the next start.
        runtime.simulator = SimulatorServer(port=0, time_scale=demo_time_scale,
                                            state_file=demo_state_file(runtime.db_url)).start()
        runtime.api_url, runtime.api_key = runtime.simulator.base_url, DEMO_API_KEY
        try:
            runtime.demo_sonata = demo_sellers.start_demo_sonata(demo_time_scale)
        except BaseException:
            runtime.close()
            raise
        if demo_name and demo_name.lower() == demo_sellers.DEMO_SONATA.lower():
            seller = runtime.demo_sonata
            runtime.provider, runtime.provider_kind = seller.provider, seller.provider.kind
            runtime.api_url, runtime.api_key = seller.provider.base_url, seller.secret
    return runtime


class _DemoSeller(Exception):
    """A batch names a demo seller: not a stored provider (services/demo_sellers)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def other_runtimes(runtime: Runtime) -> list[Runtime]:
    """Every other provider `runtime`'s store (or demo mode) can quote through, each a runtime on
    the same engine, so the window quotes each batch through the provider it was sent to. A
    stored provider whose secret is not on this computer is left out: its batches wait."""
    if runtime.demo:
        return _other_demo_seller(runtime)
    try:
        with runtime.session_factory() as session:
            stored = provider_store.list_providers(session)
    except STORE_TROUBLE as exc:   # told where the store is used; the chosen one still quotes
        log.warning("could not read the other providers: %s", type(exc).__name__)
        return []
    others = []
    for found in stored:
        if runtime.provider is not None and found.id == runtime.provider.id:
            continue
        try:
            secret = provider_config.provider_secret(found)
        except provider_config.MissingSecret:
            continue
        others.append(_sharing(runtime, api_url=found.base_url, api_key=secret, demo=False,
                               provider=found, provider_kind=found.kind))
    return others


def _other_demo_seller(runtime: Runtime) -> list[Runtime]:
    """Demo mode's other seller: the Sonata one beside the demo Momentum, or the other way."""
    sim, seller = runtime.simulator, runtime.demo_sonata
    if sim is None or seller is None:
        return []
    if runtime.provider is None:
        return [_sharing(runtime, api_url=seller.provider.base_url, api_key=seller.secret,
                         demo=True, provider=seller.provider, provider_kind=seller.provider.kind)]
    return [_sharing(runtime, api_url=sim.base_url, api_key=DEMO_API_KEY, demo=True)]


def _sharing(runtime: Runtime, **chosen: Any) -> Runtime:
    """A runtime like `runtime` but for another provider, on its engine (closing it stops no
    simulator and closes no engine)."""
    other = Runtime(db_url=runtime.db_url, poll_interval_s=runtime.poll_interval_s,
                    quote_timeout_s=runtime.quote_timeout_s, settings=runtime.settings, **chosen)
    other.share_engine(runtime.engine)
    return other


# What opening or reading the store may raise when it cannot be used right now.
STORE_TROUBLE: tuple[type[BaseException], ...] = (SQLAlchemyError, SchemaError, UnusableDatabase,
                                                  OSError)


def _choose_provider(runtime: Runtime, keystore: KeyStore, name: str | None, batch_id: int | None,
                     api_url: str | None) -> provider_store.StoredProvider | None:
    """The named provider to quote through, or None for the unnamed Momentum / demo mode."""
    from bulkquote_gui.services import demo_sellers
    from bulkquote_gui.services.provider_upgrade import upgrade_momentum_settings

    if not name and batch_id is None and not runtime.settings.api_base_url.strip() and (
            api_url or os.environ.get("BULKQUOTE_API_URL")):
        return None   # nothing asks for the store: a URL for this run is the unnamed Momentum
    try:
        sf = runtime.session_factory
        upgrade_momentum_settings(sf, runtime.settings, keystore, save_settings)
    except STORE_TROUBLE as exc:
        if name or batch_id is not None:
            raise
        # The store's trouble is told where the store is used (the window's start, the
        # command's handler); until then quote as before providers.
        log.warning("could not read the providers: %s", type(exc).__name__)
        return None
    with sf() as session:
        if not name and batch_id is not None:
            name = provider_store.batch_provider(session, batch_id)
            if demo_sellers.is_demo_name(name):
                raise _DemoSeller(str(name))
        if name:
            found = provider_store.get_provider(session, name)
            if found is None:
                raise UnknownProvider(f"no provider is named {name!r} (see `bulkquote providers`)")
            return found
        if api_url or os.environ.get("BULKQUOTE_API_URL"):
            return None   # a URL for this run: the unnamed Momentum, as before providers
        return provider_store.first_provider(session)
