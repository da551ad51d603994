"""Pruning the media cache: what nothing uses goes once it is old; what plays stays."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from playlists.content import announcement_table, announcing, media_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.prune import prune
from playlists.model import ItemKind, Review, Slide
from playlists.settings import BroadcastSettings, Settings
from playlists.store import Store

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)


def media_shas(store: Store) -> set[str]:
    return {row["sha256"] for row in store.query("SELECT sha256 FROM media")}


def age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


@pytest.mark.slow
def test_unused_old_media_goes_and_everything_that_plays_stays(
    settings: Settings, store: Store
) -> None:
    settings = dataclasses.replace(settings, broadcast=BroadcastSettings())  # with a chime
    ingest = Ingest(store, settings)
    kept_id = announcing.create(ingest, "停水", "明天上午停水。", "王五")
    kept = announcement_table.get_announcement(store, kept_id)
    in_playlist = ingest.speak("请注意收听。")
    playlist_table.add_playlist(
        store, "p", "",
        [playlist_table.NewItem(ItemKind.ANNOUNCEMENT, 1.0, slide=Slide("通知"),
                         media_sha256=in_playlist.sha256)],
        ingest.now(), review=Review.APPROVED, created_by="test")  # fmt: skip
    ingest.render_slides(Slide("通知"))
    abandoned = ingest.speak("这段文字没有保存。")  # typed, heard, never saved
    ingest.render_slides(Slide("旧标题", "旧内容"))  # slides of content since deleted
    openers = ingest.openers()
    stray = settings.media_dir / "ab" / "stray.wav"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"RIFF")
    age(stray, 2)
    old_tmp = settings.data_dir / "tmp" / "upload-old.mp3"
    fresh_tmp = settings.data_dir / "tmp" / "upload-now.mp3"
    for path in (old_tmp, fresh_tmp):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
    age(old_tmp, 2)
    before = media_shas(store)

    report = prune(store, settings, LATER)

    after = media_shas(store)
    assert kept.media_sha256 in after and in_playlist.sha256 in after
    assert openers.chime is not None and openers.chime.sha256 in after
    assert abandoned.sha256 not in after
    assert not ingest.path_of(abandoned).exists()
    for sha in after:  # every kept row still has its file
        record = media_table.get_media(store, sha)
        assert record is not None and ingest.path_of(record).is_file()
    keep_slides = store.query("SELECT screen FROM slide_images")
    assert len(keep_slides) == 2 * len(settings.screens), "the kept content's slides only"
    assert not stray.exists() and not old_tmp.exists() and fresh_tmp.exists()
    assert report.media_rows == len(before) - len(after) > 0
    assert report.files >= report.media_rows + 2
    assert store.integrity_ok()


def test_young_unused_media_stays(settings: Settings, store: Store) -> None:
    ingest = Ingest(store, settings)
    clip = ingest.speak("刚刚试听的通知。")
    report = prune(store, settings, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert report.media_rows == 0
    assert ingest.path_of(clip).is_file()


def test_prune_twice_removes_nothing_more(settings: Settings, store: Store) -> None:
    ingest = Ingest(store, settings)
    ingest.speak("这段文字没有保存。")
    prune(store, settings, LATER)
    assert prune(store, settings, LATER).media_rows == 0
