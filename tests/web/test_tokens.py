"""The API tokens page: make one (shown once), list, revoke; admins see and revoke all."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.access import tokens
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_user, csrf_of, log_in, make_app

SECRET = re.compile(r'value="(vc_[A-Za-z0-9_-]{43})"')


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    for name, role in (("admin", "admin"), ("op", "operator"), ("rev", "reviewer")):
        add_user(store, name, role)
    return make_app(settings, store)


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, username)
    return client


def make_token(client: FlaskClient, name: str) -> str:
    page = client.get("/account/tokens")
    response = client.post("/account/tokens", data={"name": name, "csrf_token": csrf_of(page)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    match = SECRET.search(html)
    assert match, "the new token is shown"
    assert "只显示这一次" in html
    return match[1]


def test_account_page_links_to_the_page_and_the_header_does_not(app: Flask) -> None:
    client = client_of(app, "rev")
    assert 'href="/account/tokens"' not in client.get("/").get_data(as_text=True)
    html = client.get("/password").get_data(as_text=True)
    assert 'href="/account/tokens"' in html and "API 令牌" in html


def test_make_use_and_revoke_a_token(app: Flask, store: Store) -> None:
    client = client_of(app, "op")
    secret = make_token(client, "村委会报表 <脚本>")
    assert tokens.verify(store, secret, NOW) is not None
    page = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in page  # shown once only
    assert str(escape("村委会报表 <脚本>")) in page and "<脚本>" not in page
    api = app.test_client().get("/api/v1/status", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    (token,) = tokens.list_tokens(store)
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert "已作废" in client.get("/account/tokens").get_data(as_text=True)
    assert tokens.verify(store, secret, NOW) is None
    assert [r.action for r in audit.rows(store, limit=2)] == ["revoke", "create"]


def test_users_see_only_their_own_tokens_and_admins_all(app: Flask, store: Store) -> None:
    tokens.create_token(store, "op", "op-script", NOW)
    tokens.create_token(store, "rev", "rev-script", NOW)
    rev_page = client_of(app, "rev").get("/account/tokens").get_data(as_text=True)
    assert "rev-script" in rev_page and "op-script" not in rev_page
    admin_page = client_of(app, "admin").get("/account/tokens").get_data(as_text=True)
    assert "rev-script" in admin_page and "op-script" in admin_page


def test_only_the_owner_or_an_admin_revokes(app: Flask, store: Store) -> None:
    tokens.create_token(store, "op", "op-script", NOW)
    (token,) = tokens.list_tokens(store)
    rev = client_of(app, "rev")
    form = {"csrf_token": csrf_of(rev.get("/account/tokens"))}
    assert rev.post(f"/account/tokens/{token.id}/revoke", data=form).status_code == 404
    assert tokens.list_tokens(store) == [token]
    admin = client_of(app, "admin")
    form = {"csrf_token": csrf_of(admin.get("/account/tokens"))}
    assert admin.post(f"/account/tokens/{token.id}/revoke", data=form).status_code == 302
    assert tokens.list_tokens(store) == []
    assert admin.post(f"/account/tokens/{token.id}/revoke", data=form).status_code == 404


@pytest.mark.parametrize(
    ("name", "message"),
    [pytest.param("  ", "名称", id="blank"), pytest.param("x" * 101, "100", id="too-long")],
)
def test_a_bad_name_makes_no_token(app: Flask, store: Store, name: str, message: str) -> None:
    client = client_of(app, "op")
    form = {"name": name, "csrf_token": csrf_of(client.get("/account/tokens"))}
    html = client.post("/account/tokens", data=form).get_data(as_text=True)
    assert message in html and "vc_" not in html
    assert tokens.list_tokens(store) == []


def test_forms_need_the_csrf_token(app: Flask, store: Store) -> None:
    client = client_of(app, "op")
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    tokens.create_token(store, "op", "kept", NOW)
    (token,) = tokens.list_tokens(store)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 400
    assert len(tokens.list_tokens(store)) == 1


def test_anonymous_visitors_are_sent_to_log_in(app: Flask) -> None:
    response = app.test_client().get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_token_does_not_open_the_panels_pages(app: Flask, store: Store) -> None:
    """Tokens are for the API; the pages and their forms stay with the session log-in."""
    secret = tokens.create_token(store, "admin", "script", NOW)
    response = app.test_client().get(
        "/account/tokens", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 302


def test_the_page_in_english(app: Flask) -> None:
    client = client_of(app, "op")
    html = client.get("/account/tokens", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "API tokens" in html and "No tokens yet." in html
