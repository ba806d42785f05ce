"""The package's shape, read from the source with `ast` (nothing is imported): the window stays
a composition root (main_window.py under 300 lines), no class in gui/ grows past 30 methods,
no module of bulkquote_gui imports another that imports it back (no import cycle), and gui/
starts work off the GUI thread only through gui/operations/ (the engine's QThread aside).

An import under `if TYPE_CHECKING:` counts (it hides a cycle from the interpreter, not from
the reader); one inside a function (imported on first use, the writers of an export) does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bulkquote_gui

PACKAGE = Path(bulkquote_gui.__file__).resolve().parent
GUI = PACKAGE / "gui"
MAX_WINDOW_LINES = 300
MAX_METHODS = 30
# Classes allowed over MAX_METHODS, each with why; shrink it, never grow it.
METHOD_ALLOW_LIST: dict[str, str] = {}
# A constructor builds a widget in a few named steps (`_build_*` parts or sub-widgets), each
# readable on its own: none in gui/ is longer than this.
MAX_INIT_LINES = 60


# What starts work off the GUI thread by hand. In gui/ only operations/ may (its Operation hands
# answers, errors and progress back on the GUI thread, drops stale ones, counts what runs),
# with background.py (its run_blocking) and worker.py (the engine's own QThread).
OFF_THREAD_NAMES = {"ensure_future", "create_task", "run_in_executor", "to_thread", "run_blocking",
                    "QThread", "Thread"}
OFF_THREAD_ALLOWED = ("operations/", "background.py", "worker.py")


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_imports(tree: ast.Module):
    """Import nodes at module level (under TYPE_CHECKING too), not those inside a function."""
    def walk(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            yield from walk(ast.iter_child_nodes(node))
    return walk(tree.body)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports at module level (a `from pkg import mod` counts
    as importing pkg.mod when that is a module)."""
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _module_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                bases = [a.name for a in node.names]
                names: list[str] = []
            else:
                base = node.module or ""
                if node.level:
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join(package + ([base] if base else []))
                bases = [base]
                names = [a.name for a in node.names]
            for base in bases:
                for candidate in [f"{base}.{n}" for n in names] or [base]:
                    if candidate in modules:
                        targets.add(candidate)
                    elif base in modules:
                        targets.add(base)
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def big_classes(root: Path = GUI, limit: int = MAX_METHODS) -> list[str]:
    """Every class under `root` with more than `limit` methods (FunctionDef in its body)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                n = sum(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) for b in node.body)
                if n > limit:
                    found.append(f"{path.relative_to(root.parent)}: {node.name} has {n} methods")
    return found


def off_thread_starts(root: Path = GUI) -> list[str]:
    """Each use of a name in OFF_THREAD_NAMES (called, imported or read) outside the allowed
    places, as "file:line name"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where.startswith(OFF_THREAD_ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Name):
                names = [node.id]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
            found += [f"{where}:{node.lineno} {n}" for n in names if n in OFF_THREAD_NAMES]
    return found


def test_gui_runs_work_off_its_thread_only_through_operations():
    found = off_thread_starts()
    assert not found, ("start it as an operations.Operation (progress, latest wins and "
                       "cancelling come with it):\n" + "\n".join(found))


def test_the_off_thread_check_sees_a_hand_made_thread(tmp_path):
    (tmp_path / "operations").mkdir()
    (tmp_path / "operations" / "runner.py").write_text("import asyncio\nasyncio.ensure_future(x)\n")
    (tmp_path / "page.py").write_text(
        "import asyncio, threading\n"
        "from PySide6.QtCore import QThread\n"
        "from bulkquote_gui.gui.background import run_blocking\n"
        "def load():\n"
        "    asyncio.ensure_future(run_blocking(f))\n"
        "    threading.Thread(target=f).start()\n"
        "    text = 'a QThread in a string is no thread'\n")
    assert off_thread_starts(tmp_path) == ["page.py:2 QThread", "page.py:3 run_blocking",
                                           "page.py:5 ensure_future", "page.py:5 run_blocking",
                                           "page.py:6 Thread"]


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_a_cycle(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.c\n")
    (pkg / "c.py").write_text("from . import a\ndef later():\n    import pkg.b\n")
    assert find_cycle(import_graph(pkg)) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (pkg / "c.py").write_text("def later():\n    from . import a\n")
    assert find_cycle(import_graph(pkg)) is None


def test_the_window_is_a_composition_root():
    lines = len((GUI / "main_window.py").read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_WINDOW_LINES, (
        f"main_window.py has {lines} lines (at most {MAX_WINDOW_LINES}): move the work into "
        "a controller in gui/controllers/")


def test_no_class_in_gui_has_more_than_30_methods():
    over = [line for line in big_classes() if line.split(": ")[1].split()[0] not in METHOD_ALLOW_LIST]
    assert not over, "split these classes:\n" + "\n".join(over)


def long_constructors(root: Path = GUI, limit: int = MAX_INIT_LINES) -> list[str]:
    """Every __init__ under `root` longer than `limit` lines (its def to its last line)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        lines = item.end_lineno - item.lineno + 1
                        if lines > limit:
                            found.append(f"{path.relative_to(root.parent)}: {node.name}.__init__ "
                                         f"has {lines} lines")
    return found


def test_no_constructor_in_gui_is_longer_than_60_lines():
    over = long_constructors()
    assert not over, "split these into _build_* parts or sub-widgets:\n" + "\n".join(over)


def test_the_constructor_length_sees_a_long_one(tmp_path):
    body = "".join(f"        self.a{i} = {i}\n" for i in range(59))
    (tmp_path / "long.py").write_text("class Long:\n    def __init__(self):\n" + body + "        pass\n")
    (tmp_path / "short.py").write_text("class Short:\n    def __init__(self):\n" + body)
    assert long_constructors(tmp_path) == [f"{tmp_path.name}/long.py: Long.__init__ has 61 lines"]


def test_the_method_count_sees_a_big_class(tmp_path):
    methods = "".join(f"    def m{i}(self): pass\n" for i in range(31))
    (tmp_path / "big.py").write_text("class Big:\n" + methods)
    (tmp_path / "small.py").write_text("class Small:\n" + methods.replace("    def m30(self): pass\n", ""))
    assert big_classes(tmp_path) == [f"{tmp_path.name}/big.py: Big has 31 methods"]
