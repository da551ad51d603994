"""What each `villagecast` command does; `cli.py` only parses arguments."""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import getpass
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from playlists.clock import station_iso, station_today, utc_now
from playlists.content import playlist_table
from playlists.model import AsRunRow, PlannedBroadcast, Priority, Review, Slide
from playlists.plan import day_range, iter_station_plan
from playlists.record import notes
from playlists.settings import Settings
from playlists.store import Store

if TYPE_CHECKING:
    from playlists.content.ingest import Ingest

# Speech engines (gTTS, requests), Pillow, APScheduler and the text normalizer are
# imported by the commands that use them, so `--help`, `plan` and the like start fast
# (tests/scheduler/test_cli_imports.py); so are the modules only one command uses.

SAMPLE = "social-work-2023.yaml"


def init(settings: Settings) -> int:
    """Create the data folder, the first admin and the sample campaign; idempotent."""
    from playlists.access import users
    from playlists.content.ingest import Ingest
    from playlists.content.playlist_format import parse_playlist

    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)  # also a folder made earlier by hand or a looser umask
    store = Store.open(settings.db_path)
    print(f"data folder: {settings.data_dir}")
    if users.count_users(store) == 0:
        password = users.new_password()
        users.add_user(store, "admin", password, "admin", utc_now(), must_change_password=True)
        print(f"created user 'admin' with one-time password: {password}")
        print("  (you will be asked to choose a new password at the first login)")
    sample = resources.files("playlists").joinpath("samples", SAMPLE).read_bytes()
    spec = parse_playlist(sample, SAMPLE)
    if playlist_table.playlist_id_by_name(store, spec.name) is None:
        ingest = Ingest(store, settings)
        # The sample is the station's own, shipped with villagecast: approved, so it airs.
        ingest.import_playlist(spec, base_dir=None, created_by="init", review=Review.APPROVED)
        print(f"imported the sample campaign playlist {spec.name!r}")
    print(
        "ready: run `villagecast up` and open the panel at "
        f"http://{settings.panel.host}:{settings.panel.port}/"
    )
    return 0


def player(settings: Settings) -> int:
    from scheduler.daemon import run_player

    run_player(settings)
    return 0


def _panel_argv(path: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "web"]
    return argv + (["--config", str(path)] if path else [])


def panel(path: Path | None) -> int:
    """Replace this process with the panel's own, so signals reach it directly."""
    argv = _panel_argv(path)
    os.execv(argv[0], argv)


def up(path: Path | None, verbose: bool) -> int:
    """Run player and panel as two child processes until Ctrl-C, SIGTERM or either exits."""
    from scheduler.lifeline import start_child
    from scheduler.stopping import stop_on_signals

    stopping = threading.Event()
    stop_on_signals(stopping, "up")
    base = [sys.executable, "-m", "scheduler"] + (["--config", str(path)] if path else [])
    # Each child gets SIGTERM if `up` itself dies, even by SIGKILL: an orphaned player
    # would be a second voice on the loudspeakers when `up` is started again.
    children = [
        start_child(base + (["-v"] if verbose else []) + ["player"]),
        start_child(_panel_argv(path)),
    ]
    code = 0
    try:
        while not stopping.wait(0.2):
            ended = [child.returncode for child in children if child.poll() is not None]
            if ended:
                code = ended[0]
                break
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return code


def _range(
    tz: ZoneInfo, first: dt.date | None, last: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    today = station_today(utc_now(), tz)
    first = first or today
    last = last or first + dt.timedelta(days=6)
    return day_range(first, last, tz)


def plan(settings: Settings, first: dt.date | None, last: dt.date | None, as_json: bool) -> int:
    start, end = _range(settings.tz, first, last)
    store = Store.open(settings.db_path)
    broadcasts = iter_station_plan(store, settings, start, end)  # a day at a time
    if as_json:
        print_json_array(_plan_json(b, settings.tz) for b in broadcasts)
        return 0
    count = 0
    for b in broadcasts:
        count += 1
        local = b.start.astimezone(settings.tz)
        print(
            f"{local:%Y-%m-%d %a %H:%M}  {b.priority.value:<9}  {b.playlist_name}  "
            f"({(b.end - b.start).total_seconds():.0f} s)"
            + ("  quiet hours: will not play" if b.quiet else "")
            + ("  awaiting review: will not play" if b.unapproved else "")
        )
    print(f"{count} broadcasts, times in {settings.station.timezone}")
    return 0


def print_json_array(items: Iterable[object]) -> None:
    """Print items as `json.dumps(list(items), indent=2)` would, one item at a time."""
    out = sys.stdout
    opened = False
    for item in items:
        out.write(",\n" if opened else "[\n")
        out.write(_indented_json(item))
        opened = True
    out.write("\n]\n" if opened else "[]\n")


_SCALARS = (str, bool, int, float, type(None))
_CONSTANTS = {True: "true", False: "false", None: "null"}


def _scalar_json(value: object) -> str:
    if isinstance(value, str):
        return str(json.encoder.encode_basestring(value))  # what ensure_ascii=False uses
    if value is None or isinstance(value, bool):
        return _CONSTANTS[value]
    return json.dumps(value)


def _flat(item: dict[object, object]) -> bool:
    """Tell whether an object has text keys and plain values only."""
    return all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in item.items())


