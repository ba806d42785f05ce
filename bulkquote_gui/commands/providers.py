"""`bulkquote providers`: list, add, test and remove the named quote providers (parsed in cli.py).

The secret (Momentum's API key, a Sonata seller's client secret) is never an argument: it is
asked on the terminal without echo and kept in the keyring, or read from the environment
variable `--secret-env` names (a team's worker). Piped on stdin, its first line is read
(`echo "$SECRET" | bulkquote providers add ...`), as `docker login --password-stdin` does.
Exit codes: 0 done, 1 the provider refused the credentials or cannot be reached, 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.core.store.schema import SchemaError
from bulkquote_gui.services import provider_config
from bulkquote_gui.services.runtime import UnusableDatabase, check_db_url, resolve_db_url
from bulkquote_gui.services.provider_upgrade import upgrade_momentum_settings
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings, load_settings, save_settings

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2


class _Fail(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def run_providers(args: argparse.Namespace) -> int:
    actions: dict[str | None, Callable[[argparse.Namespace, sessionmaker[Session], Settings], int]] = {
        None: _list, "add": _add, "test": _test, "remove": _remove}
    settings = load_settings()
    try:
        db_url = resolve_db_url(args.db, settings)
        check_db_url(db_url)
        engine = engine_store.make_engine(db_url)
        try:
            sf = engine_store.make_session_factory(engine)
            # the saved Momentum settings are listed (and kept) as a provider from now on
            upgrade_momentum_settings(sf, settings, KeyStore(), save_settings)
            return actions[args.action](args, sf, settings)
        finally:
            engine.dispose()
    except (_Fail, provider_store.InvalidProvider, provider_config.ProviderInputError,
            provider_config.MissingSecret, UnusableDatabase) as exc:
        _err(str(exc))
        return getattr(exc, "code", EXIT_BAD_INPUT)
    except SchemaError as exc:
        _err(f"cannot use the database: {exc}")
        return EXIT_BAD_INPUT
    except SQLAlchemyError as exc:
        known = safety_store.classify(exc)
        _err(f"{known.sentence}; nothing was changed" if known else
             f"database error: {type(exc).__name__}")
        return EXIT_BAD_INPUT


def _err(message: str) -> None:
    print(f"bulkquote providers: {one_line(message)}", file=sys.stderr, flush=True)


def _list(args: argparse.Namespace, sf: sessionmaker[Session], settings: Settings) -> int:
    with sf() as session:
        found = provider_store.list_providers(session)
    if not found:
        print("no providers: add one with `bulkquote providers add NAME --kind sonata|momentum "
              "--url BASE ...`", file=sys.stderr)
        return EXIT_OK
    for p in found:
        env = p.settings.get("secret_env")
        secret = f"secret in ${env}" if env else "secret in the keyring"
        lanes = f"{p.lanes} quote{'s' if p.lanes > 1 else ''} at once"
        print(f"{one_line(p.name)}\t{p.kind}\t{one_line(p.base_url)}\t{lanes}\t{secret}")
    return EXIT_OK


def _add(args: argparse.Namespace, sf: sessionmaker[Session], settings: Settings) -> int:
    offerings: dict[str, str] = {}
    for text in args.offering:
        product, offering = provider_config.parse_offering(text)
        offerings[product] = offering
    given = provider_config.ProviderInput(
        name=args.name, kind=args.kind, url=args.url, token_url=args.token_url or "",
        client_id=args.client_id or "", secret_env=args.secret_env or "", lanes=args.lanes,
        instant=args.instant, level=args.level, offerings=offerings)
    values = provider_config.checked(given, allow_insecure_http=settings.allow_insecure_http)
    with sf() as session:   # a taken name is told before the secret is asked for
        taken = provider_store.get_provider(session, args.name)
    if taken is not None:
        raise provider_store.ProviderExists(f"a provider named {taken.name!r} already exists: "
                                            "choose another name, or remove that one first")
    secret = "" if given.secret_env else _ask_secret(values["kind"])
    stored = provider_store.add_provider(sf, args.name, **values)
    if secret:
        store = provider_config.secret_store(stored)
        if not store.set(secret):
            provider_store.remove_provider(sf, stored.name)
            raise _Fail("no system keyring is available to keep the secret: give "
                        "--secret-env VAR and set that variable instead")
    where = f"read from ${given.secret_env}" if given.secret_env else "kept in the keyring"
    print(f"provider {stored.name!r} added ({stored.kind}, {stored.base_url}); its secret is "
          f"{where}. Check it with `bulkquote providers test {stored.name}`", file=sys.stderr)
    return EXIT_OK


def _ask_secret(kind: str) -> str:
    what = "API key" if kind == "momentum" else "client secret"
    if sys.stdin is not None and sys.stdin.isatty():
        secret = getpass.getpass(f"{what} (not shown): ")
    else:
        secret = (sys.stdin.readline() if sys.stdin is not None else "").strip()
    if not secret.strip():
        raise _Fail(f"no {what} given: type it when asked (it is not shown), or pipe it on "
                    "stdin, or use --secret-env VAR")
    return secret.strip()


def _test(args: argparse.Namespace, sf: sessionmaker[Session], settings: Settings) -> int:
    from bulkquote_gui.core.quoting.factory import build_client
    from bulkquote_gui.core.quoting.provider import AuthError, ProviderError

    provider = _named(sf, args.name)
    secret = provider_config.provider_secret(provider)
    try:
        client = build_client(provider.base_url, secret,
                              allow_insecure_http=settings.allow_insecure_http,
                              **provider_config.client_options(provider))
    except ValueError as exc:   # never quotes the secret
        raise _Fail(f"{provider.name}: {exc}") from None
    try:
        with client:
            client.check_auth()
    except AuthError as exc:
        raise _Fail(f"{provider.name} refused the credentials: {exc}", EXIT_REFUSED) from None
    except ProviderError as exc:
        raise _Fail(f"{provider.name} did not answer as expected: {exc}", EXIT_REFUSED) from None
    print(f"provider {provider.name!r}: the credentials work (no quote was made)")
    return EXIT_OK


def _remove(args: argparse.Namespace, sf: sessionmaker[Session], settings: Settings) -> int:
    provider = _named(sf, args.name)
    provider_store.remove_provider(sf, provider.name)   # ProviderInUse: its sentence
    provider_config.secret_store(provider).set("")   # its keyring entry goes with it
    print(f"provider {provider.name!r} removed", file=sys.stderr)
    return EXIT_OK


def _named(sf: sessionmaker[Session], name: str) -> provider_store.StoredProvider:
    with sf() as session:
        provider = provider_store.get_provider(session, name)
    if provider is None:
        raise _Fail(f"no provider is named {name!r} (see `bulkquote providers`)")
    return provider
