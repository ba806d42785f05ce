"""What the window needs from the rest of the app, bundled so tests can build it from parts.

`AppContext` holds the store's session factory, the settings and the key store, plus `connect`,
which opens the engine side for the current settings (API client or demo simulator) and returns
a `Connection`: how to build a Processor (and a bare client, for the rep's own calls to the
account), whether this is demo mode, and how to close it all. The window reconnects when the rep
changes the API settings.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.events import Event
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings

if TYPE_CHECKING:
    from bulkquote_gui.core.quoting.factory import ProviderClient


@dataclass(frozen=True)
class ProviderLine:
    """One provider the window's engine quotes through (issue 18's deal asks several): the name
    "Quote through" shows, the batch's `provider_name` (None: the unnamed Momentum), its kind,
    lanes and account (called off the GUI thread: it touches the store)."""
    shown: str
    provider_name: str | None
    kind: str
    lanes: int = 1
    account_id: Callable[[], int | None] = field(default=lambda: None, compare=False)


@dataclass
class Connection:
    demo: bool
    api_url: str
    make_processor: Callable[[Callable[[Event], None]], Any]
    close: Callable[[], None] = lambda: None
    warning: str = ""  # shown in a banner, e.g. a live API with no key yet
    # A new client for the account, owned (and closed) by the caller; None: no API to call.
    make_client: Callable[[], ProviderClient] | None = None
    # The account's id in the store (None while no key is set); touches the store, so it is
    # called off the GUI thread, inside an operation.
    account_id: Callable[[], int | None] = lambda: None
    provider_name: str | None = None   # the named provider quoted through (None: unnamed/demo)
    # Providers to choose from besides the stored ones: demo mode's sellers (services/demo_sellers)
    choices: tuple[str, ...] = ()
    # Why a batch cannot go to the provider for want of the rep's contact, for these settings
    # ("": it can; a Sonata seller needs the rep's name and e-mail)
    contact_problem: Callable[[Settings], str] = lambda _settings: ""
    # Every provider the engine quotes through, the chosen one first (() : the chosen one alone)
    lines: tuple[ProviderLine, ...] = ()


class MissingKeyClient:
    """Stands in for the client when a live API has no key: every call is a 401-like refusal,
    so the engine pauses the batch with a message instead of the window failing to start."""

    def __init__(self, message: str) -> None:
        self._message = message

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        from bulkquote_gui.core.quoting.provider import AuthError
        raise AuthError(self._message, code="no_api_key")

    submit = find = poll = cancel = health = check_auth = _refuse

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> MissingKeyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class AppContext:
    session_factory: sessionmaker[Session]
    settings: Settings
    keystore: KeyStore
    connect: Callable[[Settings], Connection]
    clock: Clock = field(default_factory=SystemClock)
    save_settings: Callable[[Settings], None] = lambda s: None
    close: Callable[[], None] = lambda: None


def context_from_args(args: argparse.Namespace, *,
                      demo_time_scale: float | None = None) -> AppContext:
    """The real app's context: runtime from the CLI flags, env and saved settings (services/runtime.py)."""
    from bulkquote_gui.gui.operations.database import open_store, session_factory as make_session_factory
    from bulkquote_gui.core.engine.pool import ProcessorGroup
    from bulkquote_gui.services.runtime import (STORE_TROUBLE, MissingApiKey, MissingContact,
                                                UnknownProvider, open_runtime, other_runtimes)
    from bulkquote_gui.services import demo_sellers, provider_config
    from bulkquote_gui.services.settings import load_settings, save_settings

    settings = load_settings()
    keystore = KeyStore()
    def runtime_for(current: Settings, db_url: str | None) -> Any:
        """The runtime of the provider the rep chose (one removed since, or a store that cannot
        be read now: the default one; the store's trouble is told where the store is used)."""
        opened = dict(db_url=db_url, api_url=getattr(args, "api_url", None),
                      poll_interval_s=getattr(args, "poll_interval", None),
                      quote_timeout_s=getattr(args, "quote_timeout", None), settings=current,
                      keystore=keystore, demo_time_scale=demo_time_scale)
        try:
            return open_runtime(provider=current.provider_name or None, **opened)
        except (UnknownProvider, *STORE_TROUBLE):
            return open_runtime(**opened)

    first = runtime_for(settings, getattr(args, "db", None))
    engine = open_store(first.db_url)
    pending = [first]  # the runtime opened above serves the first connection

    def connect(current: Settings) -> Connection:
        runtime = pending.pop() if pending else runtime_for(current, first.db_url)
        clients: list[ProviderClient] = []
        runtime.share_engine(engine)
        others = other_runtimes(runtime)   # their batches go on through them

        warning = ""
        if not runtime.demo and not runtime.api_key:
            warning = (f"No API key is set for {runtime.api_url}. Add it in Settings → Providers; "
                       "batches pause until then.")

        def make_client() -> ProviderClient:
            try:
                return runtime.make_client()
            except MissingApiKey as exc:
                return MissingKeyClient(str(exc))

        def make_processor(on_event: Callable[[Event], None]) -> Any:
            """The chosen provider's engine, grouped with every other provider's."""
            lines = []
            for each in (runtime, *others):
                try:
                    client = each.make_client() if each is not runtime else make_client()
                except MissingContact as exc:   # its batches pause, saying where to fill it
                    client = MissingKeyClient(str(exc))
                except MissingApiKey:
                    continue   # (only the chosen one stands in with a refusal)
                clients.append(client)
                lines.append(each.make_processor(client, on_event=on_event, role="window"))
            return lines[0] if len(lines) == 1 else ProcessorGroup(lines)

        def close() -> None:
            for client in clients:
                client.close()
            for each in (*others, runtime):
                each.close()

        def account_id() -> int | None:
            account = runtime.account()
            return account.id if account is not None else None

        def line(each: Any) -> ProviderLine:
            def each_account() -> int | None:
                account = each.account()
                return account.id if account is not None else None
            shown = each.provider_name or (demo_sellers.DEMO_MOMENTUM if each.demo else "Momentum")
            return ProviderLine(shown, each.provider_name, each.provider_kind,
                                each.provider.lanes if each.provider is not None else 1,
                                each_account)

        return Connection(demo=bool(runtime.demo), api_url=str(runtime.api_url or ""),
                          make_processor=make_processor, close=close, warning=warning,
                          make_client=make_client, account_id=account_id,
                          provider_name=runtime.provider_name,
                          choices=demo_sellers.NAMES if runtime.demo_sonata is not None else (),
                          contact_problem=lambda s: "" if runtime.demo else
                          provider_config.missing_contact(runtime.provider, s.rep_name,
                                                          s.rep_email),
                          lines=tuple(line(each) for each in (runtime, *others)))

    return AppContext(session_factory=make_session_factory(engine), settings=settings,
                      keystore=keystore, connect=connect, save_settings=save_settings,
                      close=engine.dispose)
