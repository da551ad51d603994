"""Fault injection: the real player process killed with SIGKILL at random instants.

Each run prints its figures. What must hold after 20 kills: the store passes its
integrity check, no planned part plays twice, every cut broadcast is closed as
`interrupted`, nothing is left `playing`, and no two broadcasts overlap in time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from media.errors import MediaError
from playlists.content import announcement_table, announcing, media_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.playlist_table import NewItem
from playlists.errors import VillagecastError
from playlists.model import AsRunRow, ItemKind, Outcome, Priority, Review, Slide
from playlists.record import asrun
from playlists.record.notes import english
from playlists.schedule import entry_table
from playlists.schedule.limits import MAX_TIMES
from playlists.settings import AudioSettings, PlayerSettings, StorageSettings
from playlists.store import Store
from scheduler.daemon import Daemon
from tests.conftest import make_settings
from tests.paths import REPO
from tests.processes import PANEL_LISTENS, Output, Processes

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

KILLS = 20

CONFIG = """\
data_dir: data
tts: {engines: [espeak-ng]}
audio:
  sink: command
  command: [mpv, --ao=null, --no-video, --no-terminal, --really-quiet, "--start={offset}",
            "{file}"]
player: {poll_seconds: 0.05, grace_seconds: 60, quiet_hours: []}
broadcast: {chime: false, lead_in_seconds: 0, gap_seconds: 0}
storage: {min_free_mb: 1}
screens: [{name: led-bar, width: 352, height: 80}]
"""


def station(folder: Path) -> Path:
    """A station whose playlist (two clips, ~5 s) is due every 6 s for five minutes."""
    config = folder / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = make_settings(folder / "data")
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    clips = [
        ingest.speak("村民朋友们，请注意收听。"),
        ingest.speak("推进五社联动，关爱一小一老。"),
    ]
    now = dt.datetime.now(dt.UTC)
    items = [
        NewItem(ItemKind.ANNOUNCEMENT, clip.duration or 1.0, slide=Slide("通知"),
                media_sha256=clip.sha256)
        for clip in clips
    ]  # fmt: skip
    playlist = playlist_table.add_playlist(
        store, "通知", "", items, now, review=Review.APPROVED, created_by="test"
    )
    first = (now + dt.timedelta(seconds=3)).replace(microsecond=0)
    moments = [(first + dt.timedelta(seconds=6 * n)).astimezone(settings.tz) for n in range(50)]
    for day in sorted({m.date() for m in moments}):
        times = [m.time() for m in moments if m.date() == day]
        for first_of in range(0, len(times), MAX_TIMES):  # an entry holds at most 48 times
            entry_table.add_schedule(
                store,
                playlist,
                day,
                day,
                tuple(times[first_of : first_of + MAX_TIMES]),
                frozenset(range(7)),
                Priority.SCHEDULED,
                now,
                wait_seconds=10,
            )
    store.close()
    return config


def player(config: Path, spawned: Processes) -> subprocess.Popen[bytes]:
    return spawned.start(
        [sys.executable, "-m", "scheduler", "--config", str(config), "player"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_player_killed_20_times_loses_nothing_and_plays_nothing_twice(
    tmp_path: Path, spawned: Processes
) -> None:
    config = station(tmp_path)
    rng = random.Random(20230328)
    began = time.monotonic()
    for _ in range(KILLS):
        proc = player(config, spawned)
        time.sleep(rng.uniform(0.6, 3.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # One last clean run closes and resumes what the last kill cut.
    final = player(config, spawned)
    time.sleep(4)
    final.send_signal(signal.SIGTERM)
    assert final.wait(timeout=15) == 0
    elapsed = time.monotonic() - began

    store = Store.open(tmp_path / "data" / "villagecast.db")
    assert store.integrity_ok()
    rows = asrun.all_rows(store)
    statuses = Counter(row.status.value for row in rows)
    print(f"\n{KILLS} kills in {elapsed:.0f} s: {len(rows)} as-run rows {dict(statuses)}")
    assert statuses[Outcome.PLAYING.value] == 0, "a broadcast was left on air in the log"
    parts = Counter(row.occurrence for row in rows)
    assert all(count == 1 for count in parts.values()), "a part was logged twice"
    played = Counter(
        row.occurrence.split("#")[0]
        for row in rows  # type: ignore[union-attr]
        if row.status is Outcome.PLAYED
    )
    assert all(count == 1 for count in played.values()), "an occurrence played through twice"
    cut = [row for row in rows if row.status is Outcome.INTERRUPTED]
    assert cut, "no kill landed during a broadcast"
    assert all(row.ended_at is not None for row in cut)
    assert {english(row.reason) for row in cut} <= {
        "player stopped during the broadcast",
        "player stopped",
    }
    assert_no_overlap(rows)


def assert_no_overlap(rows: list[AsRunRow]) -> None:
    """Two broadcasts never sound at once: on-air intervals do not overlap."""
    aired = sorted(
        (row.started_at, row.ended_at) for row in rows if row.started_at and row.ended_at
    )
    for (_, end), (start, _) in itertools.pairwise(aired):
        assert start >= end - dt.timedelta(milliseconds=50), f"overlap at {start}"


# -- imports killed midway -------------------------------------------------------------

IMPORT = """\
format: villagecast/playlist@1
name: {name}
items:
{items}
schedule:
  - {{start: 2023-03-28, end: 2023-04-07, times: ["09:00"]}}
