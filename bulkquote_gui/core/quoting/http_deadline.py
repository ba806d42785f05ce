"""An overall deadline for one HTTP call, enforced on every socket read and write.

httpx's timeouts bound each network operation, not a whole call: a server that drips one byte
every few seconds keeps a call alive for hours without ever tripping a read timeout. This
module wraps httpcore's socket backend so every connect/read/write waits at most until the
deadline of the call currently running on this thread (a context variable the client sets
around each request), and fails at once with httpcore's own timeout errors once it has passed;
httpx turns those into `httpx.ReadTimeout`/`ConnectTimeout`/`WriteTimeout` as usual.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import typing
import urllib.request
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import httpcore
import httpx

from bulkquote_gui.core.quoting.loopback import is_loopback_host

# Absolute deadline (on the client's monotonic clock) of the call running in this context.
_deadline: ContextVar[float | None] = ContextVar("bulkquote_http_deadline", default=None)


@contextlib.contextmanager
def call_deadline(deadline: float) -> Iterator[None]:
    """Every socket operation inside this block finishes by `deadline` or times out."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _bounded(timeout: float | None, monotonic: Callable[[], float],
             error: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - monotonic()
    if remaining <= 0:
        raise error("the call's overall deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


# How long one socket read may block before the abort flag is looked at again.
_ABORT_CHECK_S = 0.2


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, monotonic: Callable[[], float],
                 abort: threading.Event) -> None:
        self._inner = inner
        self._monotonic = monotonic
        self._abort = abort

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read in short slices so that `abort` (set from another thread) ends a stalled read at once.

        A timed-out socket read consumes nothing, so retrying it is safe; writes are not sliced
        (a partial sendall cannot be retried), but requests are small.
        """
        op_end = None if timeout is None else self._monotonic() + timeout
        while True:
            if self._abort.is_set():
                raise httpcore.ReadError("the call was aborted")
            remaining = _bounded(None if op_end is None else op_end - self._monotonic(),
                                 self._monotonic, httpcore.ReadTimeout)
            if remaining is not None and remaining <= 0:
                raise httpcore.ReadTimeout("timed out")
            step = _ABORT_CHECK_S if remaining is None else min(remaining, _ABORT_CHECK_S)
            try:
                return self._inner.read(max_bytes, step)
            except httpcore.ReadTimeout:
                if remaining is not None and remaining <= step:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, self._monotonic, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _bounded(timeout, self._monotonic, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._monotonic, self._abort)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking socket backend with every wait cut short at the call's deadline."""

    def __init__(self, monotonic: Callable[[], float], abort: threading.Event) -> None:
        self._inner = httpcore.SyncBackend()
        self._monotonic = monotonic
        self._abort = abort

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, self._monotonic, httpcore.ConnectTimeout),
            local_address, socket_options)
        return _DeadlineStream(stream, self._monotonic, self._abort)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None
                            ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _bounded(timeout, self._monotonic, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream, self._monotonic, self._abort)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy the OS/environment names for `url` (HTTPS_PROXY, NO_PROXY...), as urllib reads it.

    None for this computer (every host momentum.check_api_url accepts as local: 127.0.0.2,
    [::ffff:127.0.0.1], localhost.) and for any plain http:// URL: a proxy reads a plain-http
    request whole, Authorization header included, so such a request goes straight to its host
    or nowhere. https:// goes through the proxy as an end-to-end TLS tunnel (CONNECT).
    """
    if url.scheme != "https" or is_loopback_host(url.host):
        return None
    if urllib.request.proxy_bypass(url.host):
        return None
    proxy = urllib.request.getproxies().get(url.scheme)
    return proxy if proxy and proxy.startswith(("http://", "https://")) else None


def deadline_transport(base_url: httpx.URL, monotonic: Callable[[], float],
                       abort: threading.Event) -> httpx.HTTPTransport:
    """A TLS-verifying transport (honouring an environment proxy) whose sockets obey call_deadline,
    and whose reads end within a fraction of a second once `abort` is set."""
    transport = httpx.HTTPTransport(verify=True, retries=0, proxy=proxy_for(base_url))
    pool = getattr(transport, "_pool", None)
    # httpcore keeps its backend in a private attribute; if a future version renames it, the
    # client still bounds the body by checking between chunks, just not a slow-drip header.
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = DeadlineBackend(monotonic, abort)
    return transport
