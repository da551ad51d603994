"""Pages of a long list (the as-run log, the audit log): which page, and how many."""

from __future__ import annotations

import math


def page_of(value: str | None, total: int, size: int) -> tuple[int, int]:
    """Read ?page= against `total` rows in pages of `size`: (page, pages), page in 1..pages.

    Anything that is not a whole number is the first page.
    """
    pages = max(1, math.ceil(total / size))
    try:
        number = int(value or 1)
    except ValueError:
        return 1, pages
    return min(max(number, 1), pages), pages
