"""Ingest: speech made once and cached, imports that are all or nothing."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from media.errors import TtsError
from playlists.content import announcement_table, announcing, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import parse_playlist
from playlists.errors import ContentError
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store


class CountingEngine:
    """Wrap a real engine and count its calls, to see cache hits."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.voice = inner.voice  # type: ignore[attr-defined]
        self.calls = 0

    def synthesize(self, text: str, out_path: Path) -> None:
        self.calls += 1
        self.inner.synthesize(text, out_path)  # type: ignore[attr-defined]


class FailingEngine:
    name = "gtts"
    voice = "zh-CN"

    def synthesize(self, text: str, out_path: Path) -> None:
        raise TtsError("network unreachable", engine=self.name)


def counting_library(store: Store, settings: Settings) -> tuple[Ingest, CountingEngine]:
    from media.tts import EngineChain

    base = Ingest(store, settings)
    engine = CountingEngine(base.chain.engines[0])
    return Ingest(store, settings, chain=EngineChain([engine])), engine


def test_speech_is_cached_by_engine_voice_and_text(store: Store, settings: Settings) -> None:
    ingest, engine = counting_library(store, settings)
    first = ingest.speak("推进五社联动，关爱一小一老。")
    again = ingest.speak("  推进五社联动，关爱一小一老。  ")
    assert again == first
    assert engine.calls == 1
    other = ingest.speak("关爱一小一老。")
    assert other.sha256 != first.sha256 and engine.calls == 2
    assert ingest.path_of(first).is_file()
    assert first.engine == "espeak-ng" and first.voice == "cmn-latn-pinyin"


@pytest.mark.parametrize(
    "first_cached_as",
    ["written", "spoken only"],
    ids=["spoken before", "cached before written forms were kept"],
)
def test_speech_spoken_before_needs_no_normalizer(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch, first_cached_as: str
) -> None:
    ingest, engine = counting_library(store, settings)
    text = "3月28日18:30在社工站开会。"
    clip = ingest.speak(text)
    if first_cached_as == "spoken only":  # a store from before: keys of the spoken form
        store.conn.execute("DELETE FROM tts_cache WHERE key NOT IN (SELECT key FROM tts_cache "
                           "ORDER BY rowid LIMIT 1)")  # fmt: skip
        assert ingest.speak(text) == clip  # found by its spoken form, written form kept
    calls = engine.calls

    def no_normalizer(text: str) -> str:
        raise AssertionError(f"the normalizer was asked for {text!r}")

    monkeypatch.setattr("playlists.content.ingest.speech_text", no_normalizer)
    assert ingest.speak(f" {text} ") == clip
    assert engine.calls == calls == 1
    with pytest.raises(AssertionError, match="normalizer"):
        ingest.speak("另一条通知。")  # new text still goes through it


def test_a_lost_cached_file_is_made_again(store: Store, settings: Settings) -> None:
    ingest, engine = counting_library(store, settings)
    clip = ingest.speak("社工站就在你身边。")
    ingest.path_of(clip).unlink()
    assert ingest.speak("社工站就在你身边。").sha256 == clip.sha256
    assert engine.calls == 2 and ingest.path_of(clip).is_file()


def test_chain_falls_back_and_records_the_engine(store: Store, settings: Settings) -> None:
    from media.tts import EngineChain

    espeak = Ingest(store, settings).chain.engines[0]
    ingest = Ingest(store, settings, chain=EngineChain([FailingEngine(), espeak]))
    clip = ingest.speak("今天下午停水。")
    assert clip.engine == "espeak-ng"
    announcement = announcement_table.get_announcement(
        store, announcing.create(ingest, "停水", "今天下午停水。", "王五")
    )
    assert announcement.engine == "espeak-ng"
    assert announcement.duration == pytest.approx(clip.duration)


