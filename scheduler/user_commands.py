"""`villagecast user`: add users, change role, emergency right and log-in, reset passwords, list.

Whoever runs commands on the station is trusted like an admin. Each change is
written to the audit log as ``cli:<login name>``, in the change's own transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from playlists.access import emergency_right, users
from playlists.clock import utc_now
from playlists.errors import ContentError, NotFoundError
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _record(store: Store, action: str, user: users.User, detail: str, now: dt.datetime) -> None:
    audit.record(store, _actor(), action, now, subject="user", subject_id=user.id, detail=detail)


def _find(store: Store, name: str) -> users.User:
    for entry in users.list_users(store):
        if entry.username == name:
            return entry
    raise NotFoundError(f"user {name!r} does not exist")


def list_users(store: Store) -> int:
    """Print every user with role, emergency right and whether they may log in."""
    print(f"{'user':<20} {'role':<9} {'emergency':<10} account")
    for entry in users.list_users(store):
        emergency = emergency_right.holds(entry)  # admins hold it always
        state = "disabled" if entry.disabled else "active"
        note = "  (must choose a new password)" if entry.must_change_password else ""
        print(f"{entry.username:<20} {entry.role:<9} {_yes(emergency):<10} {state:<8}{note}")
    return 0


def add_user(store: Store, args: argparse.Namespace) -> int:
    """Add a user with a one-time password (or one read from standard input)."""
    if args.role and args.role_option and args.role != args.role_option:
        raise ContentError(f"two roles given ({args.role}, {args.role_option}); give one")
    role = args.role or args.role_option or "operator"
    given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    password = given or users.new_password()
    one_time = given is None  # a printed password is read out once, then replaced
    now = utc_now()
    with store.transaction():
        user_id = users.add_user(
            store, args.name, password, role, now, one_time, may_emergency=args.emergency
        )
        created = users.get_user(store, user_id)
        assert created is not None  # added in this transaction
        emergency = _yes(created.may_emergency)
        _record(
            store, "create", created, f"{args.name}: role {role}, emergency right {emergency}", now
        )
    print(f"created user {args.name!r} ({role}, emergency broadcasts: {emergency})")
    if one_time:
        print(f"one-time password: {password}  (to be changed at the first login)")
    return 0


def reset_password(store: Store, args: argparse.Namespace) -> int:
    given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    password = given or users.new_password()
    one_time = given is None
    with store.transaction():
        target = _find(store, args.name)
        users.set_password(store, args.name, password, must_change=one_time)
        detail = f"{args.name}: " + ("one-time password" if one_time else "password")
        _record(store, "reset", target, detail, utc_now())
    print(f"new password set for {args.name!r}")
    if one_time:
        print(f"one-time password: {password}  (to be changed at the first login)")
    return 0


def set_user(store: Store, args: argparse.Namespace) -> int:
    """Change a user's role, emergency right or log-in; the last admin stays an admin."""
    if args.role is None and args.emergency is None and args.disabled is None:
        raise ContentError(
            "nothing to change: give --role, --emergency, --no-emergency, --disable or --enable"
        )
    now = utc_now()
    with store.transaction():
        before = _find(store, args.name)
        users.update_user(
            store, args.name, role=args.role, may_emergency=args.emergency, disabled=args.disabled
        )
        after = _find(store, args.name)
        changes = _changes(before, after)
        if changes:
            _record(store, _action(before, after), after, f"{args.name}: {', '.join(changes)}", now)
    state = "disabled" if after.disabled else "active"
    print(
        f"{args.name!r}: {after.role}, emergency broadcasts: {_yes(after.may_emergency)}, {state}"
        + ("" if changes else " (unchanged)")
    )
    return 0


def _action(before: users.User, after: users.User) -> str:
    """Name a change as the panel does: disable, enable, else edit."""
    if before.disabled != after.disabled:
        return "disable" if after.disabled else "enable"
    return "edit"


def _changes(before: users.User, after: users.User) -> list[str]:
    changes = []
    if before.role != after.role:
        changes.append(f"role {before.role} → {after.role}")
    if before.may_emergency != after.may_emergency:
        changes.append(f"emergency right {_yes(after.may_emergency)}")
    if before.disabled != after.disabled:
        changes.append("disabled" if after.disabled else "enabled")
    return changes


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `villagecast user ACTION`."""
    store = Store.open(settings.db_path)
    action = args.user_command
    if action == "list":
        return list_users(store)
    if action == "add":
        return add_user(store, args)
    if action == "passwd":
        return reset_password(store, args)
    return set_user(store, args)
