"""Every Qt signal in the window is emitted through gui/qt_compat.emit (PySide6 6.12.0 drops a
reference to True on each raw `signal.emit()`, and Python aborts after some thousands). Read
from the source with `ast`: a raw `.emit(...)` call anywhere in bulkquote_gui/gui/ outside
qt_compat.py fails, with where."""

from __future__ import annotations

import ast
from pathlib import Path

import bulkquote_gui.gui

GUI = Path(bulkquote_gui.gui.__file__).resolve().parent


def raw_emits(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "emit"]


def test_the_check_finds_a_raw_emit():
    assert raw_emits("self.changed.emit(1)\nemit(self.changed, 1)\n") == [1]


def test_no_raw_emit_outside_the_wrapper():
    found = [f"{path.relative_to(GUI)}:{line}"
             for path in sorted(GUI.rglob("*.py")) if path.name != "qt_compat.py"
             for line in raw_emits(path.read_text(encoding="utf-8"))]
    assert found == [], f"emit through gui.qt_compat.emit: {found}"
