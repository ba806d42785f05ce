"""A failed Test connection in the rep's words: what went wrong and what to check (the
technical words go in a tooltip, for IT)."""

from __future__ import annotations

from urllib.parse import urlsplit


def plain_failure(message: str, url: str) -> str:
    """The sentence for a failed test of the provider at `url`; `message` is the error's own."""
    host = urlsplit(url).hostname or url
    low = message.lower()
    if any(w in low for w in ("401", "403", "unauthorized", "forbidden", "api key",
                              "refused the", "invalid_client", "client id/secret")):
        return "The server answers but refuses these credentials. Check the key or secret."
    if any(w in low for w in ("connection failed", "refused", "errno 111", "unreachable",
                              "connecterror", "name or service", "nodename", "getaddrinfo")):
        return (f"Could not reach {host}: nothing answers there. Check the URL, and that you are "
                "on the network (or VPN) the provider is on.")
    if "timed out" in low or "timeout" in low:
        return f"{host} did not answer in time. Try again, or check the URL."
    if "not_momentum_api" in low or "404" in low:
        return f"{host} answers, but not as this kind of provider. Check the URL's path."
    if "certificate" in low or "ssl" in low:
        return f"{host}'s certificate is not trusted. Check the URL, or ask IT."
    return message[:1].upper() + message[1:]
