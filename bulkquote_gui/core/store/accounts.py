"""The install id, accounts (provider kind + API URL + salted key fingerprint) and their leases.

A lease says which process quotes for an account's lane (lane 0 until a provider allows several
quotes in progress; each lane is a lease of its own). Its `token` grows with every new holder of
that lane and is the fence: every write that precedes a side effect (`submitting` before a POST,
giving up before a DELETE) renews the lease *on the condition that the token is still ours*, in
the same transaction as the write. A holder that slept past its expiry and was taken over finds its
token gone and steps back; one whose lease merely expired, with nobody taking it, still holds
the newest token, so carrying on is safe.

Times are the holders' own clocks: clock skew between laptops moves when a takeover may happen,
never whether two holders can both send (the token decides that).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store.models import (
    DEFAULT_PROVIDER_KIND,
    Account,
    AccountLease,
    StoreMeta,
    utcnow,
)

__all__ = ["LEASE_IS_OURS", "AccountRef", "Fence", "Holder", "LeaseLost", "LeaseState",
           "acquire_lease", "ensure_account", "install_id", "read_lease", "release_lease",
           "renew_lease", "set_waiting"]

_INSTALL_ID = "install_id"
_FINGERPRINT_SALT = "fingerprint_salt"


# --------------------------------------------------------------------------- install id

def _meta(session_factory: sessionmaker[Session], key: str, make: str) -> str:
    """The value stored under `key`, storing `make` first if there is none (first writer wins)."""
    with session_factory() as session:
        value = session.scalar(select(StoreMeta.value).where(StoreMeta.key == key))
    if value is not None:
        return value
    try:
        with session_factory.begin() as session:
            session.execute(insert(StoreMeta).values(key=key, value=make))
    except IntegrityError:
        pass  # another process stored it first: use theirs
    with session_factory() as session:
        return session.scalar(select(StoreMeta.value).where(StoreMeta.key == key)) or make


def install_id(session_factory: sessionmaker[Session]) -> str:
    """A short random id made with the database; it prefixes every request's `reference`, so two
    installs on one account never send the same reference."""
    return _meta(session_factory, _INSTALL_ID, "bq-" + secrets.token_hex(3))


def key_fingerprint(session_factory: sessionmaker[Session], api_key: str) -> str:
    """A salted hash of the key (salt kept in this database): tells accounts apart, reveals nothing."""
    salt = _meta(session_factory, _FINGERPRINT_SALT, secrets.token_hex(16))
    return hashlib.sha256(f"{salt}:{api_key.strip()}".encode()).hexdigest()[:32]


# --------------------------------------------------------------------------- accounts

@dataclass(frozen=True)
class AccountRef:
    id: int
    api_url: str
    key_fingerprint: str
    provider: str = DEFAULT_PROVIDER_KIND


def ensure_account(session_factory: sessionmaker[Session], api_url: str, api_key: str,
                   provider: str = DEFAULT_PROVIDER_KIND) -> AccountRef:
    """The account of this provider kind, URL and key, made (with lane 0's empty lease) on first
    use. The same URL and key under another kind is another account, with leases of its own."""
    url = api_url.strip().rstrip("/")
    fingerprint = key_fingerprint(session_factory, api_key)
    found = _find_account(session_factory, provider, url, fingerprint)
    if found is not None:
        return found
    try:
        with session_factory.begin() as session:
            account_id = session.scalar(insert(Account).values(
                provider=provider, api_url=url, key_fingerprint=fingerprint, created_at=utcnow())
                .returning(Account.id))
            session.execute(insert(AccountLease).values(account_id=account_id, lane=0,
                                                        instance_id="", holder="", token=0,
                                                        waiting=""))
    except IntegrityError:
        pass  # made by another process at the same moment
    found = _find_account(session_factory, provider, url, fingerprint)
    assert found is not None
    return found


def _find_account(session_factory: sessionmaker[Session], provider: str, url: str,
                  fingerprint: str) -> AccountRef | None:
    with session_factory() as session:
        row = session.execute(select(Account.id, Account.api_url, Account.key_fingerprint,
                                     Account.provider).where(
            Account.provider == provider, Account.api_url == url,
            Account.key_fingerprint == fingerprint)).first()
    return None if row is None else AccountRef(row.id, row.api_url, row.key_fingerprint,
                                               row.provider)


# --------------------------------------------------------------------------- leases

@dataclass(frozen=True)
class Holder:
    """Who asks for a lease: this process's random instance id and a line a person can read."""

    instance_id: str
    description: str   # "laptop-7 pid 4242 (window)"


@dataclass(frozen=True)
class LeaseState:
    """A lease as read from the store."""

    account_id: int
    instance_id: str
    holder: str
    token: int
    expires_at: datetime | None
    waiting: str = ""
    waiting_message: str = ""
    blocker_id: str | None = None
    waiting_since: datetime | None = None
    lane: int = 0

    def held_at(self, now: datetime) -> bool:
        return bool(self.instance_id) and self.expires_at is not None and self.expires_at > now


class LeaseLost(Exception):
    """Our token is no longer the account's: another holder took over. Step back at once."""


def _ensure_lane(session_factory: sessionmaker[Session], account_id: int, lane: int) -> None:
    """The empty lease of a lane other than 0 (lane 0's is made with the account), on first use."""
    with session_factory() as session:
        if session.get(AccountLease, (account_id, lane)) is not None:
            return
    try:
        with session_factory.begin() as session:
            session.execute(insert(AccountLease).values(account_id=account_id, lane=lane,
                                                        instance_id="", holder="", token=0,
                                                        waiting=""))
    except IntegrityError:
        pass  # made by another process at the same moment


def acquire_lease(session_factory: sessionmaker[Session], account_id: int, holder: Holder,
                  now: datetime, ttl_s: float, lane: int = 0) -> int | None:
    """Take the lease of the account's lane if nobody holds it (or its holder's expired): the
    new token, or None when someone else holds it. A holder that asks again keeps its token
    (renewed)."""
    if lane:
        _ensure_lane(session_factory, account_id, lane)
    expires = now + timedelta(seconds=ttl_s)
    this_lane = and_(AccountLease.account_id == account_id, AccountLease.lane == lane)
    with session_factory.begin() as session:
        mine = session.execute(
            update(AccountLease).where(this_lane, AccountLease.instance_id == holder.instance_id)
            .values(heartbeat_at=now, expires_at=expires)).rowcount
        if not mine:
            taken = session.execute(
                update(AccountLease).where(
                    this_lane,
                    (AccountLease.instance_id == "") | (AccountLease.expires_at < now)
                    | AccountLease.expires_at.is_(None))
                .values(instance_id=holder.instance_id, holder=holder.description,
                        token=AccountLease.token + 1, acquired_at=now, heartbeat_at=now,
                        expires_at=expires, waiting="", waiting_message="", blocker_id=None,
                        waiting_since=None)).rowcount
            if not taken:
                return None
        return session.scalar(select(AccountLease.token).where(this_lane))


# The fence's condition, with Fence.params(): this holder still has this token. Built once
# (the fence runs once per quote), with bound parameters.
_TOKEN_IS_OURS = and_(AccountLease.account_id == bindparam("p_account"),
                      AccountLease.lane == bindparam("p_lane"),
                      AccountLease.token == bindparam("p_token"),
                      AccountLease.instance_id == bindparam("p_instance"))
# For a write fenced in its own statement (rows.mark_submitting): on PostgreSQL FOR SHARE holds
# the lease row until the write commits, so a takeover cannot slip in between the check and the
# write (SQLite has one writer at a time anyway).
LEASE_IS_OURS = exists(select(AccountLease.account_id).where(_TOKEN_IS_OURS)
                       .with_for_update(read=True))
_RENEW = (update(AccountLease).where(_TOKEN_IS_OURS)
          .values(heartbeat_at=bindparam("p_now", type_=AccountLease.heartbeat_at.type),
                  expires_at=bindparam("p_expires", type_=AccountLease.expires_at.type)))


def renew_lease(session: Session, account_id: int, holder: Holder, token: int, now: datetime,
                ttl_s: float, lane: int = 0) -> None:
    """The fence, inside the caller's transaction: renew on condition the token is still ours.

    Raises LeaseLost otherwise (the caller's transaction is then rolled back). On PostgreSQL the
    UPDATE also locks the lease row until the caller commits, so a takeover cannot slip in
    between this check and the write it guards.
    """
    renewed = session.connection().execute(_RENEW, {
        **_token_params(account_id, holder, token, lane),
        "p_now": now, "p_expires": now + timedelta(seconds=ttl_s)}).rowcount
    if not renewed:
        raise LeaseLost(f"the lease of account {account_id} lane {lane} was taken over "
                        f"(token {token} is gone)")


@dataclass(frozen=True)
class Fence:
    """What a fenced write checks: this holder still has this token on this account's lane."""

    account_id: int
    holder: Holder
    token: int
    ttl_s: float
    lane: int = 0

    def check(self, session: Session, now: datetime) -> None:
        renew_lease(session, self.account_id, self.holder, self.token, now, self.ttl_s, self.lane)

    def params(self) -> dict[str, Any]:
        """LEASE_IS_OURS's bound parameters, for a write fenced in its own statement."""
        return _token_params(self.account_id, self.holder, self.token, self.lane)


def _token_params(account_id: int, holder: Holder, token: int, lane: int) -> dict[str, Any]:
    return {"p_account": account_id, "p_lane": lane, "p_token": token,
            "p_instance": holder.instance_id}


def release_lease(session_factory: sessionmaker[Session], account_id: int, holder: Holder,
                  token: int, lane: int = 0) -> bool:
    """Give the lease up (clean stop): the next process takes it at once, not after expiry."""
    with session_factory.begin() as session:
        return session.execute(
            update(AccountLease).where(AccountLease.account_id == account_id,
                                       AccountLease.lane == lane,
                                       AccountLease.token == token,
                                       AccountLease.instance_id == holder.instance_id)
            .values(instance_id="", holder="", expires_at=None, waiting="", waiting_message="",
                    blocker_id=None, waiting_since=None)).rowcount > 0


def read_lease(session: Session, account_id: int, lane: int = 0) -> LeaseState | None:
    row = session.get(AccountLease, (account_id, lane), populate_existing=True)
    if row is None:
        return None
    return LeaseState(account_id=row.account_id, instance_id=row.instance_id, holder=row.holder,
                      token=row.token, expires_at=row.expires_at, waiting=row.waiting or "",
                      waiting_message=row.waiting_message or "", blocker_id=row.blocker_id,
                      waiting_since=row.waiting_since, lane=row.lane)


def set_waiting(session_factory: sessionmaker[Session], account_id: int, token: int,
                waiting: str, message: str = "", blocker_id: str | None = None,
                now: datetime | None = None, lane: int = 0) -> None:
    """Say (for every reader of the store) why the holder is not sending; "" clears it."""
    with session_factory.begin() as session:
        session.execute(update(AccountLease).where(AccountLease.account_id == account_id,
                                                   AccountLease.lane == lane,
                                                   AccountLease.token == token)
                        .values(waiting=waiting, waiting_message=message, blocker_id=blocker_id,
                                waiting_since=now if waiting else None))
