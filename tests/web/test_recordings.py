"""Uploaded recordings: checked with ffprobe, refused whole with a reason, or stored leveled."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from media.errors import MediaError
from playlists.content import announcement_table, announcing, playlist_table
from playlists.content.ingest import Ingest
from playlists.errors import VillagecastError
from playlists.model import Review
from playlists.settings import AudioSettings, Settings
from playlists.store import Store
from tests.media.test_audio import loudness_and_peak


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *args], check=True)


def recording(
    folder: Path, name: str = "通知录音.mp3", seconds: float = 3, level_db: float = -30
) -> Path:
    """A quiet voice-band recording, as a phone records it."""
    path = folder / name
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=d={seconds}:c=pink:a=0.5",
        "-af",
        f"bandpass=f=800:width_type=o:w=2,volume={level_db}dB",
        str(path),
    )
    return path


def text_as_mp3(folder: Path) -> Path:
    path = folder / "notice.mp3"
    path.write_text("这不是录音。", encoding="utf-8")
    return path


def truncated_mp3(folder: Path) -> Path:
    whole = recording(folder, "whole.mp3")
    path = folder / "cut.mp3"
    path.write_bytes(whole.read_bytes()[:200])
    return path


def empty(folder: Path) -> Path:
    path = folder / "empty.m4a"
    path.write_bytes(b"")
    return path


def huge(folder: Path) -> Path:
    path = folder / "huge.wav"
    with path.open("wb") as out:
        out.truncate(3_000_001)  # sparse: over the 3 MB limit set below
    return path


def too_long(folder: Path) -> Path:
    return recording(folder, "long.ogg", seconds=65)


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, audio=AudioSettings(sink="recording", max_upload_mb=3, max_recording_minutes=1)
    )


def snapshot(store: Store, media_dir: Path) -> tuple[int, list[str]]:
    row = store.query_one("SELECT COUNT(*) AS n FROM media")
    files = sorted(str(p) for p in media_dir.rglob("*")) if media_dir.exists() else []
    return (int(row["n"]) if row else 0), files


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(text_as_mp3, "not an audio file ffprobe can read", id="text-named-mp3"),
        pytest.param(
            truncated_mp3, "cut.mp3: not an audio file ffprobe can read", id="truncated-mp3"
        ),
        pytest.param(empty, "empty.m4a: the file is empty", id="zero-bytes"),
        pytest.param(huge, "huge.wav: too large (3.0 MB); at most 3 MB", id="huge"),
        pytest.param(too_long, "long.ogg: too long (1 min); at most 1 min", id="too-long"),
    ],
)
def test_bad_uploads_are_refused_and_change_nothing(
    limited: Settings, store: Store, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    ingest = Ingest(store, limited)
    upload = make(tmp_path)
    before = snapshot(store, limited.media_dir)
    with pytest.raises((VillagecastError, MediaError)) as raised:
        ingest.add_recording(upload, upload.name)
    assert message in str(raised.value)
    assert snapshot(store, limited.media_dir) == before
    leftovers = (
        list((limited.data_dir / "tmp").glob("*")) if (limited.data_dir / "tmp").exists() else []
    )
    assert leftovers == []


def test_recording_is_stored_at_the_broadcast_level(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    record = ingest.add_recording(recording(tmp_path), "通知录音.mp3")
    assert record.engine == "recording"
    loudness, peak = loudness_and_peak(ingest.path_of(record))
    assert loudness == pytest.approx(-16, abs=1.0)
    assert peak <= -1.5


def test_recording_replaces_the_synthesized_voice_everywhere(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    from playlists.model import ItemKind

    announcement = announcing.create(ingest, "停水", "明天上午停水。", "王五")
    spoken = announcement_table.get_announcement(store, announcement)
    playlist = playlist_table.add_playlist(
        store,
        "p",
        "",
        [
            playlist_table.NewItem(
                ItemKind.ANNOUNCEMENT,
                spoken.duration,
                announcement_id=announcement,
                media_sha256=spoken.media_sha256,
            )
        ],
        ingest.now(),
        review=Review.APPROVED,
        created_by="test",
    )
    record = announcing.give_recording(
        ingest, announcement, recording(tmp_path, seconds=5), "村长录音.mp3", "王五"
    )
    updated = announcement_table.get_announcement(store, announcement)
    assert updated.media_sha256 == record.sha256 and updated.engine == "recording"
    assert updated.review is Review.DRAFT and updated.changed_by == "王五"  # heard again
    (item,) = playlist_table.get_playlist(store, playlist, ingest.media_dir).items
    assert item.media_sha256 == record.sha256
    assert item.duration == pytest.approx(record.duration)
    assert item.audio_path == ingest.path_of(record)