def _indented_json(item: object) -> str:
    """Return one array item as indent=2 JSON, written out directly for flat objects.

    json.dumps with an indent runs the encoder in Python: a year of broadcasts took
    most of `plan --json`'s time in it.
    """
    if isinstance(item, dict) and item and _flat(item):
        fields = ",\n".join([f"    {_key_json(k)}: {_scalar_json(v)}" for k, v in item.items()])
        return "  {\n" + fields + "\n  }"
    return "  " + json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")


@functools.lru_cache(maxsize=64)
def _key_json(key: str) -> str:
    """Return an object key as JSON; the same few keys come on every line."""
    return _scalar_json(key)


def _plan_json(b: PlannedBroadcast, tz: ZoneInfo) -> dict[str, str | bool]:
    return {
        "start": station_iso(b.start, tz),
        "end": station_iso(b.end, tz),
        "playlist": b.playlist_name,
        "priority": b.priority.value,
        "quiet": b.quiet,
        "approved": not b.unapproved,
    }


def simulate(settings: Settings, first: dt.date | None, last: dt.date | None, as_json: bool) -> int:
    from scheduler.simulate import simulated_rows

    start, end = _range(settings.tz, first, last)
    store = Store.open(settings.db_path)
    with simulated_rows(settings, store, start, end) as rows:
        if as_json:
            print_json_array(_row_json(r, settings.tz) for r in rows)
            return 0
        counts: collections.Counter[str] = collections.Counter()
        for r in rows:
            started = station_iso(r.started_at, settings.tz)
            print(
                f"{r.scheduled_at.astimezone(settings.tz):%Y-%m-%d %H:%M:%S}  "
                f"{r.status.value:<11}  {r.playlist_name}  started {started or '-'}  "
                f"{notes.english(r.reason)}"
            )
            counts[r.status.value] += 1
    total = sum(counts.values())
    print(f"{total} broadcasts: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0


def _row_json(r: AsRunRow, tz: ZoneInfo) -> dict[str, str | None]:
    return {
        "scheduled": station_iso(r.scheduled_at, tz),
        "started": station_iso(r.started_at, tz),
        "ended": station_iso(r.ended_at, tz),
        "playlist": r.playlist_name,
        "priority": r.priority.value,
        "status": r.status.value,
        "reason": notes.english(r.reason),
    }


def token(settings: Settings, action: str, args: argparse.Namespace) -> int:
    """Make, list or revoke API tokens; whoever runs this on the station acts as an admin."""
    from playlists.access import tokens

    store = Store.open(settings.db_path)
    by = f"cli:{getpass.getuser()}"
    if action == "add":
        secret = tokens.create_token(store, args.user, args.name, utc_now(), by=by)
        print(f"token for {args.user!r} ({args.name}), shown only this once:\n{secret}")
    elif action == "list":
        for t in tokens.list_tokens(store):
            last = t.last_used_at
            used = f"used {last.astimezone(settings.tz):%Y-%m-%d %H:%M}" if last else "never used"
            print(f"{t.id:>4}  {t.username:<20} {t.name:<30} {used}")
    else:
        revoked = tokens.revoke(store, args.id, by, utc_now())
        print(f"revoked token {revoked.id} ({revoked.name}) of {revoked.username!r}")
    return 0


def prune_media(settings: Settings) -> int:
    """Delete cached media nothing uses that is older than storage.cache_days."""
    from playlists.content.prune import prune

    report = prune(Store.open(settings.db_path), settings, utc_now())
    print(
        f"pruned {report.media_rows} cached media and {report.files} files, "
        f"{report.bytes / 1e6:.1f} MB freed"
    )
    return 0


def check(settings: Settings, as_json: bool) -> int:
    """Print the station's health; exit 1 when something fails."""
    from playlists.health import run_checks

    results = run_checks(settings, utc_now())
    if as_json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
        for r in results:
            print(f"{marks[r.status]}  {r.name:<8} {r.detail}")
    return 1 if any(r.status == "fail" for r in results) else 0


def import_file(settings: Settings, path: Path, *, draft: bool = False) -> int:
    """Import a playlist file; approved, unless draft asks for review in the panel.

    Whoever runs commands on the station is trusted like an admin; the panel's import
    always makes a draft.
    """
    from playlists.content.ingest import Ingest
    from playlists.content.playlist_format import parse_playlist

    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"villagecast: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    spec = parse_playlist(data, str(path))
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    review = Review.DRAFT if draft else Review.APPROVED
    playlist_id = ingest.import_playlist(
        spec,
        base_dir=path.resolve().parent,
        created_by=f"cli:{getpass.getuser()}",
        review=review,
        may_emergency=True,  # the station's shell is trusted like an admin
    )
    print(
        f"imported playlist {spec.name!r} (id {playlist_id}) with {len(spec.items)} items "
        f"and {len(spec.schedule)} schedule entries"
        + (", as a draft for review in the panel" if draft else "")
    )
    return 0


def render(settings: Settings, text: str, title: str, out: Path, *, as_aired: bool = False) -> int:
    """Write speech.wav, <screen>.png (and <screen>.scroll.png) and layout.json into out.

    With as_aired, speech.wav opens with the lead-in and chime the player plays before it.
    layout.json tells for each screen the mode (still or scroll), the font, its pixel
    size and the lines as text, so a layout can be checked without looking at pixels.
    """
    from media.audio import join_clips
    from playlists.content.ingest import Ingest

    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    clip = ingest.speak(text)
    out.mkdir(parents=True, exist_ok=True)
    speech = out / "speech.wav"
    if as_aired:
        openers = ingest.openers()
        # The player plays the openers straight into the first item, with no gap.
        records = [r for r in (openers.lead_in, openers.chime, clip) if r is not None]
        aired = join_clips([ingest.path_of(record) for record in records], speech)
        opened = " and ".join(
            name for name, r in (("lead-in", openers.lead_in), ("chime", openers.chime)) if r
        )
        print(f"as aired: {opened or 'no openers'} before the speech, {aired.duration:.1f} s")
        written = [speech]
    else:
        written = [_copy(ingest.path_of(clip), speech)]
    slide = Slide(title.strip(), text.strip())
    written += _write_slides(ingest, settings, slide, out)
    for path in written:
        print(path)
    print(f"speech by {clip.engine}, {clip.duration or 0:.1f} s")
    return 0


def _write_slides(ingest: Ingest, settings: Settings, slide: Slide, out: Path) -> list[Path]:
    """Draw the slide once per screen: its images, and how it is laid out as layout.json."""
    from media.slides import describe, slide_png

    written, screens = [], []
    for screen in settings.screens:
        rendered = ingest.slides.render(screen, slide)
        written.append(_write(slide_png(rendered.image), out / f"{screen.name}.png"))
        if rendered.scroll is not None:
            written.append(_write(slide_png(rendered.scroll), out / f"{screen.name}.scroll.png"))
        size = {"screen": screen.name, "width": screen.width, "height": screen.height}
        screens.append(size | describe(rendered))
    layout = {"title": slide.title, "text": slide.body, "screens": screens}
    text = json.dumps(layout, ensure_ascii=False, indent=2) + "\n"
    written.append(_write(text.encode("utf-8"), out / "layout.json"))
    return written


def _write(data: bytes, target: Path) -> Path:
    from media.files import atomic_output

    with atomic_output(target, ".tmp") as tmp:
        tmp.write_bytes(data)
    return target


def _copy(source: Path, target: Path) -> Path:
    from media.files import atomic_output

    with atomic_output(target, ".tmp") as tmp:
        shutil.copyfile(source, tmp)
    return target


def say(settings: Settings, text: str, wait: float = 5.0) -> int:
    """Speak a text now: synthesize here, then ask the player to play it."""
    from playlists import commands as contract
    from playlists.commands import PlaySpeech, ReasonCode
    from playlists.content.ingest import Ingest

    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    record = ingest.speak(text)
    ingest.render_slides(Slide(text[:20], text))  # so the screens switch with the voice
    speech = PlaySpeech(record.sha256, text[:20], text, Priority.MANUAL)
    waiting = contract.Waiting(seconds=wait, poll=0.1)
    sent = contract.send_and_await(store, speech, f"cli:{getpass.getuser()}", utc_now(), waiting)
    if sent.unreadable is not None:
        print(f"villagecast: cannot read the player's answer: {sent.unreadable}", file=sys.stderr)
        return 1
    if sent.result is None:
        print(
            "villagecast: the player did not take the command within "
            f"{wait:.0f} s; is `villagecast player` running?",
            file=sys.stderr,
        )
        return 1
    print(f"player: {contract.english(sent.result)} ({record.engine}, {record.duration:.1f} s)")
    return 0 if sent.result.reason.code is ReasonCode.STARTED else 1
