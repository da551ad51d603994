"""API tokens: made once, kept hashed, checked, touched at most once a minute, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from playlists.access import tokens, users
from playlists.errors import ContentError, NotFoundError
from playlists.record import audit
from playlists.store import Store
from scheduler import cli

NOW = dt.datetime(2023, 3, 28, 3, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse"


@pytest.fixture
def people(store: Store) -> Store:
    users.add_user(store, "admin", PASSWORD, "admin", NOW)
    users.add_user(store, "op", PASSWORD, "operator", NOW)
    return store


def stored_hashes(store: Store) -> list[str]:
    return [row["token_hash"] for row in store.query("SELECT token_hash FROM api_tokens")]


def last_used(store: Store) -> str | None:
    row = store.query_one("SELECT last_used_at FROM api_tokens")
    assert row is not None
    return row["last_used_at"]  # type: ignore[no-any-return]


def test_a_token_is_shown_once_and_kept_only_as_its_hash(people: Store) -> None:
    secret = tokens.create_token(people, "op", " town report ", NOW)
    assert secret.startswith("vc_") and len(secret) == 3 + 43
    assert stored_hashes(people) == [hashlib.sha256(secret.encode()).hexdigest()]
    assert secret not in str([dict(r) for r in people.query("SELECT * FROM api_tokens")])
    user = tokens.verify(people, secret, NOW)
    assert user is not None and (user.username, user.role) == ("op", "operator")
    (listed,) = tokens.list_tokens(people)
    assert (listed.username, listed.name, listed.created_at) == ("op", "town report", NOW)


def test_every_token_is_different(people: Store) -> None:
    made = {tokens.create_token(people, "op", "script", NOW) for _ in range(5)}
    assert len(made) == 5 and len(set(stored_hashes(people))) == 5


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("", id="empty"),
        pytest.param("vc_", id="prefix-only"),
        pytest.param("vc_" + "A" * 43, id="unknown"),
        pytest.param("not-a-token", id="no-prefix"),
    ],
)
def test_unknown_tokens_give_nobody(people: Store, secret: str) -> None:
    tokens.create_token(people, "op", "script", NOW)
    assert tokens.verify(people, secret, NOW) is None


def test_the_hash_itself_is_no_token(people: Store) -> None:
    tokens.create_token(people, "op", "script", NOW)
    (digest,) = stored_hashes(people)
    assert tokens.verify(people, digest, NOW) is None
    assert tokens.verify(people, "vc_" + digest, NOW) is None


def test_last_use_is_written_at_most_once_a_minute(people: Store) -> None:
    secret = tokens.create_token(people, "op", "script", NOW)
    assert last_used(people) is None
    tokens.verify(people, secret, NOW)
    first = last_used(people)
    assert first is not None
    tokens.verify(people, secret, NOW + dt.timedelta(seconds=59))
    assert last_used(people) == first
    later = NOW + dt.timedelta(minutes=1)
    tokens.verify(people, secret, later)
    assert tokens.list_tokens(people)[0].last_used_at == later


def test_a_clock_set_back_still_records_use(people: Store) -> None:
    secret = tokens.create_token(people, "op", "script", NOW)
    tokens.verify(people, secret, NOW)
    earlier = NOW - dt.timedelta(days=400)  # a Pi that booted without its clock
    tokens.verify(people, secret, earlier)
    assert tokens.list_tokens(people)[0].last_used_at == earlier


def test_a_disabled_users_tokens_die_and_enabling_does_not_revive_them(people: Store) -> None:
    secret = tokens.create_token(people, "op", "script", NOW)
    users.update_user(people, "op", disabled=True)
    assert tokens.verify(people, secret, NOW) is None
    assert tokens.list_tokens(people, "op") == []
    with pytest.raises(ContentError, match="disabled"):
        tokens.create_token(people, "op", "another", NOW)
    users.update_user(people, "op", disabled=False)
    assert tokens.verify(people, secret, NOW) is None
    fresh = tokens.create_token(people, "op", "new script", NOW)
    assert tokens.verify(people, fresh, NOW) is not None


def test_a_changed_role_applies_at_once(people: Store) -> None:
    secret = tokens.create_token(people, "op", "script", NOW)
    users.update_user(people, "op", role="reviewer")
    user = tokens.verify(people, secret, NOW)
    assert user is not None and user.role == "reviewer"


def test_revoked_tokens_fail_and_the_log_says_who(people: Store) -> None:
    secret = tokens.create_token(people, "op", "script", NOW)
    kept = tokens.create_token(people, "op", "other", NOW)
    (_kept, gone) = tokens.list_tokens(people)
    revoked = tokens.revoke(people, gone.id, "admin", NOW + dt.timedelta(minutes=5))
    assert revoked.name == "script"
    assert tokens.verify(people, secret, NOW) is None
    assert tokens.verify(people, kept, NOW) is not None
    log = [(r.username, r.action, r.subject, r.subject_id, r.detail) for r in audit.rows(people)]
    assert log == [
        ("admin", "revoke", "token", gone.id, "script (of op)"),
        ("op", "create", "token", gone.id + 1, "other (for op)"),
        ("op", "create", "token", gone.id, "script (for op)"),
    ]
    with pytest.raises(NotFoundError):
        tokens.revoke(people, gone.id, "admin", NOW)


def test_list_by_user_newest_first(people: Store) -> None:
    tokens.create_token(people, "op", "first", NOW)
    tokens.create_token(people, "admin", "admin's", NOW, by="cli:root")
    tokens.create_token(people, "op", "second", NOW)
    assert [t.name for t in tokens.list_tokens(people, "op")] == ["second", "first"]
    assert [t.name for t in tokens.list_tokens(people)] == ["second", "admin's", "first"]
    assert audit.rows(people, action="create")[1].username == "cli:root"


@pytest.mark.parametrize(
    ("username", "name", "error"),
    [
        pytest.param("op", "  ", ContentError, id="no-name"),
        pytest.param("op", "x" * 101, ContentError, id="long-name"),
        pytest.param("nobody", "script", NotFoundError, id="unknown-user"),
    ],
)
def test_bad_requests_make_no_token(
    people: Store, username: str, name: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        tokens.create_token(people, username, name, NOW)
    assert tokens.list_tokens(people) == [] and audit.rows(people) == []


def test_deleting_a_user_deletes_their_tokens(people: Store) -> None:
    tokens.create_token(people, "op", "script", NOW)
    with people.transaction() as conn:
        conn.execute("DELETE FROM users WHERE username = 'op'")
    assert tokens.list_tokens(people) == []


# -- villagecast token add|list|revoke ------------------------------------------------


def test_token_commands(
    people: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], data_config: Path
) -> None:
    assert cli.main(["--config", str(data_config), "token", "add", "op", "town-report"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert tokens.verify(people, secret, NOW) is not None
    assert cli.main(["--config", str(data_config), "token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "op" in listed and "town-report" in listed and "never used" not in listed
    assert secret not in listed
    token_id = tokens.list_tokens(people)[0].id
    assert cli.main(["--config", str(data_config), "token", "revoke", str(token_id)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert tokens.verify(people, secret, NOW) is None
    assert [r.username.startswith("cli:") for r in audit.rows(people)] == [True, True]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["add", "nobody", "x"], "does not exist", id="unknown-user"),
        pytest.param(["revoke", "99"], "token 99 does not exist", id="unknown-token"),
    ],
)
def test_token_command_errors_are_one_line(
    people: Store,
    capsys: pytest.CaptureFixture[str],
    data_config: Path,
    argv: list[str],
    message: str,
) -> None:
    assert cli.main(["--config", str(data_config), "token", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.fixture
def data_config(store: Store, tmp_path: Path) -> Path:
    """A config.yaml whose data folder is the test store's."""
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {store.path.parent}\n", encoding="utf-8")
    return path
