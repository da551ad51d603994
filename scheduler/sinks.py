"""Audio sinks: where the player's sound goes.

`ProcessSink` runs a real player process (aplay, mpv or any configured command)
per clip and reports when it ends; `RecordingSink` plays nothing and finishes
each clip after its length on the timeline, for tests and the simulator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from playlists.errors import SinkError
from playlists.settings import AudioSettings
from scheduler.timeline import Timeline

log = logging.getLogger(__name__)

# Called once when a clip ends by itself: None when it played through, else the reason.
DoneCallback = Callable[[str | None], None]


class AudioSink(Protocol):
    name: str

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        """Start playing a clip from offset seconds; raise SinkError if it cannot start."""
        ...

    def stop(self) -> None:
        """Stop the clip that is playing, without calling its on_done."""
        ...

    def recover(self) -> int:
        """Silence whatever a killed predecessor left playing; return how many were stopped."""
        ...


MPV = [
    "mpv", "--no-video", "--no-terminal", "--really-quiet", "--audio-device=alsa/{device}",
    "--volume={volume}", "--start={offset}", "{file}",
]  # fmt: skip


class ProcessSink:
    """Play each clip with child processes; a watcher thread reports their end.

    The command is a template with {file}, {offset} (seconds), {device} and {volume}
    (percent) fields, run without a shell.
    """

    def __init__(
        self,
        argv: Sequence[str],
        device: str = "default",
        volume: int = 100,
        name: str = "",
        pid_file: Path | None = None,
    ) -> None:
        if not argv or "{file}" not in " ".join(argv):
            raise ValueError("the player command needs a {file} argument")
        self.argv = list(argv)
        self.device = device
        self.volume = volume
        self.name = name or argv[0]
        # The children run in their own sessions and outlive a player killed with SIGKILL;
        # their pids are kept here so the next player can silence them before it plays.
        self.pid_file = pid_file
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def commands(self, path: Path, offset: float) -> list[list[str]]:
        """Return the pipeline that plays path from offset: each command feeds the next."""
        fields = {
            "file": str(path), "offset": f"{offset:.3f}", "device": self.device,
            "volume": str(self.volume),
        }  # fmt: skip
        return [[part.format(**fields) for part in self.argv]]

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        commands = self.commands(path, offset)
        with self._lock:
            self._stop_locked()
            procs = self._spawn(commands)
            self._procs = procs
            self._note_pids(procs)
        threading.Thread(
            target=self._watch, args=(procs, on_done), daemon=True, name="sink-watch"
        ).start()

    def _spawn(self, commands: list[list[str]]) -> list[subprocess.Popen[bytes]]:
        procs: list[subprocess.Popen[bytes]] = []
        feed: Any = subprocess.DEVNULL
        for number, argv in enumerate(commands, 1):
            last = number == len(commands)
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=feed,
                    stdout=subprocess.DEVNULL if last else subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # a Ctrl-C for the daemon is not the player's
                )
            except OSError as exc:
                _terminate(procs)
                raise SinkError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
            if feed is not subprocess.DEVNULL:
                feed.close()  # the next process holds the pipe now
            feed = proc.stdout
            procs.append(proc)
        return procs

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def recover(self) -> int:
        if self.pid_file is None or not self.pid_file.is_file():
            return 0
        programs = {Path(self.argv[0]).name, "ffmpeg", "aplay"}
        stopped = 0
        for word in self.pid_file.read_text(encoding="ascii", errors="replace").split():
            if word.isdigit() and _program_of(int(word)) in programs:
                with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
                    os.kill(int(word), signal.SIGKILL)
                    stopped += 1
        self.pid_file.unlink(missing_ok=True)
        return stopped

    def _note_pids(self, procs: list[subprocess.Popen[bytes]]) -> None:
        if self.pid_file is None:
            return
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(" ".join(str(proc.pid) for proc in procs), encoding="ascii")
        os.replace(tmp, self.pid_file)

    def _stop_locked(self) -> None:
        procs, self._procs = self._procs, []
        _terminate(procs)

    def _watch(self, procs: list[subprocess.Popen[bytes]], on_done: DoneCallback) -> None:
        failures = []
        for proc in reversed(procs):  # the last one ends first when the clip has played
            assert proc.stderr is not None
            stderr = proc.stderr.read()
            code = proc.wait()
            if code != 0:
                tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                program = Path(str(proc.args[0])).name  # type: ignore[index]
                failures.append(f"{program} exited with code {code}: {tail[0]}".rstrip(": "))
        with self._lock:
            stopped = self._procs is not procs
            if not stopped:
                self._procs = []
        if not stopped:
            on_done("; ".join(reversed(failures)) or None)


def _program_of(pid: int) -> str:
    """Return the program name a live process was started as, or "" if it is gone."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return ""
    return Path(argv0.decode("utf-8", "replace")).name


def _terminate(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class AplaySink(ProcessSink):
    """ALSA's aplay; an offset or a volume below 100 goes through ffmpeg first."""

    def __init__(
        self, device: str = "default", volume: int = 100, pid_file: Path | None = None
    ) -> None:
        argv = ["aplay", "-q", "-D", "{device}", "{file}"]
        super().__init__(argv, device, volume, "aplay", pid_file)

    def commands(self, path: Path, offset: float) -> list[list[str]]:
        if offset <= 0 and self.volume == 100:
            return super().commands(path, offset)
        decode = [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-ss", f"{offset:.3f}",
            "-i", str(path), "-af", f"volume={self.volume / 100:.3f}", "-f", "wav", "-",
        ]  # fmt: skip
        return [decode, ["aplay", "-q", "-D", self.device, "-"]]


@dataclasses.dataclass(frozen=True)
class RecordedPlay:
    path: Path
    offset: float
    started: dt.datetime


class RecordingSink:
    """Play nothing; finish each clip after its duration on the timeline."""

    name = "recording"

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.plays: list[RecordedPlay] = []
        self.fail_with: str | None = None  # tests set this to make the device unavailable

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        if self.fail_with:
            raise SinkError(self.fail_with)
        now = self.timeline.now()
        self.plays.append(RecordedPlay(path, offset, now))
        remaining = max(0.0, duration - offset)
        self.timeline.call_at(
            "sink:recording", now + dt.timedelta(seconds=remaining), lambda: on_done(None)
        )

    def stop(self) -> None:
        self.timeline.cancel("sink:recording")

    def recover(self) -> int:
        return 0


def build_sink(audio: AudioSettings, timeline: Timeline, pid_file: Path | None = None) -> AudioSink:
    """Make the sink config.yaml asks for."""
    if audio.sink == "recording":
        return RecordingSink(timeline)
    if audio.sink == "aplay":
        return AplaySink(audio.device, audio.volume, pid_file)
    argv = MPV if audio.sink == "mpv" else list(audio.command)
    return ProcessSink(argv, audio.device, audio.volume, audio.sink, pid_file)
