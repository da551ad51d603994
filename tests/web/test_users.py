"""The users page: admins add users, change role, emergency right and log-in, reset passwords."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.access import users
from playlists.record import audit
from playlists.store import Store
from tests.web_fixtures import PASSWORD, add_user, csrf_of, log_in

NASTY = '<script>alert(1)</script>"村民"'
POSTS = ["/users", "/users/role", "/users/emergency", "/users/access", "/users/password"]
PAGES = ["/users", "/audit", "/audit.csv"]


@pytest.fixture
def admin(app: Flask, store: Store) -> FlaskClient:
    """The admin "boss", logged in, beside an operator "wang" and a reviewer "li"."""
    add_user(store, "boss", "admin")
    add_user(store, "wang", "operator", may_emergency=False)
    add_user(store, "li", "reviewer")
    client = app.test_client()
    log_in(client, "boss")
    return client


def post(client: FlaskClient, path: str, form: dict[str, str]) -> str:
    """Post a users-page form with the session's token; return the page it leads to."""
    data = {**form, "csrf_token": csrf_of(client.get("/users"))}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def flashes(html: str, kind: str) -> list[str]:
    return re.findall(rf'<p class="flash flash-{kind}"[^>]*>(.*?)</p>', html)


def one_time_password(html: str) -> str:
    match = re.search(r'<p class="one-time-password"><code>([a-z0-9]+)</code>', html)
    assert match, "the page shows no one-time password"
    return match[1]


def user(store: Store, name: str) -> users.User:
    found = {u.username: u for u in users.list_users(store)}
    return found[name]


def snapshot(store: Store) -> tuple[list[Any], list[Any]]:
    """Every user row (password hashes too) and every audit row, to prove nothing changed."""
    return (
        [tuple(row) for row in store.query("SELECT * FROM users ORDER BY id")],
        [tuple(row) for row in store.query("SELECT * FROM audit ORDER BY id")],
    )


def last_audit(store: Store) -> audit.AuditRow:
    """Return the newest row the admin "boss" caused (log-ins are audited too)."""
    return audit.rows(store, username="boss", limit=1)[0]


# -- the list ----------------------------------------------------------------------


def test_admin_sees_every_user_with_role_right_and_state(admin: FlaskClient, store: Store) -> None:
    users.update_user(store, "li", disabled=True)
    add_user(store, "zhao", "operator", must_change=True, may_emergency=True)
    html = admin.get("/users").get_data(as_text=True)
    assert "<h1>用户管理</h1>" in html
    rows = dict(
        re.findall(
            r'<tr id="user-\d+"[^>]*>\s*<td[^>]*><strong>([^<]+)</strong>(.*?)</tr>', html, re.S
        )
    )
    assert set(rows) == {"boss", "wang", "li", "zhao"}
    assert (
        "管理员" in rows["boss"]
        and "始终可以（管理员）" in rows["boss"]
        and "（您）" in rows["boss"]
    )
    assert "操作员" in rows["wang"] and "不允许" in rows["wang"] and "正常" in rows["wang"]
    assert "审核员" in rows["li"] and "已停用" in rows["li"]
    assert "允许" in rows["zhao"] and "一次性密码，待修改" in rows["zhao"]
    assert "用户自设" in rows["wang"]
    assert 'name="disabled" value="yes"' not in rows["boss"]  # no button to disable yourself


def test_nav_links_to_users_and_audit_only_for_admins(
    app: Flask, admin: FlaskClient, store: Store
) -> None:
    html = admin.get("/").get_data(as_text=True)
    assert 'href="/users"' in html and 'href="/audit"' in html and 'href="/screens"' in html
    operator = app.test_client()
    log_in(operator, "wang")
    html = operator.get("/").get_data(as_text=True)
    assert 'href="/users"' not in html and 'href="/audit"' not in html
    assert 'href="/screens"' in html


# -- each action -------------------------------------------------------------------


def test_admin_adds_a_user_who_must_change_the_one_time_password(
    app: Flask, admin: FlaskClient, store: Store
) -> None:
    data = {"username": "zhang.san", "role": "reviewer", "emergency": "yes"}
    response = admin.post("/users", data={**data, "csrf_token": csrf_of(admin.get("/users"))})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # the password is in this page
    assert flashes(html, "info") == ["已添加用户 zhang.san。"]
    password = one_time_password(html)
    added = user(store, "zhang.san")
    assert (added.role, added.may_emergency, added.must_change_password) == ("reviewer", True, True)
    assert users.authenticate(store, "zhang.san", password) is not None
    row = last_audit(store)
    assert (row.username, row.action, row.subject, row.subject_id) == (
        "boss",
        "create",
        "user",
        added.id,
    )
    assert row.detail == "zhang.san: role reviewer, emergency right yes"
    # Shown once: the next visit has no password on it.
    assert "one-time-password" not in admin.get("/users").get_data(as_text=True)
    newcomer = app.test_client()
    assert log_in(newcomer, "zhang.san", password).headers["Location"] == "/password"


