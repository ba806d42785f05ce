"""The suite's `--dist loadgroup` scheduler (tests/helpers/xdist_groups.py): a module marked
`pytestmark = pytest.mark.xdist_group(...)` is one unit of work, every other test its own."""

from __future__ import annotations

from types import SimpleNamespace

from tests.helpers.xdist_groups import make_scheduler


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
