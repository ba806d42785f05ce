"""The command line's own checks: a bad value is one line naming the option, and exit 2."""

from __future__ import annotations

import pytest

from bulkquote_gui import cli


def _refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        cli.main(list(argv))
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("option, value", [
    ("--quote-timeout", "nan"), ("--quote-timeout", "inf"), ("--quote-timeout", "1e308"),
    ("--quote-timeout", "5"), ("--quote-timeout", "-1"),
    ("--poll-interval", "nan"), ("--poll-interval", "1e-300"), ("--poll-interval", "0.5"),
    ("--poll-interval", "inf"), ("--poll-interval", "3601"), ("--poll-interval", "x"),
])
def test_seconds_outside_the_settings_ranges_are_refused(capsys, monkeypatch, option, value):
    """Settings take a poll of 1-3,600 s and a timeout of 10 s-24 h: so does the command line."""
    monkeypatch.delenv("BULKQUOTE_TEST_TIMING", raising=False)
    line = _refused(capsys, option, value, "status")
    assert option in line and value in line


@pytest.mark.parametrize("value", ["nan", "inf", "0"])
def test_the_simulators_time_scale_must_be_a_finite_positive_number(capsys, value):
    line = _refused(capsys, "simulator", "--time-scale", value)
    assert "--time-scale" in line