def test_unticked_box_adds_a_user_without_the_emergency_right(
    admin: FlaskClient, store: Store
) -> None:
    post(admin, "/users", {"username": "zhao", "role": "operator"})
    assert user(store, "zhao").may_emergency is False


@pytest.mark.parametrize(
    ("target", "form", "field", "value", "message"),
    [
        pytest.param(
            "wang", {"role": "reviewer"}, "role", "reviewer", "wang 现在是：审核员。", id="role"
        ),
        pytest.param(
            "wang",
            {"emergency": "yes"},
            "may_emergency",
            True,
            "wang 现在可以发送紧急广播。",
            id="allow-emergency",
        ),
        pytest.param(
            "li", {"disabled": "yes"}, "disabled", True, "li 已停用，不能再登录。", id="disable"
        ),
    ],
)
def test_admin_changes_a_user_with_an_audit_row(
    admin: FlaskClient,
    store: Store,
    target: str,
    form: dict[str, str],
    field: str,
    value: object,
    message: str,
) -> None:
    path = {"role": "/users/role", "emergency": "/users/emergency", "disabled": "/users/access"}
    html = post(admin, path[next(iter(form))], {"username": target, **form})
    assert flashes(html, "info") == [message]
    assert getattr(user(store, target), field) == value
    row = last_audit(store)
    assert (row.username, row.subject, row.subject_id) == ("boss", "user", user(store, target).id)
    assert row.detail.startswith(target)


def test_withdrawing_the_right_and_enabling_again(admin: FlaskClient, store: Store) -> None:
    users.update_user(store, "wang", may_emergency=True, disabled=True)
    html = post(admin, "/users/emergency", {"username": "wang", "emergency": "no"})
    assert flashes(html, "info") == ["wang 不能再发送紧急广播。"]
    html = post(admin, "/users/access", {"username": "wang", "disabled": "no"})
    assert flashes(html, "info") == ["wang 已启用，可以重新登录。"]
    assert (user(store, "wang").may_emergency, user(store, "wang").disabled) == (False, False)
    assert [r.action for r in audit.rows(store, username="boss", limit=2)] == ["enable", "edit"]


def test_disabling_ends_the_users_session_and_log_in(
    app: Flask, admin: FlaskClient, store: Store
) -> None:
    wang = app.test_client()
    log_in(wang, "wang")
    assert wang.get("/").status_code == 200
    post(admin, "/users/access", {"username": "wang", "disabled": "yes"})
    assert wang.get("/").headers["Location"].startswith("/login")
    assert log_in(app.test_client(), "wang").status_code == 200  # the form again: refused


def test_admin_resets_a_password_shown_once(app: Flask, admin: FlaskClient, store: Store) -> None:
    response = admin.post(
        "/users/password", data={"username": "wang", "csrf_token": csrf_of(admin.get("/users"))}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response.get_data(as_text=True))
    assert users.authenticate(store, "wang", PASSWORD) is None
    assert user(store, "wang").must_change_password
    assert log_in(app.test_client(), "wang", password).headers["Location"] == "/password"
    row = last_audit(store)
    assert (row.action, row.detail) == ("reset", "wang: one-time password")
    assert password not in row.detail


def test_an_admin_who_steps_down_goes_to_the_dashboard(admin: FlaskClient, store: Store) -> None:
    add_user(store, "deputy", "admin")
    data = {"username": "boss", "role": "operator", "csrf_token": csrf_of(admin.get("/users"))}
    response = admin.post("/users/role", data=data)
    assert response.headers["Location"] == "/"
    assert user(store, "boss").role == "operator"
    assert admin.get("/users").status_code == 403


# -- who may ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "reviewer"])
def test_only_admins_reach_users_and_audit(app: Flask, store: Store, role: str) -> None:
    add_user(store, "boss", "admin")
    add_user(store, "someone", role, may_emergency=True)
    client = app.test_client()
    log_in(client, "someone")
    before = snapshot(store)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    token = csrf_of(client.get("/password"))
    for path in POSTS:
        form = {"username": "boss", "role": "operator", "disabled": "yes", "csrf_token": token}
        assert client.post(path, data=form).status_code == 403, path
    assert snapshot(store) == before


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, store: Store) -> None:
    add_user(store, "boss", "admin")
    client = app.test_client()
    for path in PAGES:
        assert client.get(path).headers["Location"].startswith(f"/login?next={path}"), path
    token = csrf_of(client.get("/login"))
    before = snapshot(store)
    for path in POSTS:
        response = client.post(path, data={"username": "boss", "csrf_token": token})
        assert response.headers["Location"].startswith("/login"), path
    assert snapshot(store) == before


