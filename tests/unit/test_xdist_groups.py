"""The suite's `--dist loadgroup` scheduler (tests/helpers/xdist_groups.py): a module marked
`pytestmark = pytest.mark.xdist_group(...)` is one unit of work, every other test its own."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tests.helpers.record_durations import durations
from tests.helpers.xdist_groups import load_durations, make_scheduler


def _config(root):
    options = {"tx": ["popen"] * 4, "numprocesses": 4, "dist": "loadgroup", "loadscopereorder": True}
    return SimpleNamespace(rootpath=root, option=SimpleNamespace(**options),
                           getvalue=options.get, getoption=options.get)


def test_a_marked_module_is_one_unit_and_other_tests_go_one_by_one(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_whole.py").write_text(
        'import pytest\n\n# made once\npytestmark = pytest.mark.xdist_group("expensive")\n')
    (tmp_path / "tests" / "test_loose.py").write_text(
        'import pytest\n\n@pytest.mark.xdist_group("not_module_level")\ndef test_c(): pass\n')
    scheduler = make_scheduler(_config(tmp_path), None)
    scopes = {nodeid: scheduler._split_scope(nodeid) for nodeid in (
        "tests/test_whole.py::test_a[1]", "tests/test_whole.py::test_b",
        "tests/test_loose.py::test_c", "tests/test_loose.py::test_d", "tests/gone.py::test_e")}
    assert scopes == {
        "tests/test_whole.py::test_a[1]": "expensive", "tests/test_whole.py::test_b": "expensive",
        "tests/test_loose.py::test_c": "tests/test_loose.py::test_c",
        "tests/test_loose.py::test_d": "tests/test_loose.py::test_d",
        "tests/gone.py::test_e": "tests/gone.py::test_e"}


def test_the_suites_expensive_modules_are_marked():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    scheduler = make_scheduler(_config(root), None)
    for module, group in {"tests/corpus/test_hostile_files.py": "hostile_corpus",
                          "tests/integration/test_crash_resume.py": "crash_resume",
                          "tests/integration/test_database_restart.py": "database_restart",
                          "tests/unit/test_export_golden.py": "export_golden"}.items():
        assert scheduler._split_scope(f"{module}::test_x") == group


class _Worker:
    """What the scheduler asks of a worker: the indexes of the tests it is sent."""

    def __init__(self) -> None:
        self.sent: list[list[int]] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)


def test_units_go_out_longest_first_and_unknown_tests_keep_their_place(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_whole.py").write_text(
        'import pytest\npytestmark = pytest.mark.xdist_group("whole")\n')
    (tmp_path / "tests" / "durations.json").write_text(json.dumps({
        "tests/test_a.py::test_slow": 60.0, "tests/test_a.py::test_mid": 5.0,
        "tests/test_whole.py::test_1": 3.0, "tests/test_whole.py::test_2": 3.5}))
    collection = ["tests/test_a.py::test_quick_1", "tests/test_a.py::test_mid",
                  "tests/test_whole.py::test_1", "tests/test_whole.py::test_2",
                  "tests/test_a.py::test_quick_2", "tests/test_a.py::test_slow"]
    scheduler = make_scheduler(_config(tmp_path), None)
    worker = _Worker()
    scheduler.registered_collections[worker] = collection
    for nodeid in collection:
        scheduler.workqueue.setdefault(scheduler._split_scope(nodeid), {})[nodeid] = False
    while scheduler.workqueue:
        scheduler._assign_work_unit(worker)
    sent = [[collection[i] for i in unit] for unit in worker.sent]
    assert sent == [["tests/test_a.py::test_slow"],
                    ["tests/test_whole.py::test_1", "tests/test_whole.py::test_2"],   # 6.5 s
                    ["tests/test_a.py::test_mid"],
                    ["tests/test_a.py::test_quick_1"], ["tests/test_a.py::test_quick_2"]]


def test_a_missing_or_broken_durations_file_leaves_the_file_order(tmp_path):
    (tmp_path / "tests").mkdir()
    assert load_durations(tmp_path) == {}
    (tmp_path / "tests" / "durations.json").write_text("{not json")
    assert load_durations(tmp_path) == {}


def test_the_recorder_names_tests_as_pytest_does(tmp_path):
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_x.py").write_text("")
    report = tmp_path / "run.xml"
    report.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.unit.test_x" name="test_a[1-b]" time="2.345"/>'
        '<testcase classname="tests.unit.test_x.TestY" name="test_b" time="1.0"/>'
        '<testcase classname="tests.unit.test_x" name="test_quick" time="0.3"/>'
        '</testsuite></testsuites>')
    assert durations(report, tmp_path) == {"tests/unit/test_x.py::TestY::test_b": 1.0,
                                           "tests/unit/test_x.py::test_a[1-b]": 2.3}


def test_the_recorded_durations_name_tests_that_exist():
    """A renamed module leaves its entries behind: the order then forgets it, quietly."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    recorded = load_durations(root)
    assert len(recorded) > 50
    missing = sorted({n.split("::")[0] for n in recorded} - {
        str(p.relative_to(root)) for p in (root / "tests").rglob("test_*.py")})
    assert missing == []
