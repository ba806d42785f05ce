"""The window never waits on the store: only gui/operations/ may import or call it.

Read from the source with `ast` (nothing is imported): any module of bulkquote_gui/gui/ outside
operations/ that imports `bulkquote_gui.core.store` (in any spelling), reaches it as an
attribute, or opens a session itself (`...session_factory()`) fails the test, with where.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bulkquote_gui.gui

GUI = Path(bulkquote_gui.gui.__file__).resolve().parent
STORE = "bulkquote_gui.core.store"
ALLOWED = GUI / "operations"


def _is_store(module: str) -> bool:
    return module == STORE or module.startswith(STORE + ".")


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def store_uses(source: str, package: str = "bulkquote_gui.gui") -> list[str]:
    """Every place `source` (a module of `package`) touches the store: 'line N: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [f"line {line}: import {a.name}" for a in node.names if _is_store(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the module's package
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                if _is_store(base) or _is_store(f"{base}.{alias.name}"):
                    found.append(f"line {line}: from {base} import {alias.name}")
        elif isinstance(node, ast.Attribute) and _is_store(_dotted(node)):
            found.append(f"line {line}: {_dotted(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_store(node.value):
            found.append(f"line {line}: {node.value!r} (imported by name)")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name == "session_factory" or name.endswith(".session_factory"):
                found.append(f"line {line}: {name}() opens a session")
    return found


def _gui_modules() -> list[Path]:
    return sorted(p for p in GUI.rglob("*.py") if ALLOWED not in p.parents)


def test_no_gui_module_outside_operations_touches_the_store():
    modules = _gui_modules()
    assert len(modules) > 20 and GUI / "main_window.py" in modules
    problems = []
    for path in modules:
        package = ".".join(("bulkquote_gui", "gui", *path.relative_to(GUI).parent.parts))
        problems += [f"{path.relative_to(GUI.parent)} {use}"
                     for use in store_uses(path.read_text(encoding="utf-8"), package)]
    assert not problems, "the store is for gui/operations/ only:\n" + "\n".join(problems)


def test_operations_are_where_the_store_is_used():
    uses = [use for path in ALLOWED.glob("*.py") for use in store_uses(path.read_text(encoding="utf-8"))]
    assert uses  # the check looks at the right thing: the operations do use the store


@pytest.mark.parametrize("source", [
    "from bulkquote_gui.core import store",
    "from bulkquote_gui.core import store as s",
    "import bulkquote_gui.core.store",
    "from bulkquote_gui.core.store import list_batches",
    "from bulkquote_gui.core.store.views import BatchSummary",
    "from ...core import store",
    "import bulkquote_gui.core\nbulkquote_gui.core.store.get_batch(None, 1)",
    "import importlib\nimportlib.import_module('bulkquote_gui.core.store')",
    "def f(self):\n    with self.context.session_factory() as session:\n        pass",
])
def test_the_check_catches_every_spelling(source):
    assert store_uses(source, "bulkquote_gui.gui.models"), source


def test_the_check_lets_the_rest_through():
    ok = ("from bulkquote_gui.core.events import BatchEvent\n"
          "from bulkquote_gui.gui.operations import batches\n"
          "batches.pause(self, self.context.session_factory, 1).run()\n")
    assert store_uses(ok) == []