@pytest.mark.parametrize("path", POSTS)
def test_posts_without_the_csrf_token_are_refused(
    admin: FlaskClient, store: Store, path: str
) -> None:
    before = snapshot(store)
    form = {"username": "wang", "role": "admin", "emergency": "yes", "disabled": "yes"}
    response = admin.post(path, data=form)
    assert response.status_code == 400
    assert "表单已过期或来自其他网站。" in response.get_data(as_text=True)
    assert snapshot(store) == before


# -- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form", "error"),
    [
        pytest.param(
            "/users",
            {"username": "王五", "role": "operator"},
            "用户名须为 2 到 32 个字母、数字、点、短横线或下划线。",
            id="chinese-name",
        ),
        pytest.param(
            "/users",
            {"username": "a", "role": "operator"},
            "用户名须为 2 到 32 个字母、数字、点、短横线或下划线。",
            id="name-too-short",
        ),
        pytest.param(
            "/users",
            {"username": "x" * 33, "role": "operator"},
            "用户名须为 2 到 32 个字母、数字、点、短横线或下划线。",
            id="name-too-long",
        ),
        pytest.param(
            "/users",
            {"username": "zhao", "role": "boss"},
            "没有名为 boss 的角色。",
            id="unknown-role",
        ),
        pytest.param(
            "/users",
            {"username": "wang", "role": "operator"},
            "已有名为 wang 的用户。",
            id="duplicate-name",
        ),
        pytest.param(
            "/users/role",
            {"username": "wang", "role": "superuser"},
            "没有名为 superuser 的角色。",
            id="change-to-unknown-role",
        ),
        pytest.param(
            "/users/role",
            {"username": "boss", "role": "operator"},
            "boss 是最后一个能登录的管理员，请先把另一个用户设为管理员。",
            id="last-admin-demote",
        ),
        pytest.param(
            "/users/access",
            {"username": "boss", "disabled": "yes"},
            "不能停用自己的账号，请另一位管理员操作。",
            id="self-disable",
        ),
        pytest.param(
            "/users/access",
            {"username": "nobody", "disabled": "yes"},
            "没有名为 nobody 的用户。",
            id="unknown-user",
        ),
        pytest.param(
            "/users/password",
            {"username": "nobody"},
            "没有名为 nobody 的用户。",
            id="reset-unknown-user",
        ),
    ],
)
def test_bad_input_flashes_an_error_and_changes_nothing(
    admin: FlaskClient, store: Store, path: str, form: dict[str, str], error: str
) -> None:
    before = snapshot(store)
    html = post(admin, path, form)
    assert flashes(html, "error") == [error]
    assert flashes(html, "info") == []
    assert "one-time-password" not in html
    assert snapshot(store) == before


def test_last_admin_cannot_be_disabled_even_by_a_forged_form(
    admin: FlaskClient, store: Store
) -> None:
    """With another admin disabled, boss is the last who can log in; the rule still holds."""
    add_user(store, "old", "admin")
    users.update_user(store, "old", disabled=True)
    before = snapshot(store)
    html = post(admin, "/users/role", {"username": "boss", "role": "reviewer"})
    assert flashes(html, "error") == ["boss 是最后一个能登录的管理员，请先把另一个用户设为管理员。"]
    assert snapshot(store) == before


def test_a_bad_add_keeps_what_was_typed(admin: FlaskClient) -> None:
    html = post(admin, "/users", {"username": "wang", "role": "reviewer", "emergency": "yes"})
    assert 'name="username" value="wang"' in html
    assert '<option value="reviewer" selected>' in html
    assert 'name="emergency" value="yes" checked' in html


# -- escaping ----------------------------------------------------------------------


def test_typed_names_are_escaped_in_errors_and_the_form(admin: FlaskClient, store: Store) -> None:
    html = post(admin, "/users", {"username": NASTY, "role": NASTY})
    assert "<script>alert(1)</script>" not in html
    assert f'value="{escape(NASTY)}"' in html  # the form keeps it, escaped
    html = post(admin, "/users/access", {"username": NASTY, "disabled": "yes"})
    assert "<script>alert(1)</script>" not in html
    assert f"没有名为 {escape(NASTY)} 的用户。" in html
