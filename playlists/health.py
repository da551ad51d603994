"""Is this station ready to broadcast unattended? (`villagecast check`, the system page)

Each check says ok, warn or fail with one line of detail; the command exits
non-zero when any check fails, so a script or the panel's system page can tell.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path

from media.fastspeech2_engine import INSTALL_HINT as FASTSPEECH2_INSTALL
from media.fastspeech2_engine import FastSpeech2Engine
from media.mbrola import MbrolaEngine
from playlists.settings import (
    AudioSettings,
    ScreenSettings,
    Settings,
    StationSettings,
    StorageSettings,
    TtsSettings,
)
from playlists.store import SCHEMA_VERSION, Store, from_db_time

OK, WARN, FAIL = "ok", "warn", "fail"
HEARTBEAT_STALE = dt.timedelta(seconds=10)

Param = str | int


class CheckCode(StrEnum):
    """What a check found, said in the reader's language by whoever shows it."""

    STATION = "station"
    NO_DATABASE = "no-database"
    DATABASE_ERROR = "database-error"
    DATABASE_DAMAGED = "database-damaged"
    SCHEMA_MISMATCH = "schema-mismatch"
    DATABASE_OK = "database-ok"
    DISK_TOO_FULL = "disk-too-full"
    DISK_LOW = "disk-low"
    DISK_OK = "disk-ok"
    CLOCK_UNKNOWN = "clock-unknown"
    CLOCK_UNSYNCHRONIZED = "clock-unsynchronized"
    CLOCK_SYNCHRONIZED = "clock-synchronized"
    PLAYER_NEVER_RAN = "player-never-ran"
    HEARTBEAT_STALE = "heartbeat-stale"
    PLAYER_RUNNING = "player-running"
    ESPEAK_MISSING = "espeak-missing"
    NO_OFFLINE_ENGINE = "no-offline-engine"
    FASTSPEECH2_MISSING = "fastspeech2-missing"
    MBROLA_MISSING = "mbrola-missing"
    MBROLA_VOICE_MISSING = "mbrola-voice-missing"
    SPEECH_CHAIN = "speech-chain"
    SINK_SILENT = "sink-silent"
    PROGRAM_MISSING = "program-missing"
    COMMAND_SINK = "command-sink"
    MPV_SINK = "mpv-sink"
    DEVICE_FAILS = "device-fails"
    DEVICE_OPENS = "device-opens"
    SCREENS_UNPUBLISHED = "screens-unpublished"
    SCREENS_OK = "screens-ok"
    NO_CHINESE_FONT = "no-chinese-font"
    NO_DOT_MATRIX_FONT = "no-dot-matrix-font"
    FONTS_OK = "fonts-ok"
    CHECK_CRASHED = "check-crashed"


