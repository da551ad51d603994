"""Panel users (用户管理): add users, change role and emergency right, disable, reset passwords.

Only admins reach these pages. Every change and its audit row are written in one
transaction. A one-time password is shown once, on the page that made it, and is
never put in the session cookie (Flask signs that cookie but does not encrypt it).
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from playlists.access import users
from playlists.errors import ContentError, VillagecastError
from playlists.record import audit
from web.auth import ADMIN, keep_session, role_required
from web.state import current_user, now, store

bp = Blueprint("users", __name__, url_prefix="/users")

ROLE_LABELS = {"admin": _l("admin"), "reviewer": _l("reviewer"), "operator": _l("operator")}
# The rule playlists/access/users.py enforces, checked here first to say it in the user's language.
USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,32}")


@bp.app_template_filter("role_label")
def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def find_user(username: str) -> users.User | None:
    return next((u for u in users.list_users(store()) if u.username == username), None)


def render_users(
    one_time: tuple[str, str] | None = None, form: dict[str, str] | None = None
) -> Response:
    """Render the users page; a one-time password on it is never kept by a cache."""
    html = render_template(
        "users.html",
        users=users.list_users(store()),
        roles=users.ROLES,
        one_time=one_time,
        form=form or {"username": "", "role": "operator", "emergency": ""},
    )
    response = make_response(html)
    if one_time is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _record(action: str, target: users.User | None, detail: str) -> None:
    """Write the audit row of a change to a user (call inside the change's transaction)."""
    audit.record(
        store(),
        current_user().username,
        action,
        now(),
        subject="user",
        subject_id=target.id if target else None,
        detail=detail,
    )


def _new_user_error(username: str, role: str) -> str | None:
    if not USERNAME.fullmatch(username):
        return _("A user name is 2 to 32 letters, digits, dots, dashes or underscores.")
    if role not in users.ROLES:
        return _("There is no role named %(role)s.", role=role)
    if find_user(username) is not None:
        return _("There is already a user named %(name)s.", name=username)
    return None


@bp.route("")
@role_required(ADMIN)
def index() -> Response:
    return render_users()


@bp.route("", methods=("POST",))
@role_required(ADMIN)
def add() -> Response:
    form = request.form
    username = form.get("username", "").strip()
    role = form.get("role", "")
    emergency = form.get("emergency") == "yes"
    error = _new_user_error(username, role)
    if error is None:
        password = users.new_password()
        try:
            with store().transaction():
                user_id = users.add_user(
                    store(),
                    username,
                    password,
                    role,
                    now(),
                    must_change_password=True,
                    may_emergency=emergency,
                )
                detail = f"{username}: role {role}, emergency right {'yes' if emergency else 'no'}"
                _record("create", users.get_user(store(), user_id), detail)
        except VillagecastError as exc:  # a name taken between the check and the insert
            error = _("The user was not added: %(reason)s", reason=str(exc))
        else:
            flash(_("User %(name)s added.", name=username), "info")
            return render_users(one_time=(username, password))
    flash(error, "error")
    typed = {"username": username, "role": role, "emergency": "yes" if emergency else ""}
    return render_users(form=typed)


def _target() -> users.User | None:
    """Return the user a change names, flashing an error when there is none."""
    username = request.form.get("username", "")
    target = find_user(username)
    if target is None:
        flash(_("There is no user named %(name)s.", name=username), "error")
    return target


def _update(
    target: users.User,
    action: str,
    detail: str,
    *,
    role: str | None = None,
    may_emergency: bool | None = None,
    disabled: bool | None = None,
) -> bool:
    """Apply a change with its audit row; flash the last-admin refusal and return False."""
    try:
        with store().transaction():
            users.update_user(
                store(), target.username, role=role, may_emergency=may_emergency, disabled=disabled
            )
            _record(action, target, detail)
    except ContentError:
        # Roles are checked before this, so the refusal is the last-admin rule.
        flash(
            _(
                "%(name)s is the last admin who can log in; make another user an admin first.",
                name=target.username,
            ),
            "error",
        )
        return False
    return True


@bp.route("/role", methods=("POST",))
@role_required(ADMIN)
def change_role() -> Response:
    target = _target()
    role = request.form.get("role", "")
    if target is not None and role not in users.ROLES:
        flash(_("There is no role named %(role)s.", role=role), "error")
    elif target is not None and role != target.role:
        detail = f"{target.username}: role {target.role} → {role}"
        if _update(target, "edit", detail, role=role):
            flash(
                _("%(name)s is now: %(role)s.", name=target.username, role=role_label(role)),
                "info",
            )
            me = current_user()
            if target.id == me.id:  # they gave up their own admin role: no users page now
                keep_session(me.id)
                return redirect(url_for("dashboard.index"))
    return redirect(url_for("users.index"))


@bp.route("/emergency", methods=("POST",))
@role_required(ADMIN)
def change_emergency() -> Response:
    target = _target()
    allowed = request.form.get("emergency") == "yes"
    if target is not None and allowed != target.may_emergency:
        detail = f"{target.username}: emergency right {'yes' if allowed else 'no'}"
        if _update(target, "edit", detail, may_emergency=allowed):
            message = (
                _("%(name)s may now send emergency broadcasts.", name=target.username)
                if allowed
                else _("%(name)s may no longer send emergency broadcasts.", name=target.username)
            )
            flash(message, "info")
    return redirect(url_for("users.index"))


@bp.route("/access", methods=("POST",))
@role_required(ADMIN)
def change_access() -> Response:
    target = _target()
    disable = request.form.get("disabled") == "yes"
    if target is not None and disable and target.id == current_user().id:
        flash(_("You cannot disable your own account; ask another admin."), "error")
    elif target is not None and disable != target.disabled:
        action = "disable" if disable else "enable"
        if _update(target, action, target.username, disabled=disable):
            message = (
                _("%(name)s can no longer log in.", name=target.username)
                if disable
                else _("%(name)s can log in again.", name=target.username)
            )
            flash(message, "info")
    return redirect(url_for("users.index"))


@bp.route("/password", methods=("POST",))
@role_required(ADMIN)
def reset_password() -> Response:
    target = _target()
    if target is None:
        return redirect(url_for("users.index"))
    password = users.new_password()
    with store().transaction():
        users.set_password(store(), target.username, password, must_change=True)
        _record("reset", target, f"{target.username}: one-time password")
    keep_session(current_user().id)  # an admin resetting their own password stays logged in here
    return render_users(one_time=(target.username, password))
