"""Write tests/durations.json from a JUnit XML report, for the scheduler's longest-first order:

    python -m pytest -n 4 --dist loadgroup --junitxml=run.xml -o junit_duration_report=call tests
    python -m tests.helpers.record_durations run.xml

Only tests of at least MIN_S are kept (the rest count as short); seconds rounded to 0.1.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIN_S = 1.0


def nodeid(classname: str, name: str, root: Path = REPO) -> str:
    """JUnit's "tests.unit.test_x.TestY" + "test_z[1]" -> "tests/unit/test_x.py::TestY::test_z[1]"."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        if (root / module).is_file():
            return "::".join([module, *parts[cut:], name])
    return "::".join(["/".join(parts) + ".py", name])


def durations(report: Path, root: Path = REPO) -> dict[str, float]:
    found = {}
    for case in ET.parse(report).iter("testcase"):
        seconds = float(case.get("time") or 0)
        if seconds >= MIN_S:
            found[nodeid(case.get("classname", ""), case.get("name", ""), root)] = round(seconds, 1)
    return dict(sorted(found.items()))


if __name__ == "__main__":
    out = REPO / "tests" / "durations.json"
    out.write_text(json.dumps(durations(Path(sys.argv[1])), indent=0) + "\n", encoding="utf-8")
    print(f"{out}: {len(json.loads(out.read_text()))} tests")