# The English words of each finding: for `villagecast check`, its JSON and the logs.
# The panel says them in the reader's language (web/check_words.py).
ENGLISH: dict[CheckCode, str] = {
    CheckCode.STATION: "station {name}, {timezone}",
    CheckCode.NO_DATABASE: "no database at {path}; run `villagecast init`",
    CheckCode.DATABASE_ERROR: "{path}: {error}",
    CheckCode.DATABASE_DAMAGED: "{path} fails PRAGMA integrity_check; restore a backup",
    CheckCode.SCHEMA_MISMATCH: "schema version {found}; this villagecast expects {expected}",
    CheckCode.DATABASE_OK: "{path} (schema {version}, integrity ok)",
    CheckCode.DISK_TOO_FULL: "{free_mb} MB free in {path}; below {need_mb} MB, uploads are refused",
    CheckCode.DISK_LOW: "{free_mb} MB free in {path}",
    CheckCode.DISK_OK: "{free_mb} MB free in {path}",
    CheckCode.CLOCK_UNKNOWN: (
        "cannot tell whether the clock is synchronized (no timedatectl answer)"
    ),
    CheckCode.CLOCK_UNSYNCHRONIZED: (
        "the clock is not synchronized: add an RTC module or network time"
    ),
    CheckCode.CLOCK_SYNCHRONIZED: "synchronized",
    CheckCode.PLAYER_NEVER_RAN: "the player has never run; start `villagecast player`",
    CheckCode.HEARTBEAT_STALE: "no heartbeat for {seconds} s: is the player running?",
    CheckCode.PLAYER_RUNNING: "running (heartbeat {seconds} s ago)",
    CheckCode.ESPEAK_MISSING: "espeak-ng is not installed: offline speech is impossible",
    CheckCode.NO_OFFLINE_ENGINE: (
        "no offline engine in tts.engines: without the network nothing is spoken"
    ),
    CheckCode.FASTSPEECH2_MISSING: (
        "the clear offline voice fastspeech2 is not installed ({install}): {effect}"
    ),
    CheckCode.MBROLA_MISSING: (
        "mbrola is not installed (apt install mbrola, from Debian contrib): {effect}"
    ),
    CheckCode.MBROLA_VOICE_MISSING: (
        "voice {path} is not installed (apt install mbrola-{voice}, from Debian non-free): {effect}"
    ),
    CheckCode.SPEECH_CHAIN: "{engines}",
    CheckCode.SINK_SILENT: "audio.sink is `recording`: nothing is heard",
    CheckCode.PROGRAM_MISSING: "{program} is not installed",
    CheckCode.COMMAND_SINK: "command {program}",
    CheckCode.MPV_SINK: "mpv on ALSA device {device}",
    CheckCode.DEVICE_FAILS: "ALSA device {device}: {error}",
    CheckCode.DEVICE_OPENS: "ALSA device {device} opens",
    CheckCode.SCREENS_UNPUBLISHED: "no slide published yet for {screens} (is the player running?)",
    CheckCode.SCREENS_OK: "{screens}",
    CheckCode.NO_CHINESE_FONT: (
        "no Chinese font: slides cannot be drawn (apt install fonts-noto-cjk)"
    ),
    CheckCode.NO_DOT_MATRIX_FONT: (
        "no bitmap Chinese font: {screens} show blurred outline text (apt install fonts-wqy-zenhei)"
    ),
    CheckCode.FONTS_OK: "{font}",
    CheckCode.CHECK_CRASHED: "the check itself failed: {error}",
}
# What a missing MBROLA means for the station, by whether espeak-ng can stand in.
MBROLA_EFFECTS = {
    "fallback": "offline speech falls back to espeak-ng",
    "none": "offline speech is impossible",
}
# What a missing fastspeech2 means, by whether another offline engine follows it.
FASTSPEECH2_EFFECTS = {
    "fallback": "offline speech falls back to a less clear voice",
    "none": "offline speech is impossible",
}
OFFLINE_ENGINES = frozenset({"fastspeech2", "mbrola", "espeak-ng", "kokoro"})


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok | warn | fail
    code: CheckCode
    params: dict[str, Param] = dataclasses.field(default_factory=dict)

    @property
    def detail(self) -> str:
        """Say the finding in English."""
        params = dict(self.params)
        if "effect" in params:
            effects = (
                FASTSPEECH2_EFFECTS
                if self.code is CheckCode.FASTSPEECH2_MISSING
                else MBROLA_EFFECTS
            )
            params["effect"] = effects[str(params["effect"])]
        return ENGLISH[self.code].format(**params)

    def as_json(self) -> dict[str, object]:
        """The result for JSON readers: the code and its parameters, and the English words."""
        return {
            "name": self.name,
            "status": self.status,
            "code": str(self.code),
            "params": self.params,
            "detail": self.detail,
        }


Finding = tuple[str, CheckCode, dict[str, Param]]


def _found(status: str, code: CheckCode, **params: Param) -> Finding:
    return status, code, params


