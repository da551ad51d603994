"""The error tree: every exception declared in playlists/errors.py, drawn at its top as it is."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from media import errors as media_errors
from playlists import errors
from tests.paths import REPO

_BRANCH = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w*Error)(?:\s|$)")


def drawn_parents(doc: str) -> dict[str, str | None]:
    """Read the tree drawn in a docstring as {class name: parent name}."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column, name) of the branch being drawn
    for line in doc.splitlines():
        match = _BRANCH.match(line)
        if match is None:
            continue
        column = len(match["lead"])
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((column, match["name"]))
    return parents


def declared(module: object) -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == getattr(module, "__name__", "")
    }


@pytest.mark.parametrize("module", [errors, media_errors], ids=["core", "media"])
def test_the_drawn_tree_is_the_class_tree(module: object) -> None:
    classes = declared(module)
    drawn = drawn_parents(inspect.getdoc(module) or "")
    assert set(drawn) == set(classes)
    for name, parent in drawn.items():
        bases = [b.__name__ for b in classes[name].__bases__]
        assert bases[0] == (parent or "Exception"), name


def _exception_classes_outside_errors_modules() -> list[str]:
    found = []
    for package in ("playlists", "web", "scheduler", "media"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path.name == "errors.py" and path.parent.name in ("playlists", "media"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    isinstance(base, ast.Name) and base.id.endswith(("Error", "Exception"))
                    for base in node.bases
                ):
                    found.append(f"{path.relative_to(REPO)}: {node.name}")
    return found


def test_no_exception_is_declared_outside_the_errors_modules() -> None:
    assert _exception_classes_outside_errors_modules() == [
        # Form-flow signals that never leave their view (the message is already translated);
        # left to the helpers reworking those forms in issue 16.
        "web/playlist_forms.py: Refused",
        "web/schedule_form.py: FormErrors",
        "web/town_emergency_views.py: Refused",
    ]
