"""States are one vocabulary: no module of bulkquote_gui/ spells a status as a string.

Read from the source with `ast` (nothing is imported). A string equal to a RowState or
BatchStatus value (or, in the engine, a StepResult value) is refused where it stands for a
status: compared (`==`, `in`, either side, or inside the tuple a value is tested against), as
a dict key, a subscript or a `.get()` key (`counts["failed"]`), given to a `status=`-style
keyword, assigned to a `status`-named target, returned, or in a collection made only of
status words (a copy of one of core/states.py's groups). A word in a sentence for people is
none of those, so "3 failed" stays. Only core/states.py (the vocabulary) and the store's
schema and models (its upgrade steps keep old literal SQL) may spell them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bulkquote_gui
from bulkquote_gui.core.engine.commands import StepResult
from bulkquote_gui.core.quoting.provider import QuoteStatus
from bulkquote_gui.core.states import BatchStatus, RowState

PACKAGE = Path(bulkquote_gui.__file__).resolve().parent
EXEMPT = {PACKAGE / "core" / "states.py", PACKAGE / "core" / "store" / "schema.py",
          PACKAGE / "core" / "store" / "models.py",
          # a seller's own state names (MEF 115: "cancelled", "expired", "pending"...) mapped
          # onto QuoteStatus: its keys are Sonata's words, not ours
          PACKAGE / "core" / "quoting" / "sonata" / "states.py"}
ENGINE = PACKAGE / "core" / "engine"
WORDS = {str(s) for s in (*RowState, *BatchStatus, *QuoteStatus)}
ENGINE_WORDS = WORDS | {str(s) for s in StepResult}


def _is_word(node: ast.AST, words: set[str]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words


def _named_status(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.lower().endswith("status")


def _elements(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return list(node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "frozenset", "set", "tuple") and node.args:
        return _elements(node.args[0])
    return []


def status_literals(source: str, words: set[str] = WORDS) -> list[str]:
    """Every place `source` spells a status as a string: 'line N: how'."""
    found: list[tuple[int, str]] = []

    def refuse(node: ast.AST, how: str) -> None:
        if _is_word(node, words):
            found.append((node.lineno, f"{node.value!r} {how}"))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                refuse(side, "compared")
                # `x in ("", "paused")` tests messages, not states; `x in ("a", "b")` is a copy
                elements = _elements(side)
                if len(elements) == 1 and _is_word(elements[0], words):
                    refuse(elements[0], "compared")
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    refuse(key, "as a dict key")
        elif isinstance(node, ast.Subscript):
            refuse(node.slice, "as a subscript")
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
                refuse(node.args[0], "as a .get() key")
            for keyword in node.keywords:
                if keyword.arg and keyword.arg.lower().endswith("status"):
                    refuse(keyword.value, f"given as {keyword.arg}=")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_named_status(t) for t in targets) and node.value is not None:
                refuse(node.value, "assigned to a status")
        elif isinstance(node, ast.Return) and node.value is not None:
            branches = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) \
                else [node.value]
            for branch in branches:
                refuse(branch, "returned")
        elements = _elements(node) if not isinstance(node, ast.Call) else []
        if len(elements) > 1 and all(_is_word(e, words) for e in elements):
            found.append((node.lineno, f"{[e.value for e in elements]} (a copy of a group of states)"))
    return [f"line {line}: {how}" for line, how in sorted(set(found))]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p not in EXEMPT)


def test_no_module_spells_a_status_as_a_string():
    modules = _modules()
    assert len(modules) > 100 and PACKAGE / "gui" / "pages" / "progress_page.py" in modules
    problems = []
    for path in modules:
        words = ENGINE_WORDS if ENGINE in path.parents else WORDS
        problems += [f"{path.relative_to(PACKAGE.parent)} {use}"
                     for use in status_literals(path.read_text(encoding="utf-8"), words)]
    assert not problems, ("use core/states.py's enums (RowState, BatchStatus, their groups), "
                          "QuoteStatus or StepResult:\n" + "\n".join(problems))


def test_the_check_sees_each_way_a_status_is_spelt():
    spelt = '''
if row.status == "failed": pass
if event.status in ("complete", "cancelled"): pass
if batch.status in ("paused",): pass
colours = {"polling": 1}
n = counts["complete"] + counts.get("failed", 0)
emit(status="paused")
batch.status = "running"
def f(): return "paused" if paused else status
ACTIVE = ("submitting", "polling")
'''
    assert len(status_literals(spelt)) == 10


def test_a_status_word_in_a_sentence_is_not_a_status():
    prose = '''
message = "3 failed, 2 cancelled"
log.info("failed")
raise ValueError("complete")
label.setText("Paused" if paused else "Running")
REP_PAUSES = ("", "paused", "paused by the user")
row.status == RowState.FAILED
'''
    assert status_literals(prose) == []