def clock_synchronized() -> bool | None:
    """Ask systemd whether NTP has set the clock; None when that cannot be known."""
    if shutil.which("timedatectl") is None:
        return None
    try:
        result = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"yes": True, "no": False}.get(result.stdout.strip())


def run_checks(settings: Settings, now: dt.datetime) -> list[CheckResult]:
    """Run every check; a check that crashes is reported as failed, not raised."""
    station = settings.station
    checks: list[tuple[str, Callable[[], Finding]]] = [
        (
            "config",
            lambda: _found(OK, CheckCode.STATION, name=station.name, timezone=station.timezone),
        ),
        ("store", lambda: _store(settings.db_path)),
        ("disk", lambda: _disk(settings.data_dir, settings.storage)),
        ("clock", _clock),
        ("player", lambda: _player(settings.db_path, now)),
        ("speech", lambda: _speech(settings.tts)),
        ("audio", lambda: _audio(settings.audio)),
        ("screens", lambda: _screens(settings.db_path, settings.screens)),
        ("fonts", lambda: _fonts(settings.screens)),
    ]
    results = []
    for name, check in checks:
        try:
            status, code, params = check()
        except Exception as exc:  # a broken check must not hide the others
            status, code, params = FAIL, CheckCode.CHECK_CRASHED, {"error": str(exc)}
        results.append(CheckResult(name, status, code, params))
    return results


def _station(station: StationSettings) -> Finding:
    return _found(OK, CheckCode.STATION, name=station.name, timezone=station.timezone)


def _store(db_path: Path) -> Finding:
    path = str(db_path)
    if not db_path.is_file():
        return _found(FAIL, CheckCode.NO_DATABASE, path=path)
    try:
        store = Store(db_path)
        version = store.schema_version()
        healthy = store.integrity_ok()
        store.close()
    except sqlite3.Error as exc:
        return _found(FAIL, CheckCode.DATABASE_ERROR, path=path, error=str(exc))
    if not healthy:
        return _found(FAIL, CheckCode.DATABASE_DAMAGED, path=path)
    if version != SCHEMA_VERSION:
        return _found(WARN, CheckCode.SCHEMA_MISMATCH, found=version, expected=SCHEMA_VERSION)
    return _found(OK, CheckCode.DATABASE_OK, path=path, version=version)


def _disk(data_dir: Path, storage: StorageSettings) -> Finding:
    folder = data_dir if data_dir.exists() else data_dir.parent
    free_mb = round(shutil.disk_usage(folder).free / 1e6)
    need = storage.min_free_mb
    if free_mb < need:
        return _found(
            FAIL, CheckCode.DISK_TOO_FULL, free_mb=free_mb, path=str(folder), need_mb=need
        )
    if free_mb < 4 * need:
        return _found(WARN, CheckCode.DISK_LOW, free_mb=free_mb, path=str(folder))
    return _found(OK, CheckCode.DISK_OK, free_mb=free_mb, path=str(folder))


def _clock() -> Finding:
    synced = clock_synchronized()
    if synced is None:
        return _found(WARN, CheckCode.CLOCK_UNKNOWN)
    if not synced:
        return _found(WARN, CheckCode.CLOCK_UNSYNCHRONIZED)
    return _found(OK, CheckCode.CLOCK_SYNCHRONIZED)


def _player(db_path: Path, now: dt.datetime) -> Finding:
    if not db_path.is_file():
        return _found(FAIL, CheckCode.NO_DATABASE, path=str(db_path))
    store = Store(db_path)
    heartbeat = from_db_time(store.status().get("heartbeat"))
    store.close()
    if heartbeat is None:
        return _found(FAIL, CheckCode.PLAYER_NEVER_RAN)
    age = now - heartbeat
    seconds = round(age.total_seconds())
    if age > HEARTBEAT_STALE:
        return _found(FAIL, CheckCode.HEARTBEAT_STALE, seconds=seconds)
    return _found(OK, CheckCode.PLAYER_RUNNING, seconds=seconds)


