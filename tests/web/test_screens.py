"""The screen (kiosk) page, its state poll and the slide images: open, sized, cached, escaped."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from playlists.content import media_table
from playlists.content.media_table import MediaRecord
from playlists.settings import Settings
from playlists.store import Store
from tests.paths import REPO
from tests.web_fixtures import NOW, add_fake_announcement, add_user, log_in, make_app

SCREEN_JS = REPO / "web" / "static" / "screen.js"
NASTY = "<script>alert(1)</script> \"quoted\" & 'single'"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()  # nobody logs in: a kiosk browser has no account


def add_png(
    store: Store, settings: Settings, colour: tuple[int, int, int], size: tuple[int, int]
) -> str:
    """Store a solid-colour PNG as an image media row; return its hash."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{sha[:2]}/{sha}.png"
    path = settings.media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    media_table.add_media(store, MediaRecord(sha, "image", relative, None, len(data)), NOW)
    return sha


def show(store: Store, *shas: str) -> None:
    """Publish the pictures on a screen, as the player does with what may air."""
    state = slide_state(shas[0])
    state["slides"] = [slide_state(sha)["slides"][0] for sha in shas]
    store.set_screen_state("led-wall", state, NOW)


def slide_state(image: str | None, title: str = "推进五社联动", body: str = "关爱一小一老") -> dict:
    return {
        "mode": "broadcast",
        "slides": [{"image": image, "scroll": None, "title": title, "body": body, "seconds": 10}],
        "on_air": {"name": "社会工作宣传", "priority": "scheduled", "item": 2, "items": 9},
    }