"""


def test_import_killed_20_times_leaves_whole_playlists_or_none(
    tmp_path: Path, spawned: Processes
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    rng = random.Random(409)
    sentences = [f"第{n}条通知：请大家关爱一小一老。" for n in range(1, 5)]

    def start(attempt: int) -> subprocess.Popen[bytes]:
        source = tmp_path / f"p{attempt}.yaml"
        lines = "\n".join(f'  - announcement: "{s}{attempt}"' for s in sentences)
        source.write_text(IMPORT.format(name=f"宣传{attempt}", items=lines), encoding="utf-8")
        return spawned.start(
            [sys.executable, "-m", "scheduler", "--config", str(config), "import", str(source)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    began = time.monotonic()
    assert start(-1).wait(timeout=60) == 0
    full = time.monotonic() - began  # kill anywhere in that span, or let it finish
    cut = whole = 0
    for attempt in range(KILLS):
        proc = start(attempt)
        try:
            proc.wait(timeout=rng.uniform(0.2, 1.5) * full)
            whole += 1
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            cut += 1
    store = Store.open(tmp_path / "data" / "villagecast.db")
    assert store.integrity_ok()
    complete = 0
    for row in playlist_table.list_playlists(store):
        playlist = playlist_table.get_playlist(store, row["id"], tmp_path / "data" / "media")
        assert len(playlist.items) == len(sentences), f"{playlist.name} is half imported"
        assert all(item.audio_path and item.audio_path.is_file() for item in playlist.items)
        complete += 1
    entries = entry_table.schedule_entries(store)
    assert len(entries) == complete, "every stored playlist has its schedule, and only those"
    orphans = store.query_one(
        "SELECT COUNT(*) AS n FROM announcements a WHERE NOT EXISTS "
        "(SELECT 1 FROM playlist_items i WHERE i.announcement_id = a.id)"
    )
    assert orphans is not None and orphans["n"] == 0
    print(
        f"\nimports ({full:.1f} s each): {KILLS} started, {cut} killed midway, {whole} "
        f"finished; {complete} playlists stored whole, none half"
    )
    assert complete >= whole + 1, "every import that finished is there, whole"


# -- the audio device fails, then comes back --------------------------------------------


def test_failing_audio_device_is_logged_screens_follow_and_next_broadcast_plays(
    tmp_path: Path,
) -> None:
    flag = tmp_path / "unplugged"
    wrapper = tmp_path / "play.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ -e "{flag}" ]; then echo "aplay: main:831: audio open error: '
        'No such device" >&2; exit 1; fi\n'
        'exec mpv --ao=null --no-video --no-terminal --really-quiet "$1"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    settings = make_settings(tmp_path / "data")
    settings = dataclasses.replace(
        settings,
        audio=AudioSettings(sink="command", command=(str(wrapper), "{file}")),
        player=PlayerSettings(poll_seconds=0.05, quiet_hours=()),
    )
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    clip = ingest.speak("请注意。")
    now = dt.datetime.now(dt.UTC)
    first = (now + dt.timedelta(seconds=2)).replace(microsecond=0)
    second = first + dt.timedelta(seconds=4)
    playlist = playlist_table.add_playlist(
        store, "p", "",
        [NewItem(ItemKind.ANNOUNCEMENT, clip.duration or 1.0, slide=Slide("停电通知"),
                 media_sha256=clip.sha256)],
        now, review=Review.APPROVED, created_by="test")  # fmt: skip
    local = [t.astimezone(settings.tz) for t in (first, second)]
    entry_table.add_schedule(store, playlist, local[0].date(), local[1].date(),
                         tuple(t.time() for t in local), frozenset(range(7)),
                         Priority.SCHEDULED, now)  # fmt: skip
    flag.touch()
    daemon = Daemon(settings, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    shown_while_failing = None
    try:
        while dt.datetime.now(dt.UTC) < first + dt.timedelta(seconds=0.5):
            time.sleep(0.05)
        state = store.screen_state("led-bar")
        shown_while_failing = state[1] if state else None
        flag.unlink()  # the device comes back
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            rows = asrun.all_rows(store)
            if len(rows) == 2 and rows[1].status is not Outcome.PLAYING:
                break
            time.sleep(0.05)
    finally:
        daemon.stop()
        thread.join(timeout=10)
    rows = asrun.all_rows(store)
    assert [r.status for r in rows] == [Outcome.FAILED, Outcome.PLAYED], rows
    assert "audio open error: No such device" in english(rows[0].reason)
    assert shown_while_failing is not None and shown_while_failing["mode"] == "broadcast"
    assert shown_while_failing["slides"][0]["title"] == "停电通知"
    print(f"\nfailed row: {english(rows[0].reason)!r}; next broadcast: {rows[1].status.value}")


# -- a full disk and a read-only one ----------------------------------------------------


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    """A 12 MB tmpfs mounted for the test (needs root, as on the Pi image and in CI)."""
    volume = tmp_path / "volume"
    volume.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(volume)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield volume
    subprocess.run(["umount", "-l", str(volume)], check=False)


def media_consistent(store: Store, media_dir: Path) -> None:
    """Every media row has its whole file, and no half-written file lies around."""
    for row in store.query("SELECT path, bytes FROM media"):
        assert (media_dir / row["path"]).stat().st_size == row["bytes"]
    leftovers = [p for p in media_dir.rglob("*") if p.is_file() and ".tmp" in p.name]
    assert leftovers == []


@pytest.mark.parametrize("min_free_mb", [4, 1], ids=["threshold", "disk-full"])
def test_full_disk_gives_clear_errors_and_corrupts_nothing(
    small_volume: Path, min_free_mb: int
) -> None:
    settings = dataclasses.replace(
        make_settings(small_volume / "data"), storage=StorageSettings(min_free_mb=min_free_mb)
    )
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    errors: list[str] = []
    stored = 0
    for n in range(60):
        text = f"第{n}条：" + "社会工作是帮助有困难的群众、服务社区的专业工作。" * 4
        try:
            announcing.create(ingest, f"通知{n}", text, "王五")
            stored += 1
        except (VillagecastError, MediaError) as exc:
            errors.append(str(exc))
            if len(errors) >= 3:
                break
    print(f"\n{min_free_mb} MB kept free: {stored} announcements stored, then: {errors[0]!r}")
    assert errors, "the volume never filled up"
    if min_free_mb == 4:
        assert all("MB free on the data disk" in e for e in errors)
    else:
        assert all(("No space left" in e or "disk" in e or "MB free" in e) for e in errors)
    assert store.integrity_ok()
    assert len(announcement_table.list_announcements(store)) == stored
    media_consistent(store, settings.media_dir)


def test_read_only_data_folder_gives_clear_errors(small_volume: Path) -> None:
    config = small_volume / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = dataclasses.replace(
        make_settings(small_volume / "data"), storage=StorageSettings(min_free_mb=1)
    )
    store = Store.open(settings.db_path)
    announcing.create(Ingest(store, settings), "通知", "今天停水。", "王五")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    before = settings.db_path.read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    try:
        source = small_volume.parent / "p.yaml"
        source.write_text(
            IMPORT.format(name="新", items='  - announcement: "你好"'), encoding="utf-8"
        )
        for command in (["import", str(source)], ["player"]):
            result = subprocess.run(
                [sys.executable, "-m", "scheduler", "--config", str(config), *command],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
            )
            lines = result.stderr.strip().splitlines()
            print(f"\nread-only, {command[0]}: exit {result.returncode}: {lines[-1:]}")
            assert result.returncode == 1
            assert lines and lines[-1].startswith("villagecast: ")
            assert "Traceback" not in result.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_volume)], check=True)
    assert settings.db_path.read_bytes() == before
    assert Store.open(settings.db_path).integrity_ok()


# -- no network at air time --------------------------------------------------------------


def wait_until(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.1)


def played_manual_and_scheduled(store: Store) -> bool:
    played = [r.priority for r in asrun.all_rows(store) if r.status is Outcome.PLAYED]
    return Priority.MANUAL in played and Priority.SCHEDULED in played


def test_without_any_network_every_broadcast_plays(tmp_path: Path, spawned: Processes) -> None:
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace here")
    config = station(tmp_path)
    online = tmp_path / "online.yaml"
    online.write_text(CONFIG.replace("[espeak-ng]", "[gtts, espeak-ng]"), encoding="utf-8")
    offline = ["unshare", "-n", sys.executable, "-m", "scheduler"]
    proc = spawned.start(
        [*offline, "--config", str(config), "player"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = Store.open(tmp_path / "data" / "villagecast.db")
    try:
        wait_until(lambda: "heartbeat" in store.status(), 30, "the player runs")
        said = subprocess.run(
            [*offline, "--config", str(online), "say", "停电通知"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        # The manual broadcast and the scheduled one due meanwhile both finish.
        wait_until(lambda: played_manual_and_scheduled(store), 40, "both broadcasts play")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert said.returncode == 0, said.stderr
    assert "espeak-ng" in said.stdout, "gTTS had no network; espeak-ng spoke"
    rows = [r for r in asrun.all_rows(store) if r.status is not Outcome.PLAYING]
    print(f"\nno network: {Counter(r.status.value for r in rows)}")
    assert rows and all(r.status in (Outcome.PLAYED, Outcome.INTERRUPTED) for r in rows)
    assert any(r.priority is Priority.MANUAL and r.status is Outcome.PLAYED for r in rows)


# -- the panel killed during imports and edits ------------------------------------------


def town_bundles(folder: Path, sentences: list[str], count: int) -> list[Path]:
    """Bundles a town exported: playlists of the sentences, each under its own name."""
    from playlists.bundles.export import export_bundle
    from playlists.content.playlist_format import parse_playlist

    settings = make_settings(folder / "data")
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    lines = "\n".join(f'  - announcement: "{s}"' for s in sentences)
    paths = []
    for n in range(count):
        spec = parse_playlist(IMPORT.format(name=f"镇宣传{n}", items=lines).encode())
        playlist = ingest.import_playlist(spec, None, "town", review=Review.APPROVED)
        paths.append(folder / f"town-{n}.zip")
        export_bundle(store, settings, playlist, paths[-1])
    store.close()
    return paths


def test_panel_killed_20_times_during_imports_and_edits_leaves_whole_content(
    tmp_path: Path, spawned: Processes
) -> None:
    import re

    import requests

    from playlists.access import users

    config = tmp_path / "config.yaml"
    config.write_text(CONFIG + "panel: {port: 0}\n", encoding="utf-8")
    store = Store.open(tmp_path / "data" / "villagecast.db")
    users.add_user(store, "wangwu", "operator-pass-1", "operator", dt.datetime.now(dt.UTC))
    rng = random.Random(2023)
    sentences = [f"第{n}条：请大家关爱一小一老。" for n in range(1, 4)]
    bundles = town_bundles(tmp_path / "town", sentences, KILLS // 3 + 1)
    sent = {"import": 0, "bundle": 0, "announcement": 0}
    spans: dict[str, float] = {}  # seconds one request of each kind takes, unkilled
    for attempt in range(KILLS):
        panel = spawned.start(
            [sys.executable, "-m", "web", "--config", str(config)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        base = Output(panel.stderr).wait_for(PANEL_LISTENS, timeout=30)[1]
        session = requests.Session()
        deadline = time.monotonic() + 20
        while True:
            try:
                page = session.get(f"{base}/login", timeout=2).text
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the panel did not start"
                time.sleep(0.1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        login = {"username": "wangwu", "password": "operator-pass-1", "csrf_token": token[1]}
        home = session.post(f"{base}/login", data=login, timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home)
        assert csrf is not None

        def edit(
            n: int = attempt,
            token: str = csrf[1],
            session: requests.Session = session,
            base: str = base,
        ) -> None:
            try:
                if n % 3 == 2:
                    session.post(
                        f"{base}/bundles/import",
                        data={"csrf_token": token},
                        files={"bundle": ("town.zip", bundles[n // 3].read_bytes())},
                        timeout=30,
                    )
                elif n % 3 == 1:
                    lines = "\n".join(f'  - announcement: "{s}{n}"' for s in sentences)
                    body = IMPORT.format(name=f"宣传{n}", items=lines).encode()
                    session.post(
                        f"{base}/playlists/import",
                        data={"csrf_token": token},
                        files={"playlist": ("p.yaml", body)},
                        timeout=30,
                    )
                else:
                    session.post(
                        f"{base}/announcements",
                        timeout=30,
                        data={
                            "csrf_token": token,
                            "title": f"通知{n}",
                            "text": f"今天下午{n}点开会，请准时参加。",
                        },
                    )
            except requests.RequestException:
                return  # the panel was killed under the request: that is the point

        kind = ("announcement", "import", "bundle")[attempt % 3]
        sent[kind] += 1
        worker = threading.Thread(target=edit)
        began = time.monotonic()
        worker.start()
        if kind in spans:
            # Kill anywhere in the time this kind of request takes, or just after it.
            time.sleep(rng.uniform(0.05, 1.2 * spans[kind]))
        else:  # the first of each kind runs to the end: how long it takes is the span
            worker.join(timeout=60)
            spans[kind] = time.monotonic() - began
        os.kill(panel.pid, signal.SIGKILL)
        panel.wait()
        worker.join(timeout=30)

    assert store.integrity_ok()
    media = tmp_path / "data" / "media"
    complete = 0
    for row in playlist_table.list_playlists(store):
        playlist = playlist_table.get_playlist(store, row["id"], media)
        assert len(playlist.items) == len(sentences), f"{playlist.name} is half imported"
        assert all(item.audio_path and item.audio_path.is_file() for item in playlist.items)
        complete += 1
    announcements = announcement_table.list_announcements(store)
    for announcement in announcements:
        record = media_table.get_media(store, announcement.media_sha256)
        assert record is not None and (media / record.path).is_file()
    print(
        f"\npanel killed {KILLS} times: {sent} requests; {complete} playlists stored whole, "
        f"{len(announcements)} announcements with their speech, none half"
    )
