"""Build playlists by hand: create them, add, change, reorder and remove items, delete them.

Every change is one transaction that also sends the playlist back to draft (what a
reviewer approved is not what is there now) and writes its audit row. Positions stay
1..n. The rows are written by playlist_table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from playlists.content import archive, playlist_table, review
from playlists.content.limits import MAX_PLAYLIST_NAME
from playlists.content.playlist_contents import schedules_using
from playlists.content.playlist_rules import (
    SECONDS_RANGE,
    check_details,
    check_repeat,
    check_seconds,
    check_slide,
)
from playlists.content.playlist_table import NewItem
from playlists.errors import EditError, NotFoundError
from playlists.model import ItemKind, Review, Slide
from playlists.record import audit
from playlists.store import Store

_MEDIA_KIND = {ItemKind.AUDIO: "audio", ItemKind.IMAGE: "image"}
_NO_SLIDE = Slide()


# -- playlists -----------------------------------------------------------------------


def create_playlist(store: Store, name: str, description: str, user: str, now: dt.datetime) -> int:
    """Store a new, empty draft playlist."""
    name, description = check_details(name, description)
    with store.transaction() as conn:
        _check_name_free(conn, name, None)
        playlist_id = playlist_table.insert_draft(conn, name, description, user, now)
        _audit(store, user, "create", now, playlist_id, name)
    return playlist_id


def update_playlist(
    store: Store, playlist_id: int, name: str, description: str, user: str, now: dt.datetime
) -> bool:
    """Rename or describe a playlist; return False (and change nothing) if nothing differs."""
    name, description = check_details(name, description)
    with store.transaction() as conn:
        old = _playlist(conn, playlist_id)
        if (old["name"], old["description"]) == (name, description):
            return False
        _check_name_free(conn, name, playlist_id)
        playlist_table.set_details(conn, playlist_id, name, description)
        detail = name if old["name"] == name else f"{old['name']} → {name}"
        _changed(store, playlist_id, user, now, "edit", detail)
    return True


def delete_playlist(store: Store, playlist_id: int, user: str, now: dt.datetime) -> str:
    """Delete a playlist and its items unless a schedule entry still plays it; return its name."""
    with store.transaction() as conn:
        name = str(_playlist(conn, playlist_id)["name"])
        uses = schedules_using(store, playlist_id)
        if uses:
            raise EditError(
                "in-use",
                f"{name!r} is still scheduled (entries {', '.join(str(u.id) for u in uses)})",
                name=name,
                uses=uses,
            )
        playlist_table.delete_playlist(conn, playlist_id)
        _audit(store, user, "delete", now, playlist_id, name)
    return name


def submit_for_review(store: Store, playlist_id: int, user: str, now: dt.datetime) -> None:
    """Send a playlist for review; an empty one never airs, so it is refused here.

    Raises EditError (empty) or ReviewError (not a draft, announcements unsent).
    """
    with store.transaction() as conn:
        _playlist(conn, playlist_id)
        if not _order(conn, playlist_id):
            raise EditError("empty", "an empty playlist cannot be sent for review")
        review.submit(store, review.PLAYLIST, playlist_id, user, now)


def playlist_of_announcement(
    store: Store, announcement_id: int, user: str, now: dt.datetime
) -> tuple[int, bool]:
    """Return the playlist that plays just this announcement, and whether it was made now.

    A new one is named after the announcement and sent for review with it, so an
    operator schedules a notice without building its playlist by hand.
    """
    with store.transaction() as conn:
        notice = _announcement(conn, announcement_id)
        row = conn.execute(
            "SELECT playlist_id FROM playlist_items GROUP BY playlist_id "
            "HAVING COUNT(*) = 1 AND MAX(announcement_id) = ? ORDER BY playlist_id LIMIT 1",
            (announcement_id,),
        ).fetchone()
        if row is not None:
            return int(row["playlist_id"]), False
        name = _free_name(conn, str(notice["title"]).strip() or str(notice["text"]).strip()[:20])
        playlist_id = create_playlist(store, name, "", user, now)
        add_item(
            store, playlist_id, ItemKind.ANNOUNCEMENT, user, now, announcement_id=announcement_id
        )
        if review.state(store, review.ANNOUNCEMENT, announcement_id).review is not Review.DRAFT:
            submit_for_review(store, playlist_id, user, now)
    return playlist_id, True


def _free_name(conn: sqlite3.Connection, wanted: str) -> str:
    """Return the wanted playlist name, or it with the first free number after it."""
    wanted = wanted[: MAX_PLAYLIST_NAME - 4]
    name, number = wanted, 1
    while conn.execute("SELECT 1 FROM playlists WHERE name = ?", (name,)).fetchone():
        number += 1
        name = f"{wanted} {number}"
    return name


# -- items ---------------------------------------------------------------------------


def add_item(
    store: Store,
    playlist_id: int,
    kind: ItemKind,
    user: str,
    now: dt.datetime,
    *,
    repeat: int = 1,
    slide: Slide = _NO_SLIDE,
    seconds: float | None = None,
    announcement_id: int | None = None,
    media_sha256: str | None = None,
) -> int:
    """Append an item; announcements and recordings take their length from their audio."""
    check_repeat(repeat)
    slide = check_slide(slide)
    with store.transaction() as conn:
        name = _playlist(conn, playlist_id)["name"]
        archive.refuse_archived(conn, review.PLAYLIST, playlist_id)
        if kind is ItemKind.ANNOUNCEMENT:
            announcement = _announcement(conn, announcement_id)
            archive.refuse_archived(conn, review.ANNOUNCEMENT, announcement["id"])
            media_sha256 = announcement["media_sha256"]
            duration = float(announcement["duration"] or 0.0)
            if not (slide.title or slide.body):  # the screens show what is said
                slide = Slide(announcement["title"], announcement["text"])
        else:
            duration = _media_or_seconds(conn, kind, media_sha256, seconds)
        position = len(_order(conn, playlist_id)) + 1
        item = NewItem(kind, duration, repeat, slide, announcement_id, media_sha256)
        item_id = playlist_table.append_item(conn, playlist_id, position, item)
        _changed(store, playlist_id, user, now, "add", f"{name}: #{position} {kind.value}")
    return item_id


def update_item(
    store: Store,
    playlist_id: int,
    item_id: int,
    user: str,
    now: dt.datetime,
    *,
    repeat: int,
    slide: Slide,
    seconds: float | None = None,
) -> bool:
    """Change an item's repeat, slide and (pauses, pictures) length; False if nothing differs."""
    check_repeat(repeat)
    slide = check_slide(slide)
    with store.transaction() as conn:
        name = _playlist(conn, playlist_id)["name"]
        item = _item(conn, playlist_id, item_id)
        kind = ItemKind(item["kind"])
        duration = float(item["duration"])
        if kind in SECONDS_RANGE:
            duration = check_seconds(kind, duration if seconds is None else seconds)
        if kind is ItemKind.ANNOUNCEMENT and not (slide.title or slide.body):
            announcement = _announcement(conn, item["announcement_id"])
            slide = Slide(announcement["title"], announcement["text"])
        old = (item["repeat"], item["slide_title"], item["slide_body"], item["duration"])
        if old == (repeat, slide.title, slide.body, duration):
            return False
        playlist_table.set_item(conn, item_id, repeat, slide, duration)
        _changed(store, playlist_id, user, now, "edit", f"{name}: #{item['position']}")
    return True


