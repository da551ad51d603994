"""Re-voicing the library: better engines speak again, changed clips go back to review.

The engines are the real espeak-ng, under its own name or another one: a stand-in
named like a better (online) engine, or like an engine the station no longer has.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from media.errors import TtsError
from media.tts import EngineChain, EspeakEngine, TtsEngine
from playlists.content import announcement_table, announcing, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.revoice import engine_rank, revoice
from playlists.model import Review
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

NOW = dt.datetime(2023, 3, 27, 9, 0, tzinfo=dt.UTC)
TEXTS = ("村民朋友们，今晚八点放映电影。", "请大家注意防火，不要在山上用火。")
BY = "cli:tester"


class RenamedEspeak:
    """The real espeak-ng speaking under another engine's name, at its own speed."""

    def __init__(self, name: str, speed: int) -> None:
        self.name = name
        self.voice = f"espeak-{speed}"
        self.inner = EspeakEngine(speed=speed)
        self.calls = 0

    def synthesize(self, text: str, out_path: Path) -> None:
        self.calls += 1
        self.inner.synthesize(text, out_path)


class FailingEngine:
    """An online engine with no network."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.voice = "zh-CN"
        self.calls = 0

    def synthesize(self, text: str, out_path: Path) -> None:
        self.calls += 1
        raise TtsError("network unreachable", engine=self.name)


def with_chain(store: Store, settings: Settings, *engines: TtsEngine) -> Ingest:
    return Ingest(store, settings, chain=EngineChain(engines), now=lambda: NOW)


def fill(store: Store, settings: Settings, made_by: TtsEngine, tmp_path: Path) -> dict[str, int]:
    """Save two announcements spoken by made_by (one approved) and one with a recording."""
    ingest = with_chain(store, settings, made_by)
    ids = {
        "draft": announcing.create(ingest, "电影", TEXTS[0], "op"),
        "approved": announcing.create(ingest, "防火", TEXTS[1], "op", review=Review.APPROVED),
        "recorded": announcing.create(ingest, "开会", "今天下午三点开会。", "op"),
    }
    recording = tmp_path / "voice.wav"
    EspeakEngine(speed=110).synthesize("今天下午三点在村委会开会。", recording)
    announcing.give_recording(ingest, ids["recorded"], recording, "村长录音.wav", "op")
    return ids


def snapshot(store: Store) -> list[tuple[int, str, str, Review]]:
    return [
        (a.id, a.media_sha256, a.engine, a.review)
        for a in announcement_table.list_announcements(store)
    ]


@pytest.mark.parametrize(
    ("made_by", "chain", "everything", "engine_after"),
    [
        pytest.param(
            "espeak-ng", ("edge-tts", "espeak-ng"), False, "edge-tts", id="backup-to-online"
        ),
        pytest.param("espeak-ng", ("gtts", "espeak-ng"), False, "gtts", id="backup-to-google"),
        pytest.param("old-voice", ("espeak-ng",), False, "espeak-ng", id="gone-engine-to-espeak"),
        pytest.param("gtts", ("edge-tts",), False, "edge-tts", id="google-to-microsoft"),
        pytest.param("gtts", ("espeak-ng",), True, "espeak-ng", id="all-even-if-worse"),
    ],
)
def test_better_engines_speak_again_and_send_it_back_to_review(
    store: Store,
    settings: Settings,
    tmp_path: Path,
    made_by: str,
    chain: tuple[str, ...],
    everything: bool,
    engine_after: str,
) -> None:
    ids = fill(store, settings, RenamedEspeak(made_by, 140), tmp_path)
    before = {a.id: a for a in announcement_table.list_announcements(store)}
    engines = [EspeakEngine() if n == "espeak-ng" else RenamedEspeak(n, 175) for n in chain]
    report = revoice(with_chain(store, settings, *engines), BY, everything=everything)

    assert [r.announcement_id for r in report.changed] == [ids["draft"], ids["approved"]]
    assert {(r.old_engine, r.new_engine) for r in report.changed} == {(made_by, engine_after)}
    assert (report.kept, report.recordings) == ((), 1)
    for key in ("draft", "approved"):
        now = announcement_table.get_announcement(store, ids[key])
        assert (now.engine, now.review, now.changed_by) == (engine_after, Review.DRAFT, BY)
        assert now.media_sha256 != before[ids[key]].media_sha256
        assert now.duration > 1
    recorded = announcement_table.get_announcement(store, ids["recorded"])
    assert recorded.engine == "recording"
    assert recorded.media_sha256 == before[ids["recorded"]].media_sha256
    rows = audit.rows(store, action="revoice")
    assert sorted(r.subject_id for r in rows) == [ids["draft"], ids["approved"]]
    assert {r.username for r in rows} == {BY}
    assert f"{made_by} → {engine_after}" in rows[0].detail


@pytest.mark.parametrize(
    ("made_by", "chain"),
    [
        pytest.param("espeak-ng", ("espeak-ng",), id="nothing-better-in-the-chain"),
        pytest.param("edge-tts", ("gtts", "espeak-ng"), id="already-the-best"),
    ],
)
def test_nothing_better_changes_nothing(
    store: Store, settings: Settings, tmp_path: Path, made_by: str, chain: tuple[str, ...]
) -> None:
    fill(store, settings, RenamedEspeak(made_by, 140), tmp_path)
    before = snapshot(store)
    engines = [RenamedEspeak(name, 175) for name in chain]
    report = revoice(with_chain(store, settings, *engines), BY)
    assert (report.changed, report.kept, report.recordings) == ((), (), 1)
    assert [e.calls for e in engines] == [0] * len(engines), "nothing was spoken"
    assert snapshot(store) == before


def test_an_unreachable_better_engine_keeps_the_clip(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    fill(store, settings, EspeakEngine(), tmp_path)
    before = snapshot(store)
    offline = RenamedEspeak("espeak-ng", 175)
    online = FailingEngine("edge-tts")
    report = revoice(with_chain(store, settings, online, offline), BY)
    assert len(report.kept) == 2 and report.changed == ()
    assert online.calls == 1, "a service that failed once is not asked for every announcement"
    assert offline.calls == 0, "a worse or equal engine never replaces a clip"
    assert snapshot(store) == before
    assert audit.rows(store, action="revoice") == []


def test_past_a_dead_service_the_next_better_engine_speaks(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    fill(store, settings, EspeakEngine(), tmp_path)
    microsoft, google = FailingEngine("edge-tts"), RenamedEspeak("gtts", 175)
    report = revoice(with_chain(store, settings, microsoft, google, EspeakEngine()), BY)
    assert [(r.old_engine, r.new_engine) for r in report.changed] == [("espeak-ng", "gtts")] * 2
    assert (microsoft.calls, google.calls) == (1, 2)


def test_all_with_the_same_engine_and_voice_changes_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    fill(store, settings, EspeakEngine(), tmp_path)
    before = snapshot(store)
    report = revoice(with_chain(store, settings, EspeakEngine()), BY, everything=True)
    assert report.changed == () and len(report.kept) == 2
    assert snapshot(store) == before


def test_dry_run_lists_and_changes_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    ids = fill(store, settings, EspeakEngine(), tmp_path)
    before = snapshot(store)
    better = RenamedEspeak("edge-tts", 175)
    report = revoice(with_chain(store, settings, better), BY, dry_run=True)
    assert [(r.announcement_id, r.new_engine) for r in report.changed] == [
        (ids["draft"], ""),
        (ids["approved"], ""),
    ]
    assert better.calls == 0
    assert snapshot(store) == before
    assert audit.rows(store, action="revoice") == []


def test_playlists_play_the_new_clip(store: Store, settings: Settings, tmp_path: Path) -> None:
    from playlists.content.playlist_format import parse_playlist

    spec = parse_playlist(
        "format: villagecast/playlist@1\nname: 防火\nitems:\n"
        f"  - announcement: {TEXTS[1]}\n    repeat: 2\n",
        "p.yaml",
    )
    old = with_chain(store, settings, EspeakEngine())
    playlist_id = old.import_playlist(spec, None, "op", review=Review.APPROVED)
    revoice(with_chain(store, settings, RenamedEspeak("edge-tts", 175)), BY)
    [announcement] = announcement_table.list_announcements(store)
    [item] = playlist_table.get_playlist(store, playlist_id, settings.media_dir).items
    assert announcement.engine == "edge-tts" and announcement.review is Review.DRAFT
    assert item.media_sha256 == announcement.media_sha256
    assert item.duration == pytest.approx(announcement.duration)


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ("edge-tts", "gtts"),
        ("gtts", "mbrola"),
        ("mbrola", "kokoro"),
        ("kokoro", "espeak-ng"),
        ("espeak-ng", "old-voice"),
        ("espeak-ng", ""),
    ],
    ids=lambda name: name or "no-engine",
)
def test_engine_rank(better: str, worse: str) -> None:
    assert engine_rank(better) < engine_rank(worse)
