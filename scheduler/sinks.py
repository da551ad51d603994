"""Audio sinks: where the player's sound goes.

`ProcessSink` runs a real player process (aplay, mpv or any configured command)
per clip and reports when it ends; `RecordingSink` plays nothing and finishes
each clip after its length on the timeline, for tests and the simulator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from playlists.settings import AudioSettings
from scheduler.timeline import Timeline

log = logging.getLogger(__name__)

# Called once when a clip ends by itself: None when it played through, else the reason.
DoneCallback = Callable[[str | None], None]


class SinkError(Exception):
    """The sink could not start playing a clip."""


class AudioSink(Protocol):
    name: str

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        """Start playing a clip from offset seconds; raise SinkError if it cannot start."""
        ...

    def stop(self) -> None:
        """Stop the clip that is playing, without calling its on_done."""
        ...


def command_for(audio: AudioSettings) -> list[str]:
    """Return the configured player command, with {file}, {offset} and {device} fields."""
    if audio.sink == "aplay":
        return ["aplay", "-q", "-D", "{device}", "{file}"]
    if audio.sink == "mpv":
        return [
            "mpv", "--no-video", "--no-terminal", "--really-quiet",
            "--audio-device=alsa/{device}", "--start={offset}", "{file}",
        ]  # fmt: skip
    return list(audio.command)


class ProcessSink:
    """Play each clip with a child process; a watcher thread reports its end."""

    def __init__(self, argv: Sequence[str], device: str = "default", name: str = "") -> None:
        if not argv or "{file}" not in " ".join(argv):
            raise ValueError("the player command needs a {file} argument")
        self.argv = list(argv)
        self.device = device
        self.name = name or argv[0]
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        fields = {"file": str(path), "offset": f"{offset:.3f}", "device": self.device}
        argv = [part.format(**fields) for part in self.argv]
        with self._lock:
            self._stop_locked()
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # a Ctrl-C for the daemon is not the player's
                )
            except OSError as exc:
                raise SinkError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
            self._proc = proc
        threading.Thread(
            target=self._watch, args=(proc, argv[0], on_done), daemon=True, name="sink-watch"
        ).start()

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _watch(self, proc: subprocess.Popen[bytes], program: str, on_done: DoneCallback) -> None:
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        code = proc.wait()
        with self._lock:
            stopped = self._proc is not proc
            if not stopped:
                self._proc = None
        if stopped:
            return
        if code == 0:
            on_done(None)
            return
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        on_done(f"{program} exited with code {code}: {tail[0]}".rstrip(": "))


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


def build_sink(audio: AudioSettings, timeline: Timeline) -> AudioSink:
    """Make the sink config.yaml asks for."""
    if audio.sink == "recording":
        return RecordingSink(timeline)
    return ProcessSink(command_for(audio), audio.device, name=audio.sink)
