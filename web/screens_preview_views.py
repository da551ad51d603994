"""A live preview of every configured screen (屏幕预览), for any logged-in user.

Each card frames the screen's own kiosk page (/screen/<name>), which polls the
player's state by itself, scaled down to the card. The scaling is CSS (container
units); the sizes come from config.yaml, so a small stylesheet made from the
settings carries them: the CSP forbids inline styles.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from web.auth import login_required
from web.state import settings

bp = Blueprint("screens_preview", __name__)


def size_key(width: int, height: int) -> str:
    return f"{width}x{height}"


@bp.route("/screens")
@login_required
def index() -> str:
    return render_template("screens.html", screens=settings().screens, size_key=size_key)


@bp.route("/screens/sizes.css")
@login_required
def sizes_css() -> Response:
    """Give each screen size its width and aspect ratio (integers from the settings)."""
    sizes = sorted({(screen.width, screen.height) for screen in settings().screens})
    rules = [
        f'.screen-preview[data-size="{size_key(w, h)}"] {{ --w: {w}px; aspect-ratio: {w} / {h}; }}'
        for w, h in sizes
    ]
    response = Response("\n".join(rules) + "\n", mimetype="text/css")
    response.cache_control.no_cache = True  # config.yaml may change at the next start
    return response
