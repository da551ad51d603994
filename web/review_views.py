"""The review queue (审核): reviewers hear, read and see content, then approve or send it back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.content import announcement_table, playlist_table, review
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.errors import NotFoundError, ReviewError
from playlists.model import Announcement, Playlist, Review, Slide
from playlists.schedule import entry_table
from web.auth import REVIEWER, has_role, login_required, role_required
from web.state import current_user, ingest, now, settings, store

bp = Blueprint("review", __name__, url_prefix="/review")

SUBJECTS = (ANNOUNCEMENT, PLAYLIST)


@bp.app_template_global()
def slide_previews(slide: Slide, image_sha256: str | None = None) -> list[dict[str, Any]]:
    """The slide's rendered picture on every screen, as the street will see it.

    Pictures are looked up, never rendered here: content renders its slides when saved.
    """
    previews = []
    for screen in settings().screens:
        images = ingest().slides.lookup(screen, slide, image_sha256)
        previews.append(
            {
                "screen": screen,
                "url": url_for("screens.slide", sha256=images.image_sha256) if images else None,
                "scrolls": bool(images and images.scroll_sha256),
            }
        )
    return previews


def review_message(exc: ReviewError) -> str:
    """Say in the user's language why a review step did not apply."""
    names = "、".join(f"“{name}”" for name in exc.names)
    messages = {
        review.NOT_DRAFT: _("%(names)s was already sent for review.", names=names),
        review.NOT_PENDING: _("%(names)s is not waiting for review (any more).", names=names),
        review.OWN_CHANGE: _(
            "You changed %(names)s yourself: another reviewer must approve it.", names=names
        ),
        review.SUBMIT_ITEMS_FIRST: _(
            "Send its announcements for review first: %(names)s", names=names
        ),
        review.NO_COMMENT: _("Say what has to change: sending back needs a comment."),
        review.EMPTY: _("%(names)s has no items yet: add some first.", names=names),
        review.LONG_COMMENT: _(
            "The comment may have at most %(max)d characters.", max=review.MAX_COMMENT
        ),
    }
    return messages.get(exc.code, str(exc))


@bp.app_template_global()
def slide_of(title: str, body: str) -> Slide:
    return Slide(title, body)


@bp.app_template_global()
def pending_reviews() -> int:
    """How many items wait for a reviewer; shown beside the menu entry."""
    if not has_role(REVIEWER):
        return 0
    return len(review.queue(store()))


@bp.route("")
@login_required
def index() -> str:
    entries = []
    for item in review.queue(store()):
        if item.subject == ANNOUNCEMENT:
            content: Announcement | Playlist = announcement_table.get_announcement(store(), item.id)
        else:
            content = playlist_table.get_playlist(store(), item.id, settings().media_dir)
        entries.append(
            {"state": item, "content": content, "own": _own(item), **_approved_together(item)}
        )
    return render_template(
        "review.html",
        entries=entries,
        self_approval=settings().review.self_approval,
        max_comment=review.MAX_COMMENT,
        schedules=_schedules_by_playlist(),
    )


def _approved_together(item: review.ReviewState) -> dict[str, str]:
    """Name what is approved together: a playlist's pending notices, a notice's playlists."""
    if item.subject == PLAYLIST:
        along = review.pending_announcements(store(), item.id)
        return {"along": _names(a.label for a in along)}
    holders = review.unapproved_playlists(store(), item.id)
    return {"within": _names(p.label for p in holders if p.review is Review.PENDING)}


def _names(labels: Iterable[str]) -> str:
    return "、".join(f"“{label}”" for label in labels)


def _approved_message(item: review.ReviewState, along: list[review.ReviewState]) -> str:
    """Say what the approval made possible, and what still waits."""
    if along:
        return _(
            "Approved “%(name)s” and the announcements in it: %(names)s. "
            "It may now be scheduled and played.",
            name=item.label,
            names=_names(a.label for a in along),
        )
    if item.subject == ANNOUNCEMENT:
        holders = review.unapproved_playlists(store(), item.id)
        if holders:
            return _(
                "Approved: it may be played on its own now. The playlists it is in are not "
                "approved yet (%(names)s); it airs in them once they are.",
                names=_names(p.label for p in holders),
            )
    return _("Approved: it may now be scheduled and played.")


def _own(item: review.ReviewState) -> bool:
    """Tell whether the reviewer would be approving their own change."""
    return item.changed_by == current_user().username and not settings().review.self_approval


def _schedules_by_playlist() -> dict[int, list[dict[str, Any]]]:
    """Schedule entries arrive with imported playlists and are approved with them."""
    found: dict[int, list[dict[str, Any]]] = {}
    for entry in entry_table.schedule_entries(store()):
        found.setdefault(entry.playlist_id, []).append(
            {
                "start": entry.start,
                "end": entry.end,
                "times": ", ".join(f"{t:%H:%M}" for t in entry.times),
                "priority": entry.priority,
            }
        )
    return found


def _subject(subject: str) -> str:
    if subject not in SUBJECTS:
        abort(404, _("Only announcements and playlists are reviewed."))
    return subject


@bp.route("/<subject>/<int:subject_id>/approve", methods=("POST",))
@role_required(REVIEWER)
def approve(subject: str, subject_id: int) -> Response:
    try:
        along = review.approve(
            store(),
            _subject(subject),
            subject_id,
            current_user().username,
            now(),
            self_approval=settings().review.self_approval,
        )
    except NotFoundError:
        abort(404, _("That content does not exist (any more)."))
    except ReviewError as exc:
        flash(review_message(exc), "error")
    else:
        flash(_approved_message(review.state(store(), subject, subject_id), along), "info")
    return redirect(url_for("review.index"))


@bp.route("/<subject>/<int:subject_id>/reject", methods=("POST",))
@role_required(REVIEWER)
def reject(subject: str, subject_id: int) -> Response:
    comment = request.form.get("comment", "")
    try:
        review.reject(
            store(), _subject(subject), subject_id, current_user().username, comment, now()
        )
    except NotFoundError:
        abort(404, _("That content does not exist (any more)."))
    except ReviewError as exc:
        flash(review_message(exc), "error")
    else:
        flash(_("Sent back to its author with your comment."), "info")
    return redirect(url_for("review.index"))
