"""Languages: Chinese by default, English when the browser or the user asks for it."""

from __future__ import annotations

from flask import Flask, redirect, request, session, url_for
from flask_babel import Babel
from werkzeug.wrappers import Response

from playlists.settings import PanelSettings
from web.auth import safe_target
from web.state import settings

LANGUAGES = ("zh_CN", "en")


def select_locale() -> str:
    """Pick the user's choice, else the browser's preference, else the station default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    default = settings().panel.language
    return request.accept_languages.best_match(LANGUAGES, default=default) or default


def select_timezone() -> str:
    # Always the station's zone: an operator's phone may be set to anything.
    return settings().station.timezone


def set_language(code: str) -> Response:
    """Remember the chosen language in the session and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_target(request.args.get("next"), url_for("dashboard.index")))


def html_lang() -> str:
    """Return the BCP 47 tag of the page language, for ``<html lang>``."""
    return current_language().replace("_", "-")


def current_language() -> str:
    """Return the code (from LANGUAGES) of the page language."""
    return select_locale()


def init_app(app: Flask, panel: PanelSettings, timezone: str) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", panel.language)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", timezone)
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_url_rule("/language/<code>", "set_language", set_language)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["languages"] = {"zh_CN": "中文", "en": "English"}
