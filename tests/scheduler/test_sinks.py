"""Audio sinks with real player processes: aplay, the ffmpeg→aplay pipeline, mpv."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from playlists.errors import SinkError
from scheduler.sinks import MPV, AplaySink, ProcessSink, _program_of
from tests.realtime import MachineLag

MPV_NULL = [part.replace("--audio-device=alsa/{device}", "--ao=null") for part in MPV]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sinks") / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=2", "-ac", "1", "-ar", "44100", str(path)],
        check=True,
    )  # fmt: skip
    return path


class Done:
    """Collect a sink's on_done report."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: str | None = None
        self.calls = 0

    def __call__(self, error: str | None) -> None:
        self.error = error
        self.calls += 1
        self.event.set()

    def wait(self, timeout: float = 10) -> str | None:
        assert self.event.wait(timeout), "the sink never reported the end of the clip"
        return self.error


@pytest.mark.parametrize(
    ("offset", "volume", "programs", "detail"),
    [
        pytest.param(0.0, 100, ["aplay"], None, id="plain"),
        pytest.param(12.5, 100, ["ffmpeg", "aplay"], "12.500", id="offset"),
        pytest.param(0.0, 40, ["ffmpeg", "aplay"], "volume=0.400", id="volume"),
    ],
)
def test_aplay_pipeline(
    offset: float, volume: int, programs: list[str], detail: str | None, clip: Path
) -> None:
    commands = AplaySink("hw:1,0", volume).commands(clip, offset)
    assert [argv[0] for argv in commands] == programs
    assert commands[-1][:4] == ["aplay", "-q", "-D", "hw:1,0"]
    if detail:
        assert detail in commands[0]


@pytest.mark.parametrize("offset", [0.0, 1.0], ids=["file", "piped"])
def test_aplay_to_null_device_reports_done(clip: Path, offset: float) -> None:
    done = Done()
    AplaySink("null", volume=100 if offset == 0 else 80).start(clip, offset, 2.0, done)
    assert done.wait() is None


def test_missing_alsa_device_is_a_failure_with_the_reason(clip: Path) -> None:
    done = Done()
    AplaySink("no_such_card").start(clip, 0.0, 2.0, done)
    error = done.wait()
    assert error is not None and error.startswith("aplay exited with code 1")


def test_missing_program_cannot_start(clip: Path) -> None:
    sink = ProcessSink(["no-such-player", "{file}"])
    with pytest.raises(SinkError, match="cannot start no-such-player"):
        sink.start(clip, 0.0, 2.0, Done())


def test_command_needs_a_file_field() -> None:
    with pytest.raises(ValueError, match=r"\{file\}"):
        ProcessSink(["mpv", "--ao=null"])


@pytest.mark.slow
def test_mpv_plays_in_real_time_from_an_offset(clip: Path) -> None:
    done = Done()
    machine = MachineLag.measure()
    began = time.monotonic()
    ProcessSink(MPV_NULL, name="mpv").start(clip, 1.0, 2.0, done)
    assert done.wait() is None
    took = time.monotonic() - began
    # mpv's own start-up is most of the slack: it plays 1 s, in real time, not faster.
    assert 0.8 < took < machine.allow(2.5), f"one second of a two-second clip: {took:.2f} s"


@pytest.mark.slow
def test_stop_ends_the_process_without_a_report(clip: Path) -> None:
    done = Done()
    sink = ProcessSink(MPV_NULL, name="mpv")
    sink.start(clip, 0.0, 2.0, done)
    time.sleep(0.3)
    machine = MachineLag.measure()
    began = time.monotonic()
    sink.stop()
    assert time.monotonic() - began < machine.allow(1.0), machine
    assert not done.event.wait(2.5)


def test_a_new_player_silences_what_a_killed_one_left_playing(clip: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "player-sink.pids"
    orphaned = ProcessSink(MPV_NULL, name="mpv", pid_file=pid_file)
    orphaned.start(clip, 0.0, 2.0, Done())  # its player is "killed": nobody will stop it
    (pid,) = (int(word) for word in pid_file.read_text().split())
    # Popen returns before the child has become mpv: on a busy machine it may still be
    # this Python for a moment, and a successor rightly leaves other programs alone.
    deadline = time.monotonic() + 5
    while _program_of(pid) != "mpv" and time.monotonic() < deadline:
        time.sleep(0.01)
    successor = ProcessSink(MPV_NULL, name="mpv", pid_file=pid_file)
    assert successor.recover() == 1
    assert wait_gone(pid), "the orphaned player process is still running"
    assert not pid_file.exists()
    assert successor.recover() == 0


def wait_gone(pid: int, timeout: float = 2.0) -> bool:
    """Wait until a process has ended (exited, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False
