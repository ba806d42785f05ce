"""`--dist loadgroup` that works: every test handed out on its own, except the modules marked
`pytestmark = pytest.mark.xdist_group("NAME")`, which go whole to one worker.

pytest-xdist 3.8 groups by appending "@NAME" to `item._nodeid` in the worker, but pytest 9.2
reads a node's id from `item._id`: the suffix never reaches the scheduler and every grouped
test was handed out alone (seen: test_export_golden's 20 tests on 4 workers, its module
fixture made 4 times). Here the scheduler itself (in the controller, which collects nothing)
reads each module's mark from its source, once per module.
"""

from __future__ import annotations

import re
from pathlib import Path

_MODULE_GROUP = re.compile(r"""^pytestmark\s*=\s*pytest\.mark\.xdist_group\(\s*["'](\w+)["']""",
                           re.MULTILINE)


def make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class WholeGroupedModules(LoadScopeScheduling):
        def __init__(self, config, log=None) -> None:
            super().__init__(config, log)
            self._root = Path(config.rootpath)
            self._groups: dict[str, str | None] = {}

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

    return WholeGroupedModules(config, log)
