"""Named quote providers, kept where a team's worker finds them (schema v8, for issue 17).

A provider is what the rep sees as the seller: a unique name, a kind ("momentum", later
"sonata"), a base URL, how many quotes it allows in progress (lanes) and the kind's own settings
(token URL, client id, quote level, offerings...) as JSON text. Never a secret: a client secret
or API key lives in the keyring or in an environment variable whose *name* may be kept here
(a setting ending in `_env`); a setting named like a secret is refused before anything is stored.

Callers import the module: `from bulkquote_gui.core.store import providers`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.states import BATCH_OPEN
from bulkquote_gui.core.store.models import BatchJob, Provider, utcnow

__all__ = ["InvalidProvider", "NoSuchProvider", "ProviderExists", "ProviderInUse", "StoredProvider",
           "add_provider", "batch_provider", "first_provider", "get_provider", "list_providers",
           "providers_of_open_batches", "remove_provider", "update_provider"]

# Words that make a setting's name a secret's. `secret_env` (a variable's name) is not one.
_SECRET_WORDS = ("secret", "password", "passwd", "api_key", "apikey", "access_token",
                 "refresh_token", "private_key", "credential")
_NAME_MAX = Provider.__table__.c.name.type.length
_KIND_MAX = Provider.__table__.c.kind.type.length
_URL_MAX = Provider.__table__.c.base_url.type.length


class InvalidProvider(ValueError):
    """A provider the store will not keep as asked; the text is one line for the rep."""


class ProviderExists(InvalidProvider):
    """Another provider already has this name."""


class NoSuchProvider(InvalidProvider, LookupError):
    """No provider has this name."""


class ProviderInUse(InvalidProvider):
    """A batch sent to this provider is not finished: removing it would strand the batch."""


@dataclass(frozen=True)
class StoredProvider:
    id: int
    name: str
    kind: str
    base_url: str
    lanes: int
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def add_provider(session_factory: sessionmaker[Session], name: str, kind: str, base_url: str, *,
                 lanes: int = 1, settings: dict[str, Any] | None = None,
                 now: datetime | None = None) -> StoredProvider:
    """Store a new provider. ProviderExists if the name is taken (letter case aside: two sellers
    the rep cannot tell apart are one too many); InvalidProvider for a value it cannot keep."""
    name = _checked_name(name)
    values = _checked(kind=kind, base_url=base_url, lanes=lanes, settings=settings or {})
    when = now or utcnow()
    try:
        with session_factory.begin() as session:
            if _find(session, name) is not None:
                raise _exists(name)
            session.execute(insert(Provider).values(name=name, created_at=when, updated_at=when,
                                                    **values))
    except IntegrityError:
        raise _exists(name) from None   # added by another process at the same moment
    with session_factory() as session:
        stored = get_provider(session, name)
    assert stored is not None
    return stored


def list_providers(session: Session) -> list[StoredProvider]:
    """Every provider, by name."""
    return [_view(p) for p in session.scalars(select(Provider).order_by(Provider.name))]


def get_provider(session: Session, name: str) -> StoredProvider | None:
    found = _find(session, name.strip())
    return None if found is None else _view(found)


def update_provider(session_factory: sessionmaker[Session], name: str, *, kind: str | None = None,
                    base_url: str | None = None, lanes: int | None = None,
                    settings: dict[str, Any] | None = None,
                    now: datetime | None = None) -> StoredProvider:
    """Change what is given (settings replaced whole); NoSuchProvider if there is none."""
    with session_factory.begin() as session:
        found = _find(session, name.strip())
        if found is None:
            raise NoSuchProvider(f"no provider is named {name.strip()!r}")
        values = _checked(kind=found.kind if kind is None else kind,
                          base_url=found.base_url if base_url is None else base_url,
                          lanes=found.lanes if lanes is None else lanes,
                          settings=json.loads(found.settings) if settings is None else settings)
        session.execute(update(Provider).where(Provider.id == found.id)
                        .values(updated_at=now or utcnow(), **values))
        stored_name = found.name
    with session_factory() as session:
        stored = get_provider(session, stored_name)
    assert stored is not None
    return stored


def remove_provider(session_factory: sessionmaker[Session], name: str) -> bool:
    """Forget the provider; False if there was none. Its accounts and finished batches stay;
    ProviderInUse while a batch sent to it is unfinished (pending, running or paused): only
    that provider can quote it, so the rep finishes or cancels it first."""
    with session_factory.begin() as session:
        found = _find(session, name.strip())
        if found is None:
            return False
        open_batches = session.scalars(select(BatchJob.id).where(
            func.lower(BatchJob.provider_name) == found.name.lower(),
            BatchJob.status.in_(BATCH_OPEN)).order_by(BatchJob.id)).all()
        if open_batches:
            listed = ", ".join(f"#{b}" for b in open_batches[:5])
            listed += f" and {len(open_batches) - 5} more" if len(open_batches) > 5 else ""
            which = f"batch {listed} is" if len(open_batches) == 1 else f"batches {listed} are"
            raise ProviderInUse(f"cannot remove {found.name!r}: {which} still being quoted "
                                "through it; let it finish or cancel it first")
        session.execute(delete(Provider).where(Provider.id == found.id))
        return True


# --------------------------------------------------------------------------- checks

def _find(session: Session, name: str) -> Provider | None:
    return session.scalars(select(Provider).where(
        func.lower(Provider.name) == name.lower())).first()


def _exists(name: str) -> ProviderExists:
    return ProviderExists(f"a provider named {name!r} already exists: choose another name, "
                          "or edit that one")


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidProvider("a provider needs a name")
    if len(name) > _NAME_MAX or any(ch < " " for ch in name):
        raise InvalidProvider(f"a provider's name is one line of at most {_NAME_MAX} characters")
    return name


def _checked(*, kind: str, base_url: str, lanes: int, settings: dict[str, Any]) -> dict[str, Any]:
    kind = (kind or "").strip().lower()
    if not kind or len(kind) > _KIND_MAX:
        raise InvalidProvider("a provider needs a kind (e.g. momentum)")
    base_url = (base_url or "").strip().rstrip("/")
    if not base_url or len(base_url) > _URL_MAX:
        raise InvalidProvider(f"a provider needs a base URL of at most {_URL_MAX} characters")
    if isinstance(lanes, bool) or not isinstance(lanes, int) or lanes < 1:
        raise InvalidProvider(f"lanes must be a whole number of at least 1, not {lanes!r}")
    secret = _secret_setting(settings)
    if secret:
        raise InvalidProvider(f"a provider's settings never hold a secret ({secret}): keep it in "
                            "the keyring, or name its environment variable (secret_env)")
    try:
        text = json.dumps(settings, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidProvider(f"a provider's settings must be plain JSON values ({exc})") from None
    return {"kind": kind, "base_url": base_url, "lanes": lanes, "settings": text}


def _secret_setting(value: Any, path: str = "") -> str:
    """The first setting, at any depth, whose name says it holds a secret ("" if none)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            low = str(key).lower()
            if not low.endswith("_env") and any(word in low for word in _SECRET_WORDS):
                return where
            found = _secret_setting(inner, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found = _secret_setting(inner, f"{path}[{index}]")
            if found:
                return found
    return ""


def _view(row: Provider) -> StoredProvider:
    return StoredProvider(id=row.id, name=row.name, kind=row.kind, base_url=row.base_url,
                          lanes=row.lanes, settings=json.loads(row.settings or "{}"),
                          created_at=row.created_at, updated_at=row.updated_at)


def first_provider(session: Session) -> StoredProvider | None:
    """The provider a batch goes to when none is named: the first one added (the Momentum of
    the old settings, upgraded, stays the default when sellers are added after it)."""
    found = session.scalars(select(Provider).order_by(Provider.id)).first()
    return None if found is None else _view(found)


def batch_provider(session: Session, batch_id: int) -> str | None:
    """The name of the provider a batch was sent to (None: the unnamed Momentum of the API URL,
    demo mode, or no such batch)."""
    return session.scalar(select(BatchJob.provider_name).where(BatchJob.id == batch_id))


def providers_of_open_batches(session: Session) -> list[str | None]:
    """The providers that open batches (pending, running, paused) were sent to, oldest batch's
    first; None for those sent to the unnamed Momentum or demo mode."""
    first_batch = func.min(BatchJob.id)
    return list(session.scalars(select(BatchJob.provider_name)
                                .where(BatchJob.status.in_(BATCH_OPEN))
                                .group_by(BatchJob.provider_name).order_by(first_batch)))
