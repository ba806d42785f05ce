"""A duration as a rep reads it ("45 s", "3 min 20 s", "25 min", "2 h 05 min"): one wording for
the window's time-left line and the command line's progress bar."""

from __future__ import annotations


def duration_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:   # seconds matter while it is minutes away, not at half an hour
        return f"{minutes} min {seconds:02d} s" if minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
