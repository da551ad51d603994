"""What the browser tests check on every page they open: the page fits, a control is a target."""

from __future__ import annotations

from typing import Any

# True while nothing makes the page scroll sideways.
FITS_WIDTH = "() => document.documentElement.scrollWidth <= window.innerWidth"


def assert_tappable(locator: Any, width: int) -> None:
    """Assert a control is shown, at least 44 × 44 px (WCAG 2.5.5) and inside the width."""
    box = locator.bounding_box()
    assert box is not None, "shown"
    assert box["height"] >= 44 and box["width"] >= 44, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
