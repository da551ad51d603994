"""The screens preview: a card per configured screen framing its kiosk page, and who may frame."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.settings import ScreenSettings, Settings
from playlists.store import Store
from tests.web_fixtures import add_user, log_in, make_app

ODD_NAME = '东"屏"<b>'


@pytest.fixture
def client(app: Flask, store: Store) -> FlaskClient:
    add_user(store, "li", "reviewer")  # the least role: anyone logged in sees the screens
    client = app.test_client()
    log_in(client, "li")
    return client


def cards(html: str) -> list[str]:
    return re.findall(r'<section class="card screen-card".*?</section>', html, re.S)


def frame_ancestors(csp: str) -> list[str]:
    for directive in csp.split(";"):
        name, *values = directive.split()
        if name == "frame-ancestors":
            return values
    return []


def test_a_card_per_screen_frames_its_kiosk_page(client: FlaskClient, settings: Settings) -> None:
    response = client.get("/screens")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>屏幕</h1>" in html
    found = cards(html)
    assert len(found) == len(settings.screens) == 3
    for card, screen in zip(found, settings.screens, strict=True):
        assert screen.label and f"<h2>{screen.label} " in card  # the panel's name, not "led-bar"
        assert f"{screen.width} × {screen.height} 像素" in card
        assert f'data-size="{screen.width}x{screen.height}"' in card
        assert (
            f'<iframe src="/screen/{screen.name}" width="{screen.width}" height="{screen.height}"'
        ) in card
        assert f'title="屏幕 {screen.label}"' in card
        assert f'href="/screen/{screen.name}" target="_blank" rel="noopener">以原尺寸打开' in card


def test_the_page_has_no_inline_style_or_script(client: FlaskClient) -> None:
    html = client.get("/screens").get_data(as_text=True)
    assert " style=" not in html and "<style" not in html and "<script>" not in html
    assert '<link rel="stylesheet" href="/screens/sizes.css">' in html
    assert '<script src="/static/screens.js"></script>' in html


def test_sizes_stylesheet_gives_each_size_its_width_and_ratio(client: FlaskClient) -> None:
    response = client.get("/screens/sizes.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert '.screen-preview[data-size="352x80"] { --w: 352px; aspect-ratio: 352 / 80; }' in css
    assert (
        '.screen-preview[data-size="1920x1080"] { --w: 1920px; aspect-ratio: 1920 / 1080; }' in css
    )
    assert css.count("--w:") == 3


def test_screen_names_are_escaped_and_quoted_in_addresses(settings: Settings, store: Store) -> None:
    odd = dataclasses.replace(settings, screens=(ScreenSettings(ODD_NAME, 960, 576),))
    add_user(store, "li", "reviewer")
    client = make_app(odd, store).test_client()
    log_in(client, "li")
    html = client.get("/screens").get_data(as_text=True)
    assert "<b>" not in html
    assert f"<h2>{escape(ODD_NAME)} " in html
    (src,) = re.findall(r'<iframe src="([^"]+)"', html)
    assert client.get(src.replace("&amp;", "&")).status_code == 200  # the kiosk page it frames


def test_anonymous_visitors_are_sent_to_log_in(app: Flask) -> None:
    client = app.test_client()
    for path in ["/screens", "/screens/sizes.css"]:
        assert client.get(path).headers["Location"].startswith("/login?next=/screens"), path


def test_nav_marks_the_screens_page(client: FlaskClient) -> None:
    html = client.get("/screens").get_data(as_text=True)
    assert '<a href="/screens" aria-current="page">屏幕</a>' in html


# -- framing -------------------------------------------------------------------------


def test_kiosk_page_may_be_framed_by_the_panel_only(client: FlaskClient) -> None:
    headers = client.get("/screen/led-bar").headers
    assert frame_ancestors(headers["Content-Security-Policy"]) == ["'self'"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("path", ["/screens", "/users", "/audit", "/login", "/", "/nowhere"])
def test_no_page_may_be_framed_by_another_site(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    assert frame_ancestors(headers["Content-Security-Policy"]) in (["'self'"], ["'none'"])
    assert headers["X-Frame-Options"] in ("SAMEORIGIN", "DENY")
