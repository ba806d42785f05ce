"""The rep's company logo for the proposal: read once and checked, so a wrong file is told in
one sentence at Settings or proposal time, never found broken inside a customer's PDF."""

from __future__ import annotations

from pathlib import Path

__all__ = ["MAX_LOGO_BYTES", "LogoError", "read_logo"]

# A logo is a few hundred kB at most; a larger file is a photo or a mistake and would swell
# every proposal sent by e-mail.
MAX_LOGO_BYTES = 2 * 1024 * 1024
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class LogoError(ValueError):
    """A logo file that cannot go into a proposal; the message names the file and why."""


def read_logo(path: str | Path) -> bytes:
    """The logo's bytes: a PNG or JPEG file of at most MAX_LOGO_BYTES."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise LogoError(f"logo file {path} is {size / 1024 / 1024:.1f} MB: a logo must be at "
                            f"most {MAX_LOGO_BYTES // 1024 // 1024} MB")
        data = path.read_bytes()
    except LogoError:
        raise
    except IsADirectoryError:
        raise LogoError(f"logo file {path} is a folder, not a picture") from None
    except OSError as exc:
        raise LogoError(f"cannot read logo file {path}: {exc.strerror or exc}") from None
    if not any(data.startswith(sig) for sig in _SIGNATURES):
        raise LogoError(f"logo file {path} is not a PNG or JPEG picture")
    return data