def _speech(tts: TtsSettings) -> Finding:
    offline = [name for name in tts.engines if name in OFFLINE_ENGINES]
    if "espeak-ng" in offline and shutil.which("espeak-ng") is None:
        return _found(FAIL, CheckCode.ESPEAK_MISSING)
    if not offline:
        return _found(WARN, CheckCode.NO_OFFLINE_ENGINE)
    if "fastspeech2" in offline and FastSpeech2Engine().missing() is not None:
        status, effect = (FAIL, "none") if offline == ["fastspeech2"] else (WARN, "fallback")
        return _found(
            status, CheckCode.FASTSPEECH2_MISSING, install=FASTSPEECH2_INSTALL, effect=effect
        )
    if "mbrola" in offline:
        status, effect = (FAIL, "none") if offline == ["mbrola"] else (WARN, "fallback")
        engine = MbrolaEngine(voice=tts.mbrola_voice)
        if shutil.which(engine.binary) is None:
            return _found(status, CheckCode.MBROLA_MISSING, effect=effect)
        if not engine.database.is_file():
            return _found(
                status,
                CheckCode.MBROLA_VOICE_MISSING,
                path=str(engine.database),
                voice=tts.mbrola_voice,
                effect=effect,
            )
    return _found(OK, CheckCode.SPEECH_CHAIN, engines=" → ".join(tts.engines))


def _audio(audio: AudioSettings) -> Finding:
    if audio.sink == "recording":
        return _found(WARN, CheckCode.SINK_SILENT)
    if audio.sink == "command":
        program = audio.command[0]
        if shutil.which(program) is None:
            return _found(FAIL, CheckCode.PROGRAM_MISSING, program=program)
        return _found(OK, CheckCode.COMMAND_SINK, program=program)
    if shutil.which(audio.sink) is None:
        return _found(FAIL, CheckCode.PROGRAM_MISSING, program=audio.sink)
    if audio.sink == "mpv":
        return _found(OK, CheckCode.MPV_SINK, device=audio.device)
    # Open the device for a moment with silence: it fails as a broadcast would.
    result = subprocess.run(
        ["aplay", "-q", "-D", audio.device, "-t", "raw", "-f", "S16_LE", "-r", "44100", "-c", "1",
         "-d", "1", "/dev/zero"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no error output"])[-1]
        return _found(FAIL, CheckCode.DEVICE_FAILS, device=audio.device, error=last)
    return _found(OK, CheckCode.DEVICE_OPENS, device=audio.device)


def _screens(db_path: Path, screens: Sequence[ScreenSettings]) -> Finding:
    if not db_path.is_file():
        return _found(FAIL, CheckCode.NO_DATABASE, path=str(db_path))
    store = Store(db_path)
    missing = [s.display_name for s in screens if store.screen_state(s.name) is None]
    store.close()
    if missing:
        return _found(WARN, CheckCode.SCREENS_UNPUBLISHED, screens=", ".join(missing))
    names = ", ".join(f"{s.display_name} {s.width}×{s.height}" for s in screens)
    return _found(OK, CheckCode.SCREENS_OK, screens=names)


def _fonts(screens: Sequence[ScreenSettings]) -> Finding:
    """Can slides be drawn, and sharply on single-colour LED screens?"""
    # Imported here: the panel imports this module for the codes, and Pillow is heavy.
    from media.errors import FontError
    from media.fonts import find_cjk_font, find_dot_matrix_font
    from media.slides import theme_for

    try:
        face = find_cjk_font()
    except FontError:
        return _found(FAIL, CheckCode.NO_CHINESE_FONT)
    led = [s.display_name for s in screens if not theme_for(s.width, s.height, s.theme).antialias]
    if led and find_dot_matrix_font() is None:
        return _found(WARN, CheckCode.NO_DOT_MATRIX_FONT, screens=", ".join(led))
    return _found(OK, CheckCode.FONTS_OK, font=face.path.name)
