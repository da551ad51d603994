"""Archiving in the panel over HTTP: the buttons, the archived view, restore, refusals, roles."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.content import announcement_table, editing, playlist_table
from playlists.content.playlist_contents import items_of
from playlists.model import ItemKind, Review
from playlists.record import audit
from playlists.store import Store
from tests.web_fixtures import (
    NOW,
    add_fake_announcement,
    add_pause_playlist,
    client_as,
    csrf_of,
    fresh_token,
)


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str) -> str:
    """Press a button as the page would (with its CSRF token); return the page shown after."""
    response = client.post(
        path, data={"csrf_token": csrf_of(client.get("/playlists"))}, follow_redirects=True
    )
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+" role="\w+">([^<]*)</p>', html)


def unscheduled_playlist(store: Store, name: str = "旧宣传") -> int:
    playlist_id = editing.create_playlist(store, name, "", "op", NOW)
    editing.add_item(store, playlist_id, ItemKind.PAUSE, "op", NOW, seconds=2.0)
    return playlist_id


@pytest.mark.parametrize("kind", ["announcements", "playlists"])
def test_archive_then_restore_from_the_list(client: FlaskClient, store: Store, kind: str) -> None:
    if kind == "announcements":
        subject_id, name = add_fake_announcement(store, "旧通知"), "旧通知"
    else:
        subject_id, name = unscheduled_playlist(store), "旧宣传"
    before = page(client, f"/{kind}")
    assert f'action="/{kind}/{subject_id}/archive"' in before and 'id="show-archived"' not in before

    html = post(client, f"/{kind}/{subject_id}/archive")

    assert flashes(html) == ["已归档：不再显示在列表里，也不会播出。可在“已归档”中恢复。"]
    assert name not in html
    assert "已归档（1）" in html and f'href="/{kind}?archived=1"' in html
    archived = page(client, f"/{kind}?archived=1")
    assert name in archived and f'action="/{kind}/{subject_id}/restore"' in archived
    assert "立即播放" not in archived  # archived content has no play button

    html = post(client, f"/{kind}/{subject_id}/restore")

    assert flashes(html) == ["已恢复：它回到了列表中，内容不变。"]
    assert f'action="/{kind}/{subject_id}/archive"' in html and "已归档（" not in html
    actions = [(r.action, r.subject_id) for r in audit.rows(store)]
    assert ("archive", subject_id) in actions and ("restore", subject_id) in actions


def test_the_list_hides_archived_playlists(client: FlaskClient, store: Store) -> None:
    playlist_id = unscheduled_playlist(store, "旧宣传")
    post(client, f"/playlists/{playlist_id}/archive")
    listed = page(client, "/playlists")
    assert "旧宣传" not in listed
    assert "旧宣传" in page(client, "/playlists?archived=1")
    editor = page(client, f"/playlists/{playlist_id}")
    assert "这个节目单已归档：不会播出，也不能安排播出。" in editor


def test_a_scheduled_playlist_is_not_archived_and_the_schedule_is_named(
    client: FlaskClient, store: Store
) -> None:
    playlist_id = add_pause_playlist(store, "防火宣传")  # 28 March – 7 April at three times

    html = post(client, f"/playlists/{playlist_id}/archive")

    assert flashes(html) == [
        "“防火宣传”没有归档：播出日程还在播它（节目单“防火宣传”，2023-03-28 至 2023-04-07 的 "
        "07:30, 12:00, 18:30）。请先删除这些播出安排。"
    ]
    assert playlist_table.count_archived(store) == 0


def test_a_notice_in_a_scheduled_playlist_is_not_archived(
    client: FlaskClient, store: Store
) -> None:
    notice = add_fake_announcement(store, "停水")
    playlist_id = add_pause_playlist(store, "午间")
    editing.add_item(store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice)

    html = post(client, f"/announcements/{notice}/archive")

    (message,) = flashes(html)
    assert message.startswith("“停水”没有归档：播出日程还在播它（节目单“午间”，")
    assert announcement_table.count_archived(store) == 0


def test_an_archived_notice_is_not_offered_nor_added_to_a_playlist(
    client: FlaskClient, store: Store
) -> None:
    notice = add_fake_announcement(store, "停水", review=Review.APPROVED)
    playlist_id = unscheduled_playlist(store, "午间")
    post(client, f"/announcements/{notice}/archive")
    editor = page(client, f"/playlists/{playlist_id}")
    assert f'<option value="{notice}">' not in editor

    form = {"csrf_token": csrf_of(editor), "announcement_id": str(notice), "repeat": "1"}
    response = client.post(
        f"/playlists/{playlist_id}/announcement", data=form, follow_redirects=True
    )

    assert flashes(response.get_data(as_text=True)) == ["“停水”已归档：请先恢复，才能使用。"]
    assert [item.kind for item in items_of(store, playlist_id)] == [ItemKind.PAUSE]


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("reviewer", 403)],
    ids=["anonymous-to-login", "reviewer-refused"],
)
def test_only_operators_archive(app: Flask, store: Store, role: str | None, status: int) -> None:
    playlist_id = unscheduled_playlist(store)
    client = client_as(app, store, role)
    token = fresh_token(client)
    response = client.post(f"/playlists/{playlist_id}/archive", data={"csrf_token": token})
    assert response.status_code == status
    assert playlist_table.count_archived(store) == 0


def test_archiving_needs_the_form_token(client: FlaskClient, store: Store) -> None:
    playlist_id = unscheduled_playlist(store)
    assert client.post(f"/playlists/{playlist_id}/archive").status_code == 400
    assert playlist_table.count_archived(store) == 0


def test_unknown_content_is_404(client: FlaskClient) -> None:
    token = csrf_of(client.get("/playlists"))
    for path in ("/playlists/99/archive", "/announcements/99/restore"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_the_api_says_when_content_was_archived(client: FlaskClient, store: Store) -> None:
    playlist_id = unscheduled_playlist(store, "旧宣传")
    post(client, f"/playlists/{playlist_id}/archive")
    (listed,) = client.get("/api/v1/playlists").get_json()
    assert listed["archived_at"] == "2023-03-28T11:00:00+08:00"  # the panel's clock, NOW
    assert listed["playable"] is False
