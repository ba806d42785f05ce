"""docs/architecture.md stays true to the tree.

Read from the files (nothing is imported): each package list of the Layers section (a heading
"#### `core/intake/`" and its lines "- `name` — …") names exactly the modules and subpackages
on disk; and every path the document names (`core/quoting/factory.py`, `tests/unit/…`,
`engine/lease.py`, a bare `leases.py`) exists. A module added, moved or removed without its
line, or a path left behind by a move, fails with its name.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "bulkquote_gui"
DOC = REPO / "docs" / "architecture.md"
# Where a relative path may start: the repository, the package, core/ and gui/ (the document
# says `store/accounts.py` and `operations/` where the section makes the layer plain).
BASES = (REPO, PACKAGE, PACKAGE / "core", PACKAGE / "gui")

# A path's first part that says it is one (not prose such as "pause/resume/cancel").
ROOTS = {"bulkquote_gui", "core", "gui", "services", "commands", "tests", "benchmarks", "docs",
         "resources", ".ci", "store", "engine", "quoting", "intake", "output", "operations",
         "controllers", "models", "pages", "dialogs", "widgets"}
HEADING = re.compile(r"^#### `([\w/]+)/`", re.MULTILINE)
ENTRY = re.compile(r"^- ((?:`\w+/?`(?:, )?)+)", re.MULTILINE)
PATH = re.compile(r"(?<![\w/.-])((?:\.ci|[A-Za-z_]\w*)/[\w*./-]*[\w*/])")
BARE_FILE = re.compile(r"(?<![\w/.-])(\w+\.(?:py|md))\b")


def package_lists(text: str) -> dict[str, set[str]]:
    """{package path: the names its list gives} for each "#### `pkg/`" heading."""
    lists = {}
    headings = list(HEADING.finditer(text))
    for n, heading in enumerate(headings):
        end = headings[n + 1].start() if n + 1 < len(headings) else text.index("\n## ", heading.end())
        names = set()
        for entry in ENTRY.finditer(text, heading.end(), end):
            names |= set(re.findall(r"`(\w+/?)`", entry.group(1)))
        lists[heading.group(1)] = names
    return lists


def on_disk(package: Path) -> set[str]:
    return ({p.stem for p in package.glob("*.py") if p.name != "__init__.py"}
            | {f"{d.name}/" for d in package.iterdir() if (d / "__init__.py").exists()})


def exists(path: str) -> bool:
    path = path.rstrip(".")
    candidates = [path, path.split("::")[0]]
    if "." in Path(path).name:   # core/quoting/momentum.clean_text: a module and a name in it
        candidates.append(str(Path(path).parent / Path(path).name.split(".")[0]) + ".py")
    for base in BASES:
        for candidate in candidates:
            if "*" in candidate and any(base.glob(candidate)):
                return True
            if (base / candidate).exists() or (base / f"{candidate}.py").exists():
                return True
    return False


def missing_paths(text: str) -> list[str]:
    """Paths and file names in `text` that name nothing in the repository."""
    named = {m.group(1) for m in PATH.finditer(text) if m.group(1).split("/")[0] in ROOTS}
    missing = sorted(p for p in named if not exists(p))
    files = {p.name for p in REPO.rglob("*") if ".git" not in p.parts and ".venv" not in p.parts}
    missing += sorted(f for f in set(BARE_FILE.findall(text)) if f not in files)
    return missing


def test_each_package_list_names_exactly_the_modules_on_disk():
    lists = package_lists(DOC.read_text(encoding="utf-8"))
    assert {"core", "core/intake", "core/quoting", "core/output", "gui", "gui/pages",
            "gui/dialogs", "gui/widgets", "gui/controllers", "commands"} <= set(lists)
    wrong = []
    for package, names in sorted(lists.items()):
        disk = on_disk(PACKAGE / package)
        if gone := sorted(names - disk):
            wrong.append(f"{package}/: the document lists {gone}, not on disk")
        if unlisted := sorted(disk - names):
            wrong.append(f"{package}/: on disk but not in its list {unlisted}")
    assert not wrong, "docs/architecture.md is out of step with the tree:\n" + "\n".join(wrong)


def test_every_path_the_document_names_exists():
    missing = missing_paths(DOC.read_text(encoding="utf-8"))
    assert not missing, "docs/architecture.md names paths that do not exist: " + ", ".join(missing)


def test_the_checks_see_a_stale_path_and_a_stale_list():
    assert missing_paths("see `core/flat_module.py` and `store/leases.py`, and DESIGN.md") == [
        "core/flat_module.py", "store/leases.py", "DESIGN.md"]
    assert not missing_paths("`core/quoting/momentum.clean_text`, `engine/lease.py`, "
                             "`tests/gui/test_store_outage*.py`, `gui/operations/`")
    lists = package_lists("#### `core/intake/`\nReading.\n- `readers` — x\n- `gone`, `limits` — y\n"
                          "\n## Next\n")
    assert lists == {"core/intake": {"readers", "gone", "limits"}}
