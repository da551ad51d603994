"""Pages of a long list (the as-run log, the audit log): which page, and how many."""

from __future__ import annotations

import math
import re


def page_of(value: str | None, total: int, size: int) -> tuple[int, int]:
    """Read ?page= against `total` rows in pages of `size`: (page, pages), page in 1..pages.

    Anything that is not a whole number of up to 9 ASCII digits is the first page.
    """
    pages = max(1, math.ceil(total / size))
    if not value or not re.fullmatch(r"[0-9]{1,9}", value):
        return 1, pages
    return min(max(int(value), 1), pages), pages
