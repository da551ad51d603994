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
    detail: str


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
    checks: list[tuple[str, Callable[[], tuple[str, str]]]] = [
        ("config", lambda: (OK, f"station {settings.station.name}, {settings.station.timezone}")),
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
            status, detail = check()
        except Exception as exc:  # a broken check must not hide the others
            status, detail = FAIL, f"the check itself failed: {exc}"
        results.append(CheckResult(name, status, detail))
    return results


def _store(db_path: Path) -> tuple[str, str]:
    if not db_path.is_file():
        return FAIL, f"no database at {db_path}; run `villagecast init`"
    try:
        store = Store(db_path)
        version = store.schema_version()
        healthy = store.integrity_ok()
        store.close()
    except sqlite3.Error as exc:
        return FAIL, f"{db_path}: {exc}"
    if not healthy:
        return FAIL, f"{db_path} fails PRAGMA integrity_check; restore a backup"
    if version != SCHEMA_VERSION:
        return WARN, f"schema version {version}; this villagecast expects {SCHEMA_VERSION}"
    return OK, f"{db_path} (schema {version}, integrity ok)"


def _disk(data_dir: Path, storage: StorageSettings) -> tuple[str, str]:
    folder = data_dir if data_dir.exists() else data_dir.parent
    free_mb = shutil.disk_usage(folder).free / 1e6
    need = storage.min_free_mb
    if free_mb < need:
        return FAIL, f"{free_mb:.0f} MB free in {folder}; below {need} MB, uploads are refused"
    if free_mb < 4 * need:
        return WARN, f"{free_mb:.0f} MB free in {folder}"
    return OK, f"{free_mb:.0f} MB free in {folder}"


def _clock() -> tuple[str, str]:
    synced = clock_synchronized()
    if synced is None:
        return WARN, "cannot tell whether the clock is synchronized (no timedatectl answer)"
    if not synced:
        return WARN, "the clock is not synchronized: add an RTC module or network time"
    return OK, "synchronized"


def _player(db_path: Path, now: dt.datetime) -> tuple[str, str]:
    if not db_path.is_file():
        return FAIL, "no database"
    store = Store(db_path)
    heartbeat = from_db_time(store.status().get("heartbeat"))
    store.close()
    if heartbeat is None:
        return FAIL, "the player has never run; start `villagecast player`"
    age = now - heartbeat
    if age > HEARTBEAT_STALE:
        return FAIL, f"no heartbeat for {age.total_seconds():.0f} s: is the player running?"
    return OK, f"running (heartbeat {age.total_seconds():.0f} s ago)"


def _speech(tts: TtsSettings) -> tuple[str, str]:
    offline = [name for name in tts.engines if name in ("mbrola", "espeak-ng")]
    missing = {name: _engine_missing(tts, name) for name in offline}
    if "espeak-ng" in offline and missing["espeak-ng"]:
        return FAIL, "espeak-ng is not installed: offline speech is impossible"
    if not offline:
        return WARN, "no offline engine in tts.engines: without the network nothing is spoken"
    if missing.get("mbrola"):
        if offline == ["mbrola"]:
            return FAIL, f"{missing['mbrola']}: offline speech is impossible"
        return WARN, f"{missing['mbrola']}: offline speech falls back to espeak-ng"
    return OK, " → ".join(tts.engines)


def _engine_missing(tts: TtsSettings, name: str) -> str | None:
    """Say what an offline engine lacks, or None when it is installed."""
    if name == "mbrola":
        return MbrolaEngine(voice=tts.mbrola_voice).missing()
    return None if shutil.which(name) else f"{name} is not installed"


def _audio(audio: AudioSettings) -> tuple[str, str]:
    if audio.sink == "recording":
        return WARN, "audio.sink is `recording`: nothing is heard"
    if audio.sink == "command":
        program = audio.command[0]
        found = shutil.which(program)
        return (OK, f"command {program}") if found else (FAIL, f"{program} is not installed")
    if shutil.which(audio.sink) is None:
        return FAIL, f"{audio.sink} is not installed"
    if audio.sink == "mpv":
        return OK, f"mpv on ALSA device {audio.device}"
    # Open the device for a moment with silence: it fails as a broadcast would.
    result = subprocess.run(
        ["aplay", "-q", "-D", audio.device, "-t", "raw", "-f", "S16_LE", "-r", "44100", "-c", "1",
         "-d", "1", "/dev/zero"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no error output"])[-1]
        return FAIL, f"ALSA device {audio.device}: {last}"
    return OK, f"ALSA device {audio.device} opens"


def _screens(db_path: Path, screens: Sequence[ScreenSettings]) -> tuple[str, str]:
    if not db_path.is_file():
        return FAIL, "no database"
    store = Store(db_path)
    missing = [s.display_name for s in screens if store.screen_state(s.name) is None]
    store.close()
    names = ", ".join(f"{s.display_name} {s.width}×{s.height}" for s in screens)
    if missing:
        return WARN, f"no slide published yet for {', '.join(missing)} (is the player running?)"
    return OK, names
