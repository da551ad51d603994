"""Measure media work: memory of long ingests and playouts, speech speed, rebuild cache hits.

Run: .venv/bin/python bench/media_bench.py [--minutes 10 60] [--count N] [--rebuild N]

- memory: peak resident set of the Python process (VmHWM) and of each tool it runs
  (/usr/bin/time) while `Ingest.ingest_audio` normalizes a 10- and a 60-minute MP3, and
  while a `Daemon` plays a playlist built round each recording on `aplay -D null` (which
  reads a file as fast as it can, so an hour plays in seconds); goal: under 80 MB and flat
  with length. Peaks last a process's lifetime, so each case runs in a fresh process;
  a play case also prints how many files the player holds open once it is done;
- speech: wall time of `Ingest.speak` over N fresh announcement texts against espeak-ng
  and the same ffmpeg passes run by hand on the same texts, interleaved;
- rebuild: importing a playlist of announcements, then the same one under a new name:
  time and engine calls of each pass; goal: 0 engine calls the second time.
The figures are printed on the last lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from media.textnorm import speech_text
from media.tts import EngineChain, EspeakEngine
from playlists.commands import PlayPlaylist, encode_request
from playlists.content import media_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import ItemSpec, PlaylistSpec
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Outcome, Review, Slide
from playlists.record import asrun
from playlists.settings import (
    AudioSettings,
    BroadcastSettings,
    PlayerSettings,
    Settings,
    TtsSettings,
)
from playlists.store import Store
from scheduler.daemon import Daemon

SEED = Path(__file__).resolve().parents[2] / "shared/seed/000_764db24b36885519.txt"
CLAUSE_BREAK = re.compile(r"[，,。！？；!?;:：\n]+")
HAN = re.compile(r"[\u4e00-\u9fff]")
LOUDNESS = re.compile(r"^\s*I:\s+(-?\d+(?:\.\d+)?) LUFS", re.MULTILINE)
TOOLS = ("ffmpeg", "ffprobe", "aplay")  # what the cases run, each timed
FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats"]
LOOP_SHARE = 0.2  # the announcement loop lasts this share of the recording
LOOP_CLIPS = 8


def settings_in(folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="aplay", device="null"),
        # A gap is a pause on the real clock: 0.5 s per item would make the hour that
        # aplay -D null plays in seconds take minutes, and pauses hold no memory.
        broadcast=BroadcastSettings(gap_seconds=0.0),
        player=PlayerSettings(quiet_hours=()),
    )


def announcement_texts(count: int) -> list[str]:
    """Return count distinct texts: runs of consecutive clauses of the seed notice."""
    notice = SEED.read_text(encoding="utf-8")
    clauses = [c.strip() for c in CLAUSE_BREAK.split(notice) if len(HAN.findall(c)) >= 4]
    texts: dict[str, None] = {}
    for width in range(2, len(clauses) + 1):
        for start in range(len(clauses) - width + 1):
            texts.setdefault("，".join(clauses[start : start + width]) + "。", None)
            if len(texts) == count:
                return list(texts)
    raise ValueError(f"the seed notice gives only {len(texts)} texts, not {count}")


def status_mb(key: str) -> float:
    """Return a memory figure of this process from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- memory: each case in a child process ------------------------------------------------


def child_ingest(folder: Path, source: str) -> dict[str, Any]:
    """Normalize one long recording into the media folder."""
    settings = settings_in(folder)
    record = Ingest(Store.open(settings.db_path), settings).ingest_audio(Path(source))
    return {"sha256": record.sha256, "duration": record.duration}


