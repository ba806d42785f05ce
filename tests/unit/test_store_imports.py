"""The store's modules import one another without a cycle, at module level or inside a function
(a function-level import hides a cycle from Python, not from the design: each module has one
idea, and an idea that needs the one that needs it belongs in the other)."""

from __future__ import annotations

import ast
from pathlib import Path

import bulkquote_gui.core.store as store_package

STORE = Path(store_package.__file__).parent
PACKAGE = "bulkquote_gui.core.store"


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(STORE.glob("*.py")) if p.stem != "__init__"}


def _imports(path: Path, names: set[str]) -> set[str]:
    """The store modules `path` imports, wherever in the file the import is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith(PACKAGE + "."):
                head = target[len(PACKAGE) + 1:].split(".")[0]
                if head in names and head != path.stem:
                    found.add(head)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle (as a path back to its start) found by a depth-first walk."""
    cycles, done = [], set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                walk(nxt, path + [nxt])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            walk(start, [start])
    return cycles


def test_the_store_modules_import_one_another_without_a_cycle():
    modules = _modules()
    graph = {name: _imports(path, set(modules)) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_function_level_import(tmp_path):
    (tmp_path / "a.py").write_text(f"from {PACKAGE}.b import x\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(f"def f():\n    from {PACKAGE} import a\n", encoding="utf-8")
    graph = {p.stem: _imports(p, {"a", "b"}) for p in tmp_path.glob("*.py")}
    assert _cycles(graph) == [["a", "b", "a"]]


def _public(path: Path) -> list[str]:
    """The module's __all__, as written."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def _functions(path: Path) -> set[str]:
    return {node.name for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef)}


def test_every_store_module_names_its_public_api():
    for name, path in _modules().items():
        public = _public(path)
        assert public, f"core/store/{name}.py has no __all__"
        defined = set(dir(__import__(f"{PACKAGE}.{name}", fromlist=["_"])))
        assert set(public) <= defined, f"{name}.__all__ names what it lacks"


def _references(tree: ast.AST) -> set[str]:
    """Every name the code refers to, bare or as an attribute (a call, a callback passed on)."""
    return ({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)})


def test_every_public_store_function_has_a_caller_in_the_app():
    """A function of the store that only tests call is not the store's: it belongs with them
    (the app's use may be in the module itself: the function is then public for the tests)."""
    app = STORE.parent.parent
    used = set().union(*(_references(ast.parse(p.read_text(encoding="utf-8")))
                         for p in app.rglob("*.py")))
    lonely = [f"{name}.{function}" for name, path in _modules().items()
              for function in sorted(set(_public(path)) & _functions(path)) if function not in used]
    assert [f for f in lonely if f.split(".")[0] not in AWAITING_CALLERS] == []


# Store modules made ahead of the code that calls them, each with the work that will. Shrink it.
AWAITING_CALLERS: dict[str, str] = {}


def test_the_store_package_re_exports_nothing():
    """Callers import by aggregate (`from bulkquote_gui.core.store import rows as row_store`):
    the package's own namespace holds its docstring and nothing else."""
    tree = ast.parse((STORE / "__init__.py").read_text(encoding="utf-8"))
    assert [type(node).__name__ for node in tree.body] == ["Expr"]


def test_callers_import_each_aggregate_under_its_store_alias():
    """One rule for the whole tree (the package docstring): `rows as row_store`, never a bare
    `rows` that a local variable of the same name would hide."""
    app = STORE.parent.parent
    wrong = []
    for path in [*app.rglob("*.py"), *(app.parent / "tests").rglob("*.py")]:
        if STORE in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in (PACKAGE, "bulkquote_gui.core"):
                for alias in node.names:
                    module = f"{node.module}.{alias.name}"
                    if module == PACKAGE or (module.startswith(PACKAGE + ".")
                                             and not (alias.asname or "").endswith("_store")):
                        wrong.append(f"{path.name}:{node.lineno} {module} as {alias.asname}")
    assert wrong == []
