"""Users: roles, the emergency right, disabling, and the last admin."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from playlists.access import users
from playlists.errors import ContentError, NotFoundError
from playlists.store import Store

NOW = dt.datetime(2023, 3, 28, tzinfo=dt.UTC)
PASSWORD = "correct horse"


@pytest.mark.parametrize(
    ("role", "given", "expected"),
    [
        pytest.param("admin", None, True, id="admin-by-default"),
        pytest.param("operator", None, False, id="operator-not-by-default"),
        pytest.param("reviewer", True, True, id="granted"),
    ],
)
def test_emergency_right_defaults_to_admins(
    store: Store, role: str, given: bool | None, expected: bool
) -> None:
    users.add_user(store, "u1", PASSWORD, role, NOW, may_emergency=given)
    (user,) = users.list_users(store)
    assert user.may_emergency is expected


def test_a_disabled_user_cannot_log_in(store: Store) -> None:
    users.add_user(store, "admin", PASSWORD, "admin", NOW)
    users.add_user(store, "op", PASSWORD, "operator", NOW)
    users.update_user(store, "op", disabled=True)
    assert users.authenticate(store, "op", PASSWORD) is None
    users.update_user(store, "op", disabled=False, role="reviewer", may_emergency=True)
    user = users.authenticate(store, "op", PASSWORD)
    assert user is not None and (user.role, user.may_emergency) == ("reviewer", True)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"role": "operator"}, id="demote"),
        pytest.param({"disabled": True}, id="disable"),
    ],
)
def test_the_last_admin_stays(store: Store, change: dict[str, object]) -> None:
    users.add_user(store, "admin", PASSWORD, "admin", NOW)
    with pytest.raises(ContentError, match="last admin"):
        users.update_user(store, "admin", **change)  # type: ignore[arg-type]
    users.add_user(store, "admin2", PASSWORD, "admin", NOW)
    users.update_user(store, "admin", **change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("username", "change", "error"),
    [
        pytest.param("nobody", {"role": "operator"}, NotFoundError, id="unknown-user"),
        pytest.param("admin", {"role": "boss"}, ContentError, id="unknown-role"),
    ],
)
def test_bad_changes_change_nothing(
    store: Store, username: str, change: dict[str, object], error: type[Exception]
) -> None:
    users.add_user(store, "admin", PASSWORD, "admin", NOW)
    before = users.list_users(store)
    with pytest.raises(error):
        users.update_user(store, username, **change)  # type: ignore[arg-type]
    assert users.list_users(store) == before


@pytest.mark.real_scrypt
def test_passwords_are_hashed_with_scrypt_at_the_production_cost() -> None:
    stored = users.hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "3")
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 64
    assert users.check_password(stored, PASSWORD)
    assert not users.check_password(stored, PASSWORD + "x")
    assert users.hash_password(PASSWORD) != stored  # a fresh salt each time


def test_a_hash_of_another_cost_still_checks() -> None:
    """Hashes name their cost: raising it later keeps every stored password valid."""
    stored = users.hash_password(PASSWORD)  # the tests' small cost
    assert stored.split("$")[1] == "256"
    assert users.check_password(stored, PASSWORD)


def _version(store: Store, name: str) -> int:
    return next(u.session_version for u in users.list_users(store) if u.username == name)


@pytest.mark.parametrize(
    ("change", "ends_sessions"),
    [
        pytest.param(lambda s: users.set_password(s, "op", "another pass"), True, id="password"),
        pytest.param(lambda s: users.update_user(s, "op", role="reviewer"), True, id="role"),
        pytest.param(lambda s: users.update_user(s, "op", disabled=True), True, id="disable"),
        pytest.param(lambda s: users.end_sessions(s, 2), True, id="log-out"),
        pytest.param(lambda s: users.update_user(s, "op", may_emergency=True), False, id="right"),
        pytest.param(lambda s: users.update_user(s, "op", role="operator"), False, id="same-role"),
    ],
)
def test_changes_that_end_a_users_sessions(
    store: Store, change: Callable[[Store], None], ends_sessions: bool
) -> None:
    users.add_user(store, "admin", PASSWORD, "admin", NOW)
    users.add_user(store, "op", PASSWORD, "operator", NOW)
    before = _version(store, "op")
    change(store)
    assert (_version(store, "op") != before) is ends_sessions
    assert _version(store, "admin") == 1


def test_a_right_password_with_an_old_cost_is_hashed_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(users._SCRYPT, "p", 1)
    users.add_user(store, "op", PASSWORD, "operator", NOW)
    monkeypatch.setitem(users._SCRYPT, "p", 3)  # the cost was raised since
    assert users.authenticate(store, "op", "wrong password") is None
    stored = store.query_one("SELECT password_hash FROM users")["password_hash"]  # type: ignore[index]
    assert stored.split("$")[3] == "1"  # a wrong password changes nothing
    assert users.authenticate(store, "op", PASSWORD) is not None
    stored = store.query_one("SELECT password_hash FROM users")["password_hash"]  # type: ignore[index]
    assert stored.split("$")[1:4] == ["256", "8", "3"]
    assert users.authenticate(store, "op", PASSWORD) is not None


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("bcrypt$12$x", id="other-scheme"),
        pytest.param("scrypt$99999999999$8$1$00$00", id="absurd-cost"),
        pytest.param("scrypt$x$8$1$00$00", id="not-a-number"),
        pytest.param("scrypt$256$8$1$zz$00", id="bad-salt"),
    ],
)
def test_a_hash_that_is_not_ours_never_checks(stored: str) -> None:
    assert not users.check_password(stored, PASSWORD)


def test_an_unknown_name_costs_one_scrypt_run_like_a_known_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    users.add_user(store, "op", PASSWORD, "operator", NOW)
    users.dummy_hash()
    runs: list[int] = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        runs.append(kwargs["n"])
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    users.authenticate(store, "op", "wrong password")
    users.authenticate(store, "nobody", "wrong password")
    assert runs == [2**8, 2**8]
