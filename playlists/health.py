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
from pathlib import Path

from media.mbrola import MbrolaEngine
from playlists.settings import (
    AudioSettings,
    ScreenSettings,
    Settings,
    StorageSettings,
    TtsSettings,
)
from playlists.store import SCHEMA_VERSION, Store, from_db_time

OK, WARN, FAIL = "ok", "warn", "fail"
HEARTBEAT_STALE = dt.timedelta(seconds=10)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok | warn | fail
    detail: str  # in English, for `villagecast check` and the API
    code: str = ""  # what was found, for the panel to say in its language (web/check_words.py)
    params: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Finding:
    """What one check found: its status, a code with parameters, and the English words."""

    status: str
    code: str
    detail: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)


def _found(status: str, code: str, detail: str, **params: object) -> Finding:
    return Finding(status, code, detail, {key: str(value) for key, value in params.items()})


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
            lambda: _found(
                OK,
                "config-ok",
                f"station {station.name}, {station.timezone}",
                name=station.name,
                zone=station.timezone,
            ),
        ),
        ("store", lambda: _store(settings.db_path)),
        ("disk", lambda: _disk(settings.data_dir, settings.storage)),
        ("clock", _clock),
        ("player", lambda: _player(settings.db_path, now)),
        ("speech", lambda: _speech(settings.tts)),
        ("audio", lambda: _audio(settings.audio)),
        ("screens", lambda: _screens(settings.db_path, settings.screens)),
    ]
    results = []
    for name, check in checks:
        try:
            found = check()
        except Exception as exc:  # a broken check must not hide the others
            found = _found(FAIL, "check-crashed", f"the check itself failed: {exc}", error=exc)
        results.append(CheckResult(name, found.status, found.detail, found.code, found.params))
    return results


def _store(db_path: Path) -> Finding:
    if not db_path.is_file():
        return _found(
            FAIL, "no-database", f"no database at {db_path}; run `villagecast init`", path=db_path
        )
    try:
        store = Store(db_path)
        version = store.schema_version()
        healthy = store.integrity_ok()
        store.close()
    except sqlite3.Error as exc:
        return _found(FAIL, "store-error", f"{db_path}: {exc}", path=db_path, error=exc)
    if not healthy:
        return _found(
            FAIL,
            "store-damaged",
            f"{db_path} fails PRAGMA integrity_check; restore a backup",
            path=db_path,
        )
    if version != SCHEMA_VERSION:
        return _found(
            WARN,
            "store-version",
            f"schema version {version}; this villagecast expects {SCHEMA_VERSION}",
            version=version,
            expected=SCHEMA_VERSION,
        )
    return _found(
        OK, "store-ok", f"{db_path} (schema {version}, integrity ok)", path=db_path, version=version
    )


def _disk(data_dir: Path, storage: StorageSettings) -> Finding:
    folder = data_dir if data_dir.exists() else data_dir.parent
    free_mb = shutil.disk_usage(folder).free / 1e6
    need = storage.min_free_mb
    if free_mb < need:
        return _found(
            FAIL,
            "disk-low",
            f"{free_mb:.0f} MB free in {folder}; below {need} MB, uploads are refused",
            free=f"{free_mb:.0f}",
            folder=folder,
            need=need,
        )
    if free_mb < 4 * need:
        return _found(
            WARN,
            "disk-free",
            f"{free_mb:.0f} MB free in {folder}",
            free=f"{free_mb:.0f}",
            folder=folder,
        )
    return _found(
        OK, "disk-free", f"{free_mb:.0f} MB free in {folder}", free=f"{free_mb:.0f}", folder=folder
    )


def _clock() -> Finding:
    synced = clock_synchronized()
    if synced is None:
        return _found(
            WARN,
            "clock-unknown",
            "cannot tell whether the clock is synchronized (no timedatectl answer)",
        )
    if not synced:
        return _found(
            WARN,
            "clock-unsynced",
            "the clock is not synchronized: add an RTC module or network time",
        )
    return _found(OK, "clock-ok", "synchronized")