def write_playlist(folder: Path, items: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "playlist.yaml"
    path.write_text(
        f"format: villagecast/playlist@1\nname: 测试\nitems:\n{items}"
        "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['08:00']}\n",
        encoding="utf-8",
    )
    return path


def tables(store: Store) -> dict[str, int]:
    names = ("playlists", "playlist_items", "schedules", "announcements")
    return {n: store.query_one(f"SELECT COUNT(*) AS n FROM {n}")["n"] for n in names}  # type: ignore[index]


def test_import_resolves_media_beside_the_file(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    (folder / "media").mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=523:duration=1",
            str(folder / "media" / "chime.wav"),
        ],
        check=True,
    )
    path = write_playlist(
        folder,
        "  - audio: media/chime.wav\n  - announcement: 请注意\n    repeat: 2\n  - pause: 1.5\n",
    )
    playlist_id = ingest.import_playlist(parse_playlist(path.read_bytes()), folder, "王五")
    playlist = playlist_table.get_playlist(store, playlist_id, ingest.media_dir)
    assert [item.kind.value for item in playlist.items] == ["audio", "announcement", "pause"]
    assert all(item.audio_path and item.audio_path.is_file() for item in playlist.items[:2])
    assert playlist.items[0].duration == pytest.approx(1.0, abs=0.25)
    assert playlist.items[1].repeat == 2
    assert playlist.duration == pytest.approx(
        playlist.items[0].duration + 2 * playlist.items[1].duration + 1.5
    )
    assert len(entry_table.schedule_entries(store)) == 1


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param(
            "  - announcement: 你好\n  - audio: media/missing.mp3\n",
            "item 2: media file 'media/missing.mp3' is missing",
            id="missing-media",
        ),
        pytest.param(
            "  - announcement: 你好\n  - audio: media/link.wav\n",
            "item 2: 'media/link.wav' is outside",
            id="symlink-out",
        ),
        pytest.param(
            "  - announcement: 你好\n  - audio: media/notes.txt\n",
            "notes.txt: not an audio file ffprobe can read",
            id="not-audio",
        ),
        pytest.param(
            "  - announcement: 你好\n  - image: media/notes.txt\n",
            "not an image; upload a PNG, JPEG, GIF, WebP or BMP picture",
            id="not-an-image",
        ),
    ],
)
def test_failed_import_stores_nothing(
    ingest: Ingest, store: Store, tmp_path: Path, items: str, message: str
) -> None:
    folder = tmp_path / "in"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "notes.txt").write_text("这不是音频", encoding="utf-8")
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"RIFF")
    os.symlink(outside, folder / "media" / "link.wav")
    path = write_playlist(folder, items)
    before = tables(store)
    with pytest.raises(Exception, match=message):
        ingest.import_playlist(parse_playlist(path.read_bytes()), folder, "王五")
    assert tables(store) == before


def test_bare_yaml_with_media_needs_a_folder(ingest: Ingest, store: Store) -> None:
    spec = parse_playlist(
        "format: villagecast/playlist@1\nname: x\nitems:\n  - audio: media/a.mp3\n"
    )
    with pytest.raises(ContentError, match="import it as a bundle"):
        ingest.import_playlist(spec, None, "王五")
    assert tables(store)["playlists"] == 0


def test_duplicate_playlist_name_is_refused_before_any_work(
    store: Store, settings: Settings
) -> None:
    ingest, engine = counting_library(store, settings)
    spec = parse_playlist("format: villagecast/playlist@1\nname: x\nitems:\n  - pause: 1\n")
    ingest.import_playlist(spec, None, "王五")
    twice = dataclasses.replace(
        spec,
        items=parse_playlist(
            "format: villagecast/playlist@1\nname: x\nitems:\n  - announcement: 你好\n"
        ).items,
    )
    with pytest.raises(ContentError, match="already exists"):
        ingest.import_playlist(twice, None, "王五")
    assert engine.calls == 0


def test_speech_is_normalized_but_cached_per_written_form(store: Store, settings: Settings) -> None:
    ingest, engine = counting_library(store, settings)
    spoken: list[str] = []
    inner = engine.inner

    class Spy:
        name, voice = engine.name, engine.voice

        def synthesize(self, text: str, out_path: Path) -> None:
            spoken.append(text)
            inner.synthesize(text, out_path)  # type: ignore[attr-defined]

    from media.tts import EngineChain

    ingest = Ingest(store, settings, chain=EngineChain([Spy()]))
    clip = ingest.speak("3月28日18:30开会，电话13812345678。")
    assert "十八点三十分" in spoken[0]
    assert "幺三八，幺二三四，五六七八" in spoken[0]
    assert ingest.speak("3月28日18:30开会，电话13812345678。") == clip
    assert len(spoken) == 1
