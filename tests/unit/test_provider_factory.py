"""A quote provider's client is built in one place: core/quoting/factory.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bulkquote_gui
from bulkquote_gui.core.quoting.factory import MOMENTUM, build_client, check_url

PACKAGE = Path(bulkquote_gui.__file__).resolve().parent
FACTORY = PACKAGE / "core" / "quoting" / "factory.py"
ADAPTERS = {"MomentumClient", "SonataClient"}


def client_constructions(source: str) -> list[int]:
    """Lines where `source` calls an adapter's class (by name or as an attribute)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in ADAPTERS:
                lines.append(node.lineno)
    return lines


def test_only_the_factory_builds_a_provider_client():
    found = [f"{path.relative_to(PACKAGE)}: line {line}"
             for path in sorted(PACKAGE.rglob("*.py")) if path != FACTORY
             for line in client_constructions(path.read_text(encoding="utf-8"))]
    assert not found, "a client built outside core/quoting/factory.py:\n" + "\n".join(found)
    assert client_constructions(FACTORY.read_text(encoding="utf-8"))


def test_the_factory_builds_a_client_of_the_seam():
    with build_client("http://127.0.0.1:9", "sk-test-123", kind=MOMENTUM) as client:
        for call in ("submit", "find", "poll", "cancel", "health", "check_auth", "abort"):
            assert callable(getattr(client, call)), call


def test_an_unknown_provider_kind_is_named_in_one_line():
    with pytest.raises(ValueError, match=r"^unknown quote provider 'acme' \(known: momentum, sonata\)$"):
        build_client("https://api.example.com", "sk-test-123", kind="acme")


def test_the_factory_checks_the_url_before_any_key():
    with pytest.raises(ValueError, match="plain http:// to another computer"):
        check_url("http://api.example.com")
    check_url("http://api.example.com", allow_insecure_http=True)