def _player(db_path: Path, now: dt.datetime) -> Finding:
    if not db_path.is_file():
        return _found(FAIL, "no-database", "no database", path="")
    store = Store(db_path)
    heartbeat = from_db_time(store.status().get("heartbeat"))
    store.close()
    if heartbeat is None:
        return _found(FAIL, "player-never", "the player has never run; start `villagecast player`")
    age = now - heartbeat
    if age > HEARTBEAT_STALE:
        return _found(
            FAIL,
            "player-silent",
            f"no heartbeat for {age.total_seconds():.0f} s: is the player running?",
            seconds=f"{age.total_seconds():.0f}",
        )
    return _found(
        OK,
        "player-ok",
        f"running (heartbeat {age.total_seconds():.0f} s ago)",
        seconds=f"{age.total_seconds():.0f}",
    )


def _speech(tts: TtsSettings) -> Finding:
    offline = [name for name in tts.engines if name in ("mbrola", "espeak-ng")]
    missing = {name: _engine_missing(tts, name) for name in offline}
    if "espeak-ng" in offline and missing["espeak-ng"]:
        return _found(
            FAIL, "espeak-missing", "espeak-ng is not installed: offline speech is impossible"
        )
    if not offline:
        return _found(
            WARN,
            "no-offline-engine",
            "no offline engine in tts.engines: without the network nothing is spoken",
        )
    if missing.get("mbrola"):
        if offline == ["mbrola"]:
            return _found(
                FAIL,
                "mbrola-missing-only",
                f"{missing['mbrola']}: offline speech is impossible",
                what=missing["mbrola"],
            )
        return _found(
            WARN,
            "mbrola-missing",
            f"{missing['mbrola']}: offline speech falls back to espeak-ng",
            what=missing["mbrola"],
        )
    return _found(OK, "speech-ok", " → ".join(tts.engines), engines=" → ".join(tts.engines))


def _engine_missing(tts: TtsSettings, name: str) -> str | None:
    """Say what an offline engine lacks, or None when it is installed."""
    if name == "mbrola":
        return MbrolaEngine(voice=tts.mbrola_voice).missing()
    return None if shutil.which(name) else f"{name} is not installed"


def _audio(audio: AudioSettings) -> Finding:
    if audio.sink == "recording":
        return _found(WARN, "sink-recording", "audio.sink is `recording`: nothing is heard")
    if audio.sink == "command":
        program = audio.command[0]
        found = shutil.which(program)
        if found:
            return _found(OK, "command-ok", f"command {program}", program=program)
        return _found(FAIL, "program-missing", f"{program} is not installed", program=program)
    if shutil.which(audio.sink) is None:
        return _found(FAIL, "program-missing", f"{audio.sink} is not installed", program=audio.sink)
    if audio.sink == "mpv":
        return _found(OK, "mpv-ok", f"mpv on ALSA device {audio.device}", device=audio.device)
    # Open the device for a moment with silence: it fails as a broadcast would.
    result = subprocess.run(
        ["aplay", "-q", "-D", audio.device, "-t", "raw", "-f", "S16_LE", "-r", "44100", "-c", "1",
         "-d", "1", "/dev/zero"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no error output"])[-1]
        return _found(
            FAIL,
            "alsa-failed",
            f"ALSA device {audio.device}: {last}",
            device=audio.device,
            error=last,
        )
    return _found(OK, "alsa-ok", f"ALSA device {audio.device} opens", device=audio.device)


def _screens(db_path: Path, screens: Sequence[ScreenSettings]) -> Finding:
    if not db_path.is_file():
        return _found(FAIL, "no-database", "no database", path="")
    store = Store(db_path)
    missing = [s.display_name for s in screens if store.screen_state(s.name) is None]
    store.close()
    names = ", ".join(f"{s.display_name} {s.width}×{s.height}" for s in screens)
    if missing:
        return _found(
            WARN,
            "no-slide",
            f"no slide published yet for {', '.join(missing)} (is the player running?)",
            names="、".join(missing),
        )
    return _found(OK, "screens-ok", names, names=names)