# -- the page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "width", "height"),
    [("led-bar", 352, 80), ("led-wall", 960, 576), ("tv", 1920, 1080)],
    ids=["bar", "wall", "tv"],
)
def test_page_is_sized_to_its_screen(
    client: FlaskClient, name: str, width: int, height: int
) -> None:
    response = client.get(f"/screen/{name}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-width="{width}" data-height="{height}"' in html
    assert f'<meta name="viewport" content="width={width}, height={height}' in html
    assert f'<img id="still" class="layer still" width="{width}" height="{height}"' in html
    assert f'data-state-url="/screen/{name}/state"' in html
    assert 'data-slide-url="/slides/{sha256}.png"' in html
    assert '<link rel="stylesheet" href="/static/screen.css">' in html
    assert '<script src="/static/screen.js"></script>' in html
    assert "<script>" not in html and "style=" not in html  # the CSP forbids inline code


def test_page_shows_the_station_name_before_any_state(
    client: FlaskClient, settings: Settings
) -> None:
    html = client.get("/screen/led-bar").get_data(as_text=True)
    assert f'<p id="title" class="title">{settings.station.name}</p>' in html
    assert 'lang="zh-CN"' in html
    assert "site-header" not in html  # no panel chrome on a street screen


def test_page_needs_no_panel_chrome_and_sets_no_cookie(client: FlaskClient) -> None:
    response = client.get("/screen/led-bar")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"  # the panel may frame it
    assert "script-src" not in response.headers["Content-Security-Policy"]  # 'self' only


def test_the_stylesheet_hides_cursor_margins_and_overflow(client: FlaskClient) -> None:
    css = client.get("/static/screen.css").get_data(as_text=True)
    for rule in ("margin: 0", "background: #000", "overflow: hidden", "cursor: none"):
        assert rule in css


@pytest.mark.parametrize(
    "path",
    ["/screen/nowhere", "/screen/nowhere/state", "/screen/LED-BAR", "/screen/led-bar%20"],
    ids=["page", "state", "case", "space"],
)
def test_unknown_screen_is_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_unknown_screen_says_where_screens_are_named(client: FlaskClient) -> None:
    response = client.get("/screen/nowhere/state", headers={"Accept": "application/json"})
    assert response.json == {"error": "config.yaml 里没有名为 nowhere 的屏幕。"}


# -- the state -----------------------------------------------------------------------


def test_state_before_the_player_published_is_idle_and_empty(client: FlaskClient) -> None:
    response = client.get("/screen/led-bar/state")
    assert response.status_code == 200
    assert response.json == {
        "seq": 0,
        "state": {"mode": "idle", "slides": [], "on_air": None},
        "width": 352,
        "height": 80,
    }
    assert response.headers["ETag"] == '"0"'
    assert response.headers["Cache-Control"] == "no-cache"


def test_state_follows_what_the_player_publishes(client: FlaskClient, store: Store) -> None:
    published = slide_state("cd" * 32)
    seq = store.set_screen_state("led-wall", published, NOW)
    response = client.get("/screen/led-wall/state")
    assert response.json == {"seq": seq, "state": published, "width": 960, "height": 576}
    assert response.headers["ETag"] == f'"{seq}"'
    # Each screen has its own state.
    assert client.get("/screen/led-bar/state").json["seq"] == 0  # type: ignore[index]


def test_state_answers_304_while_unchanged(client: FlaskClient, store: Store) -> None:
    seq = store.set_screen_state("led-bar", slide_state(None), NOW)
    unchanged = client.get("/screen/led-bar/state", headers={"If-None-Match": f'"{seq}"'})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == f'"{seq}"'
    assert unchanged.headers["Cache-Control"] == "no-cache"

    # Publishing the same state again keeps the number, so browsers keep getting 304s.
    assert store.set_screen_state("led-bar", slide_state(None), NOW) == seq
    again = client.get("/screen/led-bar/state", headers={"If-None-Match": f'"{seq}"'})
    assert again.status_code == 304

    newer = store.set_screen_state("led-bar", slide_state(None, title="防火安全"), NOW)
    changed = client.get("/screen/led-bar/state", headers={"If-None-Match": f'"{seq}"'})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == f'"{newer}"'
    assert changed.json["state"]["slides"][0]["title"] == "防火安全"  # type: ignore[index]


# -- slide images --------------------------------------------------------------------


def test_slide_png_is_served_with_an_immutable_cache_header(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    sha = add_png(store, settings, (200, 30, 30), (352, 80))
    show(store, sha)
    response = client.get(f"/slides/{sha}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert hashlib.sha256(response.get_data()).hexdigest() == sha
    header = response.headers["Cache-Control"]
    assert set(re.split(r",\s*", header)) == {"public", "max-age=31536000", "immutable"}


def test_slide_png_answers_304_to_a_browser_that_has_it(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    sha = add_png(store, settings, (0, 0, 200), (352, 80))
    show(store, sha)
    etag = client.get(f"/slides/{sha}.png").headers["ETag"]
    assert client.get(f"/slides/{sha}.png", headers={"If-None-Match": etag}).status_code == 304


def test_slides_refuse_what_is_not_a_stored_png(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    png = add_png(store, settings, (0, 200, 0), (352, 80))
    jpeg = "cd" * 32
    media_table.add_media(store, MediaRecord(jpeg, "image", f"cd/{jpeg}.jpeg", None, 10), NOW)
    (settings.media_dir / "cd").mkdir(parents=True)
    (settings.media_dir / "cd" / f"{jpeg}.jpeg").write_bytes(b"\xff\xd8\xff")
    add_fake_announcement(store)  # an audio row, hash "ab" * 32, with no file
    missing = "ef" * 32
    media_table.add_media(store, MediaRecord(missing, "image", f"ef/{missing}.png", None, 10), NOW)
    escaping = "12" * 32
    media_table.add_media(
        store, MediaRecord(escaping, "image", "../../secret_key.png", None, 10), NOW
    )
    (settings.data_dir / "secret_key.png").write_bytes(b"not for the street")
    show(store, png, jpeg, "ab" * 32, missing, escaping)  # shown, so only the file rules refuse

    for path in (
        f"/slides/{png.upper()}.png",  # hashes are lowercase hex only
        f"/slides/{png[:-1]}.png",
        "/slides/..%2Fsecret_key.png",
        f"/slides/{'00' * 32}.png",  # unknown
        f"/slides/{jpeg}.png",  # an image, but not a PNG
        f"/slides/{'ab' * 32}.png",  # audio
        f"/slides/{missing}.png",  # the file is gone
        f"/slides/{escaping}.png",  # a stored path that leaves the media folder
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/slides/{png}.png").status_code == 200


def test_a_picture_no_screen_shows_is_for_logged_in_users_only(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    sha = add_png(store, settings, (90, 90, 0), (352, 80))  # a draft's slide, say
    assert client.get(f"/slides/{sha}.png").status_code == 404  # a kiosk, or anyone
    add_user(store, "rev", "reviewer")
    log_in(client, "rev")
    preview = client.get(f"/slides/{sha}.png")  # the review page previews it here
    assert preview.status_code == 200
    assert "private" in preview.headers["Cache-Control"]
    assert "public" not in preview.headers["Cache-Control"]


# -- escaping ------------------------------------------------------------------------


def test_notice_text_is_never_markup(client: FlaskClient, store: Store) -> None:
    store.set_screen_state("led-bar", slide_state(None, title=NASTY, body=NASTY), NOW)
    state = client.get("/screen/led-bar/state")
    assert state.mimetype == "application/json"
    assert state.json["state"]["slides"][0]["title"] == NASTY  # type: ignore[index]
    assert "nosniff" in state.headers["X-Content-Type-Options"]

    script = SCREEN_JS.read_text(encoding="utf-8")
    assert "textContent" in script
    assert re.search(r"titleBox\.textContent = title;", script)
    markup_sinks = r"\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function"
    assert not re.search(markup_sinks, script)


def test_station_name_is_escaped_on_the_page(store: Store, settings: Settings) -> None:
    station = dataclasses.replace(settings.station, name=NASTY)
    app = make_app(dataclasses.replace(settings, station=station), store)
    html = app.test_client().get("/screen/led-bar").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; &amp; &#39;single&#39;" in html


# -- log-in ----------------------------------------------------------------------------


def test_screen_routes_are_open_while_the_panel_stays_closed(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    sha = add_png(store, settings, (10, 20, 30), (352, 80))
    show(store, sha)
    for path in ("/screen/led-bar", "/screen/led-bar/state", f"/slides/{sha}.png"):
        assert client.get(path).status_code == 200, path

    assert client.get("/").status_code == 302
    assert client.get(f"/media/{sha}.png").status_code == 302
    assert client.get("/api/v1/status").status_code == 401


def test_a_logged_in_user_sees_the_same_screen(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")
    assert client.get("/screen/led-bar").status_code == 200
    assert client.get("/screen/led-bar/state").json["seq"] == 0  # type: ignore[index]
