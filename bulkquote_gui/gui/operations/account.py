"""Operations on the Momentum account as a whole: cancelling another client's quote that holds
up the account's one-in-flight line (only ever at the rep's explicit request)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject

from bulkquote_gui.gui.operations import Operation

if TYPE_CHECKING:
    from bulkquote_gui.core.quoting.factory import ProviderClient

# cancel_blocking_quote(client, session_factory, quote_id) -> anything (ignored)
Unblock = Callable[[Any, Any, str], Any]


def _engine_unblock() -> Unblock:
    try:
        from bulkquote_gui.core.engine.unblock import cancel_blocking_quote
    except ImportError as exc:  # the engine package is not in this build yet
        raise RuntimeError("this version of BulkQuote cannot cancel another client's quote") from exc
    return cancel_blocking_quote


def cancel_blocking_quote(parent: QObject, sessions: Any, make_client: Callable[[], ProviderClient],
                          quote_id: str,
                          *, unblock: Unblock | None = None) -> Operation[str]:
    """DELETE the quote `quote_id` that blocks the account; hands back its id.

    `make_client` builds a client for the account (closed here once done); `unblock` is the
    engine's cancel_blocking_quote unless given (tests give a fake). On the I/O pool, not the
    command thread: a slow API must not hold the rep's Pause behind it.
    """
    from bulkquote_gui.core.quoting.provider import ProviderError  # refusals are news, not bugs

    def work(sf: Any) -> str:
        cancel = unblock or _engine_unblock()
        client = make_client()
        try:
            cancel(client, sf, quote_id)
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        return quote_id

    return Operation(parent, work, sessions, expected=(ProviderError, RuntimeError))
