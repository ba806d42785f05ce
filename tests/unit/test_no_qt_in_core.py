"""The core and services never import Qt (docs/architecture.md): checked in a fresh interpreter."""

import pkgutil
import subprocess
import sys

import bulkquote_gui.core
import bulkquote_gui.services


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_core_and_services_import_without_qt():
    names = _modules(bulkquote_gui.core) + _modules(bulkquote_gui.services)
    assert names, "no modules found"
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'qasync')))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported by core/services: {out.stdout}"
