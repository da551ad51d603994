"""Archive (归档) and restore announcements and playlists from their lists.

The rules are playlists/content/archive.py's; these views ask them, say the outcome in
the operator's language and go back to the list the button was on.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.content import archive
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.errors import ArchiveError, NotFoundError
from web.auth import OPERATOR, role_required
from web.playlist_messages import describe_use
from web.state import now, store

bp = Blueprint("archive", __name__)

_LISTS = {ANNOUNCEMENT: "announcements.index", PLAYLIST: "playlists.index"}


def archive_message(error: ArchiveError) -> str:
    """Say in the operator's language why content was not archived, or may not be used."""
    name = "、".join(f"“{n}”" for n in error.names)
    if error.code == archive.SCHEDULED:
        uses = [u for u in error.uses if isinstance(u, archive.ScheduledUse)]
        entries = "；".join(
            _("%(playlist)s, %(when)s", playlist=u.playlist, when=describe_use(u.entry))
            for u in uses
        )
        return _(
            "%(name)s was not archived: the schedule still plays it (%(entries)s). Remove "
            "those schedule entries first.",
            name=name,
            entries=entries,
        )
    return _("%(name)s is archived: restore it first to use it.", name=name)


def _act(subject: str, subject_id: int, restoring: bool) -> Response:
    step = archive.restore if restoring else archive.archive
    back = url_for(_LISTS[subject], archived=1) if restoring else url_for(_LISTS[subject])
    try:
        changed = step(store(), subject, subject_id, g.user.username, now())
    except NotFoundError:
        abort(404, _("That content does not exist (any more)."))
    except ArchiveError as exc:
        flash(archive_message(exc), "error")
        return redirect(back)
    if restoring:
        flash(_("Restored: it is back in the list as it was.") if changed else
              _("It was not archived."), "info")  # fmt: skip
        return redirect(url_for(_LISTS[subject], _anchor=f"{subject}-{subject_id}"))
    flash(_("Archived: it is off the list and never plays. Restore it from “Archived”.")
          if changed else _("It was already archived."), "info")  # fmt: skip
    return redirect(back)


@bp.post("/announcements/<int:announcement_id>/archive")
@role_required(OPERATOR)
def archive_announcement(announcement_id: int) -> Response:
    return _act(ANNOUNCEMENT, announcement_id, restoring=False)


@bp.post("/announcements/<int:announcement_id>/restore")
@role_required(OPERATOR)
def restore_announcement(announcement_id: int) -> Response:
    return _act(ANNOUNCEMENT, announcement_id, restoring=True)


@bp.post("/playlists/<int:playlist_id>/archive")
@role_required(OPERATOR)
def archive_playlist(playlist_id: int) -> Response:
    return _act(PLAYLIST, playlist_id, restoring=False)


@bp.post("/playlists/<int:playlist_id>/restore")
@role_required(OPERATOR)
def restore_playlist(playlist_id: int) -> Response:
    return _act(PLAYLIST, playlist_id, restoring=True)
