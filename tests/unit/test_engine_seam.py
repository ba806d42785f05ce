"""The engine knows quote providers only through the seam (core/quoting/provider.py).

Read from the source with `ast` (nothing is imported): any module under core/engine/ that imports
core.momentum in any spelling (absolute, relative, `from core import momentum`), or imports a
name that says Momentum (MomentumClient, a momentum_* helper), or names such a module in a string
(importlib), fails the test, with where.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bulkquote_gui.core.engine

ENGINE = Path(bulkquote_gui.core.engine.__file__).resolve().parent


def _momentum_named(name: str) -> bool:
    return "momentum" in name.lower()


def momentum_imports(source: str, package: str = "bulkquote_gui.core.engine") -> list[str]:
    """Every import in `source` (a module of `package`) that reaches a Momentum-named thing."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if _momentum_named(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names = [a.name for a in node.names]
            if _momentum_named(module) or any(_momentum_named(n) for n in names):
                found.append(f"line {node.lineno}: from {module} import {', '.join(names)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if "." in text and " " not in text and _momentum_named(text):
                found.append(f"line {node.lineno}: names module {text!r}")
    return found


def test_no_module_of_the_engine_imports_anything_momentum_named():
    modules = sorted(ENGINE.rglob("*.py"))
    assert len(modules) > 5   # the engine is where we think it is
    found = {f"{path.relative_to(ENGINE)}: {use}"
             for path in modules for use in momentum_imports(path.read_text(encoding="utf-8"))}
    assert not found, "the engine reaches past the provider seam:\n" + "\n".join(sorted(found))


@pytest.mark.parametrize("source", [
    "from bulkquote_gui.core.quoting.momentum import ApiError",
    "from bulkquote_gui.core.quoting import momentum",
    "import bulkquote_gui.core.quoting.momentum as m",
    "from ..momentum import TransientError",
    "from bulkquote_gui.core.quoting.momentum_adapter import Client",
    "from bulkquote_gui.core.quoting.factory import MomentumClient",
    "importlib.import_module('bulkquote_gui.core.quoting.momentum')",
])
def test_the_rule_sees_every_spelling(source):
    assert momentum_imports(source)


def test_the_rule_lets_the_seam_and_plain_words_through():
    assert not momentum_imports("from bulkquote_gui.core.quoting.provider import ProviderError\n"
                                "from .api_gate import ApiGate\n"
                                "MESSAGE = 'the Momentum API refused the API key'\n")