def child_play(folder: Path, playlist_id: str) -> dict[str, Any]:
    """Play a playlist through the daemon, as the panel's "play now" asks it to."""
    settings = settings_in(folder)
    store = Store.open(settings.db_path)
    daemon = Daemon(settings, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    payload = encode_request(PlayPlaylist(int(playlist_id)))
    before = len(asrun.all_rows(store))
    store.add_command("play", payload, "bench", dt.datetime.now(dt.UTC))
    deadline = time.monotonic() + 300
    rows = asrun.all_rows(store)
    while (len(rows) == before or rows[-1].status is Outcome.PLAYING) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
        rows = asrun.all_rows(store)
    daemon.stop()
    thread.join(10)
    played = rows[-1] if len(rows) > before else None
    if played is None or played.status is not Outcome.PLAYED:
        raise RuntimeError(f"the playlist did not play through: {played}")
    return {"files": len(os.listdir("/proc/self/fd"))}


CHILDREN = {"ingest": child_ingest, "play": child_play}


def timed_tools_env(folder: Path, log: Path) -> dict[str, str]:
    """Return an environment whose PATH runs ffmpeg, ffprobe and aplay under /usr/bin/time."""
    # getrusage(RUSAGE_CHILDREN) cannot tell a child's size: a child counts the Python
    # image it was forked from until it execs, so a 2 MB aplay reads as the 40 MB player.
    # /usr/bin/time forks from a small process. Nothing else is on PATH, so the daemon's
    # clock check (timedatectl) is skipped and every tool a case runs must be listed here.
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in TOOLS:
        real = shutil.which(tool)
        assert real is not None, f"{tool} is not installed"
        timed = f"/usr/bin/time -a -o {shlex.quote(str(log))} -f '{tool} %M' {real}"
        (bin_dir / tool).write_text(f'#!/bin/sh\nexec {timed} "$@"\n')
        (bin_dir / tool).chmod(0o755)
    return {**os.environ, "PATH": str(bin_dir)}


def tool_peaks(log: Path) -> dict[str, tuple[float, int]]:
    """Read the time log into each tool's peak resident set (MB) and number of runs."""
    peaks: dict[str, tuple[float, int]] = {}
    for tool, kb in re.findall(r"^(\w+) (\d+)$", log.read_text(), re.MULTILINE):
        peak, runs = peaks.get(tool, (0.0, 0))
        peaks[tool] = (max(peak, int(kb) / 1024), runs + 1)
    return peaks


def run_child(mode: str, folder: Path, arg: str) -> dict[str, Any]:
    """Run one case in a fresh process; return its figures and its tools' peaks."""
    log = folder / f"{mode}-tools.log"
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(folder), arg]
    began = time.perf_counter()
    result = subprocess.run(
        argv, capture_output=True, text=True, env=timed_tools_env(folder, log), check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return figures | {"seconds": time.perf_counter() - began, "tools": tool_peaks(log)}


def make_recording(folder: Path, minutes: float) -> Path:
    """Write an MP3 of minutes of speech: the seed notice spoken by espeak-ng, looped."""
    notice = folder / "notice.wav"
    if not notice.is_file():
        espeak = ["espeak-ng", "-v", "cmn-latn-pinyin", "-s", "150", "-w", str(notice)]
        subprocess.run([*espeak, "-f", str(SEED)], check=True, capture_output=True)
    mp3 = folder / f"recording-{minutes:g}.mp3"
    loop = ["-stream_loop", "-1", "-i", str(notice), "-t", f"{minutes * 60:.0f}"]
    phone = ["-ac", "1", "-ar", "22050", "-b:a", "48k"]  # what a phone recording uploads as
    subprocess.run([*FFMPEG, "-loglevel", "error", *loop, *phone, "-y", str(mp3)], check=True)
    return mp3


def build_playlist(folder: Path, recording: str, texts: list[str]) -> tuple[int, float, int]:
    """Store a loop of announcements then the recording; return id, seconds and clips."""
    settings = settings_in(folder)
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    openers = ingest.openers()  # made now: the daemon only looks them up
    record = media_table.get_media(store, recording)
    assert record is not None and record.duration is not None
    clips = [ingest.speak(text) for text in texts[:LOOP_CLIPS]]
    loop_seconds = sum(clip.duration or 0.0 for clip in clips)
    repeat = max(1, round(LOOP_SHARE * record.duration / loop_seconds))
    items = [
        NewItem(ItemKind.ANNOUNCEMENT, clip.duration or 0.0, repeat, Slide(body=text),
                media_sha256=clip.sha256)
        for clip, text in zip(clips, texts, strict=False)
    ]  # fmt: skip
    items.append(NewItem(ItemKind.AUDIO, record.duration, 1, Slide("录音", "通知录音"),
                         media_sha256=record.sha256))  # fmt: skip
    for item in items:  # slides are rendered when content is saved, never at air time
        ingest.render_slides(item.slide)
    playlist_id = playlist_table.add_playlist(
        store, "long", "", items, dt.datetime.now(dt.UTC), review=Review.APPROVED, created_by="test"
    )
    opened = [o for o in (openers.lead_in, openers.chime) if o is not None]
    seconds = sum(o.duration or 0.0 for o in opened) + repeat * loop_seconds + record.duration
    return playlist_id, seconds, len(opened) + len(clips) * repeat + 1


def bench_memory(folder: Path, lengths: list[float], texts: list[str]) -> list[str]:
    ingests, plays = [], []
    for minutes in lengths:
        case = folder / f"{minutes:g}min"
        case.mkdir()
        source = make_recording(folder, minutes)
        ingest = run_child("ingest", case, str(source))
        source.unlink()
        playlist_id, seconds, clips = build_playlist(case, ingest["sha256"], texts)
        play = run_child("play", case, str(playlist_id))
        ingests.append(ingest)
        plays.append(play | {"playlist": seconds, "clips": clips})
        shutil.rmtree(case)
    return memory_lines(lengths, ingests, plays)


def memory_lines(lengths: list[float], ingests: list[dict], plays: list[dict]) -> list[str]:
    lines = []
    for minutes, ingest in zip(lengths, ingests, strict=True):
        lines.append(
            f"memory, ingest {minutes:g}-min MP3: {python_peak(ingest)}; "
            f"{tools_peak(ingest)}; case {ingest['seconds']:.1f} s"
        )
    for minutes, play in zip(lengths, plays, strict=True):
        lines.append(
            f"memory, play {minutes:g}-min recording + announcement loop "
            f"({play['playlist'] / 60:.1f} min, {play['clips']} clips): "
            f"{python_peak(play)}, {play['files']} files open after; {tools_peak(play)}; "
            f"case {play['seconds']:.1f} s"
        )
    label = f"{lengths[-1]:g}/{lengths[0]:g} min"
    for name, cases in (("ingest", ingests), ("play", plays)):
        ratios = [f"python {cases[-1]['python'] / cases[0]['python']:.2f}"]
        for tool, (peak, _) in cases[-1]["tools"].items():
            ratios.append(f"{tool} {peak / cases[0]['tools'][tool][0]:.2f}")
        lines.append(f"memory ratio {label}, {name}: {', '.join(ratios)}")
    return lines


def python_peak(case: dict[str, Any]) -> str:
    return f"python peak {case['python']:.1f} MB ({case['start']:.1f} MB after imports)"


def tools_peak(case: dict[str, Any]) -> str:
    return ", ".join(
        f"{tool} peak {peak:.1f} MB over {runs} runs"
        for tool, (peak, runs) in case["tools"].items()
    )


# -- speech: Ingest.speak against the bare commands -------------------------------------


def bare_speech(work: Path, text: str, settings: Settings) -> None:
    """Speak and normalize text with espeak-ng and ffmpeg's passes, as a shell would."""
    # The same filters as media.audio.normalize but the trim, which costs nothing to run.
    wav, out = work / "speech.wav", work / "normalized.wav"
    tts = settings.tts
    espeak = ["espeak-ng", "-v", tts.espeak_voice, "-s", str(tts.espeak_speed), "-w", str(wav)]
    subprocess.run([*espeak, text], check=True, capture_output=True)
    measure = ",".join(
        [
            "aformat=channel_layouts=mono",
            "silencedetect=noise=-50dB:d=0.2",
            "ebur128=framelog=verbose",
        ]
    )
    report = subprocess.run(
        [*FFMPEG, "-loglevel", "info", "-i", str(wav), "-af", measure, "-f", "null", "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    target = settings.audio.target_lufs
    gain = target - float(LOUDNESS.findall(report.stderr)[-1])
    limit = 10 ** ((settings.audio.true_peak - 0.3) / 20)
    canonical = ["-ac", "1", "-ar", "44100", "-c:a", "pcm_s16le", "-f", "wav"]
    # As normalize does: measure what was written, and once more with the gain the
    # limiter took back (0.6 dB of loudness per dB of gain on speech).
    for _ in range(2):
        graph = (
            f"aformat=channel_layouts=mono,volume={gain:.2f}dB,aresample=176400,"
            f"alimiter=limit={limit:.4f}:level=false:latency=true,aresample=44100,"
            "ebur128=framelog=verbose"
        )
        render = [*FFMPEG, "-loglevel", "info", "-i", str(wav), "-af", graph, *canonical]
        written = subprocess.run(
            [*render, "-y", str(out)], check=True, capture_output=True, text=True
        )
        reached = float(LOUDNESS.findall(written.stderr)[-1])
        if abs(reached - target) <= 0.2:
            break
        gain += (target - reached) / 0.6


def bench_speech(folder: Path, texts: list[str]) -> str:
    began = time.perf_counter()
    spoken = [speech_text(text) for text in texts]  # the first call loads wetext
    normalizer = time.perf_counter() - began
    assert len(set(spoken)) == len(texts), "two texts read the same: one would be a cache hit"
    settings = settings_in(folder / "speak")
    ingest = Ingest(Store.open(settings.db_path), settings)
    work = folder / "bare"
    work.mkdir()
    bare = library_seconds = 0.0
    # Interleaved, so a slow spell of the machine falls on both sides alike.
    for text, words in zip(texts, spoken, strict=True):
        began = time.perf_counter()
        bare_speech(work, words, settings)
        bare += time.perf_counter() - began
        began = time.perf_counter()
        ingest.speak(text)
        library_seconds += time.perf_counter() - began
    extra = (library_seconds - bare) / len(texts) * 1000
    return (
        f"speech, {len(texts)} announcements: Ingest.speak {library_seconds:.1f} s, "
        f"bare espeak-ng + ffmpeg passes {bare:.1f} s, overhead x{library_seconds / bare:.2f} "
        f"({extra:+.0f} ms each); wetext load + {len(texts)} texts {normalizer:.2f} s"
    )


# -- rebuild: an unchanged playlist again ------------------------------------------------


class CountingEngine:
    """An engine that counts its calls and passes them on."""

    def __init__(self, engine: EspeakEngine) -> None:
        self.engine, self.name, self.voice = engine, engine.name, engine.voice
        self.calls = 0

    def synthesize(self, text: str, out_path: Path) -> None:
        self.calls += 1
        self.engine.synthesize(text, out_path)


def bench_rebuild(folder: Path, texts: list[str]) -> str:
    settings = settings_in(folder / "rebuild")
    tts = settings.tts
    items = tuple(ItemSpec(ItemKind.ANNOUNCEMENT, text=text) for text in texts)
    passes = []
    for name in ("notices", "notices again"):
        # A fresh store connection and library: the cache must live in the store.
        engine = CountingEngine(EspeakEngine(tts.espeak_voice, tts.espeak_speed))
        ingest = Ingest(Store.open(settings.db_path), settings, EngineChain([engine]))
        began = time.perf_counter()
        ingest.import_playlist(PlaylistSpec(name, "", items), None, "bench")
        passes.append((time.perf_counter() - began, engine.calls))
    (first, first_calls), (again, again_calls) = passes
    return (
        f"rebuild, {len(texts)}-announcement playlist: first import {first:.1f} s "
        f"({first_calls} engine calls), again under a new name {again:.2f} s "
        f"({again_calls} engine calls, goal 0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs=2, default=[10, 60])
    parser.add_argument("--count", type=int, default=100, help="announcements to speak")
    parser.add_argument("--rebuild", type=int, default=30, help="announcements in the playlist")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, folder, arg = args.child
        start = status_mb("VmRSS")
        figures = CHILDREN[mode](Path(folder), arg)
        figures |= {"start": start, "python": status_mb("VmHWM")}
        print(json.dumps(figures))
        return
    texts = announcement_texts(max(args.count, args.rebuild, LOOP_CLIPS))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        # Speech first, while wetext is not loaded yet: its load is part of the figure.
        speech = bench_speech(folder, texts[: args.count])
        lines = bench_memory(folder, args.minutes, texts)
        lines += [speech, bench_rebuild(folder, texts[: args.rebuild])]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
