"""docs/architecture.md holds: the arrows between the packages, and the module list."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from tests.paths import REPO

# package -> top-level names its modules must never import
FORBIDDEN = {
    "playlists": {
        "flask",
        "flask_babel",
        "werkzeug",
        "waitress",
        "apscheduler",
        "web",
        "scheduler",
    },
    "media": {"flask", "werkzeug", "apscheduler", "playlists", "web", "scheduler"},
    "web": {"scheduler", "apscheduler"},
    "scheduler": {"web", "flask", "flask_babel", "werkzeug", "waitress"},
}


def imported_names(path: Path) -> set[str]:
    """Return the top-level package of every import in a module, lazy ones included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "module",
    [p for pkg in FORBIDDEN for p in sorted((REPO / pkg).rglob("*.py"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_a_module_imports_only_what_its_layer_may(module: Path) -> None:
    package = module.relative_to(REPO).parts[0]
    assert not imported_names(module) & FORBIDDEN[package]


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "x.py"
    module.write_text("def f():\n    from scheduler.player import Player\n")
    assert imported_names(module) & FORBIDDEN["web"] == {"scheduler"}


def load_module_tree() -> object:
    loader = importlib.machinery.SourceFileLoader("module_tree", str(REPO / "scripts/module-tree"))
    spec = importlib.util.spec_from_loader("module_tree", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_module_list_is_the_code_as_it_is() -> None:
    tree = load_module_tree()
    text = (REPO / "docs/architecture.md").read_text(encoding="utf-8")
    assert tree.document(text) == text, "run scripts/module-tree --write"  # type: ignore[attr-defined]


def test_every_module_says_what_it_is() -> None:
    tree = load_module_tree()
    listing = tree.tree()  # type: ignore[attr-defined]
    silent = [line for line in listing.splitlines() if len(line) <= tree.WIDTH]  # type: ignore[attr-defined]
    assert silent == []
