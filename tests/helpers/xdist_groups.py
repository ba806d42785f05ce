"""`--dist loadgroup` that works: every test handed out on its own, except the modules marked
`pytestmark = pytest.mark.xdist_group("NAME")`, which go whole to one worker.

pytest-xdist 3.8 groups by appending "@NAME" to `item._nodeid` in the worker, but pytest 9.2
reads a node's id from `item._id`: the suffix never reaches the scheduler and every grouped
test was handed out alone (seen: test_export_golden's 20 tests on 4 workers, its module
fixture made 4 times). Here the scheduler itself (in the controller, which collects nothing)
reads each module's mark from its source, once per module.

Units go out longest first (tests/durations.json, the time each slow test took in a recorded
run): handed out in file order, a 2-minute test met late left one worker running alone at the
end while the others had finished. A test not in the file counts as short and keeps its place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_MODULE_GROUP = re.compile(r"""^pytestmark\s*=\s*pytest\.mark\.xdist_group\(\s*["'](\w+)["']""",
                           re.MULTILINE)
DURATIONS = "tests/durations.json"
SHORT_S = 0.2   # a test the file does not name


def load_durations(root: Path) -> dict[str, float]:
    """nodeid -> seconds of the recorded run; empty when the file is missing or unreadable."""
    try:
        found = json.loads((root / DURATIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in found.items()} if isinstance(found, dict) else {}


def make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class WholeGroupedModules(LoadScopeScheduling):
        def __init__(self, config, log=None) -> None:
            super().__init__(config, log)
            self._root = Path(config.rootpath)
            self._groups: dict[str, str | None] = {}
            self._durations = load_durations(self._root)
            self._ordered = False

        def _group_of(self, module: str) -> str | None:
            if module not in self._groups:
                try:
                    found = _MODULE_GROUP.search((self._root / module).read_text(encoding="utf-8"))
                except OSError:
                    found = None
                self._groups[module] = found.group(1) if found else None
            return self._groups[module]

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return self._group_of(module) or nodeid

        def unit_seconds(self, nodeids) -> float:
            return sum(self._durations.get(nodeid, SHORT_S) for nodeid in nodeids)

        def _assign_work_unit(self, node) -> None:
            if not self._ordered:   # the queue is complete at the first hand-out
                units = sorted(self.workqueue.items(), key=lambda unit: -self.unit_seconds(unit[1]))
                self.workqueue.clear()
                self.workqueue.update(units)
                self._ordered = True
            super()._assign_work_unit(node)

    return WholeGroupedModules(config, log)