def move_item(
    store: Store, playlist_id: int, item_id: int, step: int, user: str, now: dt.datetime
) -> int:
    """Move an item one place up (step -1) or down (+1); return its new position."""
    if step not in (-1, 1):
        raise ValueError(f"an item moves one place at a time, not {step}")
    with store.transaction() as conn:
        name = _playlist(conn, playlist_id)["name"]
        order = _order(conn, playlist_id)
        old = order.index(_item(conn, playlist_id, item_id)["id"])
        new = old + step
        if not 0 <= new < len(order):
            rule = "first" if step < 0 else "last"
            raise EditError(rule, f"the item is already the {rule}", position=old + 1)
        order[old], order[new] = order[new], order[old]
        playlist_table.renumber(conn, playlist_id, order)
        _changed(store, playlist_id, user, now, "reorder", f"{name}: #{old + 1} → #{new + 1}")
    return new + 1


def remove_item(store: Store, playlist_id: int, item_id: int, user: str, now: dt.datetime) -> None:
    """Remove an item; the ones after it move up a place."""
    with store.transaction() as conn:
        name = _playlist(conn, playlist_id)["name"]
        item = _item(conn, playlist_id, item_id)
        playlist_table.delete_item(conn, item_id)
        playlist_table.renumber(conn, playlist_id, _order(conn, playlist_id))
        detail = f"{name}: #{item['position']} {item['kind']}"
        _changed(store, playlist_id, user, now, "remove", detail)


# -- inside a transaction --------------------------------------------------------------


def _playlist(conn: sqlite3.Connection, playlist_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM playlists WHERE id = ?", (playlist_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"playlist {playlist_id} does not exist")
    return row


def _item(conn: sqlite3.Connection, playlist_id: int, item_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM playlist_items WHERE id = ? AND playlist_id = ?", (item_id, playlist_id)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"playlist {playlist_id} has no item {item_id}")
    return row


def _announcement(conn: sqlite3.Connection, announcement_id: int | None) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT a.*, m.duration FROM announcements a JOIN media m ON m.sha256 = a.media_sha256 "
        "WHERE a.id = ?",
        (announcement_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"announcement {announcement_id} does not exist")
    return row


def _media_or_seconds(
    conn: sqlite3.Connection, kind: ItemKind, sha256: str | None, seconds: float | None
) -> float:
    """Return the item's length: its audio's for a recording, else the seconds given."""
    if kind in _MEDIA_KIND:
        row = conn.execute(
            "SELECT kind, duration FROM media WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None or row["kind"] != _MEDIA_KIND[kind]:
            raise NotFoundError(f"no stored {_MEDIA_KIND[kind]} file {sha256}")
        if kind is ItemKind.AUDIO:
            return float(row["duration"] or 0.0)
    if seconds is None:
        raise EditError(f"{kind.value}-seconds", f"say how many seconds the {kind.value} lasts")
    return check_seconds(kind, seconds)


def _check_name_free(conn: sqlite3.Connection, name: str, playlist_id: int | None) -> None:
    row = conn.execute("SELECT id FROM playlists WHERE name = ?", (name,)).fetchone()
    if row is not None and row["id"] != playlist_id:
        raise EditError("name-taken", f"a playlist named {name!r} already exists", name=name)


def _order(conn: sqlite3.Connection, playlist_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM playlist_items WHERE playlist_id = ? ORDER BY position", (playlist_id,)
    )
    return [int(row["id"]) for row in rows]


def _changed(
    store: Store, playlist_id: int, user: str, now: dt.datetime, action: str, detail: str
) -> None:
    review.mark_changed(store, review.PLAYLIST, playlist_id, user, now)
    _audit(store, user, action, now, playlist_id, detail)


def _audit(
    store: Store, user: str, action: str, now: dt.datetime, playlist_id: int, detail: str
) -> None:
    audit.record(
        store, user, action, now, subject=review.PLAYLIST, subject_id=playlist_id, detail=detail
    )
