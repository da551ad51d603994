"""The `villagecast` command line, run as a user runs it: a separate process."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import urllib.request
import wave
from pathlib import Path

import pytest

from playlists.content import announcement_table, announcing, playlist_table
from playlists.store import Store
from tests.paths import REPO
from tests.processes import PANEL_LISTENS, Output, Processes

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


def villagecast(
    *args: str,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    umask: int = 0o022,  # a normal shell's
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scheduler"]
    if config is not None:
        argv += ["--config", str(config)]
    return subprocess.run(
        argv + list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: os.umask(umask) and None,
    )


def write_config(folder: Path) -> Path:
    """Write a config with offline speech and no sound card, its data beside it."""
    path = folder / "config.yaml"
    path.write_text("tts: {engines: [espeak-ng]}\naudio: {sink: recording}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def initialized_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = write_config(tmp_path_factory.mktemp("cli"))
    result = villagecast("init", config=config)
    assert result.returncode == 0, result.stderr
    assert "one-time password" in result.stdout
    return config


@pytest.fixture
def initialized(initialized_once: Path, tmp_path: Path) -> Path:
    """A private copy of a folder where `villagecast init` ran."""
    folder = tmp_path / "site"
    shutil.copytree(initialized_once.parent, folder)
    return folder / "config.yaml"


def test_init_twice_changes_nothing(initialized: Path) -> None:
    db = initialized.parent / "data" / "villagecast.db"
    before = db.read_bytes()
    again = villagecast("init", config=initialized)
    assert again.returncode == 0, again.stderr
    assert "one-time password" not in again.stdout
    store = Store.open(db)
    assert len(playlist_table.list_playlists(store)) == 1
    assert store.query_one("SELECT COUNT(*) AS n FROM users")["n"] == 1  # type: ignore[index]
    assert len(before) > 0


def test_init_from_a_normal_shell_leaves_the_data_owner_only(initialized_once: Path) -> None:
    data = initialized_once.parent / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "villagecast.db").stat().st_mode) == 0o600
    found = [data, *data.rglob("*")]
    assert len(found) > 5  # the database and the sample campaign's speech and slides
    loose = [str(p) for p in found if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []


def test_init_narrows_a_data_folder_and_database_made_loose_before(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    Store.open(data / "villagecast.db").close()
    (data / "villagecast.db").chmod(0o644)
    result = villagecast("init", config=config)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "villagecast.db").stat().st_mode) == 0o600


def test_simulate_campaign_plays_33_on_time_whatever_the_tz(initialized: Path) -> None:
    result = villagecast(
        "simulate",
        "--from",
        "2023-03-28",
        "--to",
        "2023-04-08",
        "--json",
        config=initialized,
        env={"TZ": "America/New_York"},
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 33
    assert {row["status"] for row in rows} == {"played"}
    for row in rows:
        assert row["started"] == row["scheduled"]
        assert row["started"].endswith("+08:00")
        assert row["started"][11:16] in {"07:30", "12:00", "18:30"}
        assert set(row) >= {"scheduled", "started", "ended", "playlist", "status", "reason"}


def test_plan_json_shape(initialized: Path) -> None:
    result = villagecast(
        "plan",
        "--from",
        "2023-04-07",
        "--to",
        "2023-04-07",
        "--json",
        config=initialized,
        env={"TZ": "UTC"},
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["start"] for row in rows] == [
        "2023-04-07T07:30:00+08:00",
        "2023-04-07T12:00:00+08:00",
        "2023-04-07T18:30:00+08:00",
    ]
    assert rows[0]["priority"] == "scheduled"
    assert rows[0]["playlist"] == "社会工作主题宣传"
    assert rows[0]["end"] > rows[0]["start"]


def test_plan_text_lists_station_times(initialized: Path) -> None:
    result = villagecast("plan", "--from", "2023-03-28", "--to", "2023-03-28", config=initialized)
    assert result.returncode == 0, result.stderr
    assert "2023-03-28 Tue 07:30" in result.stdout
    assert "3 broadcasts, times in Asia/Shanghai" in result.stdout


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("audio: {sinc: aplay}\n", "audio.sinc", id="unknown-key"),
        pytest.param("panel: {port: -1}\n", "panel.port", id="bad-value"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = villagecast("plan", config=path)
    assert result.returncode == 2
    assert key in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists(), "a bad config creates nothing"


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    result = villagecast("plan", config=tmp_path / "missing.yaml")
    assert result.returncode == 2
    assert "file not found" in result.stderr


def test_bad_playlist_names_item_and_field_and_imports_nothing(
    initialized: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: villagecast/playlist@1\nname: 坏的\nitems:\n"
        "  - announcement: 你好\n  - announcement: 再见\n    repeat: many\n",
        encoding="utf-8",
    )
    result = villagecast("import", str(bad), config=initialized)
    assert result.returncode == 1
    assert "item 2 (announcement): 'repeat' must be a whole number" in result.stderr
    store = Store.open(initialized.parent / "data" / "villagecast.db")
    assert [row["name"] for row in playlist_table.list_playlists(store)] == ["社会工作主题宣传"]


def test_import_with_local_media_and_schedule(initialized: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    (folder / "media").mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660:duration=1.5",
            str(folder / "media" / "chime.mp3"),
        ],
        check=True,
    )
    (folder / "playlist.yaml").write_text(
        "format: villagecast/playlist@1\nname: 通知\nitems:\n"
        "  - audio: media/chime.mp3\n  - announcement: 今晚停电\n    repeat: 2\n"
        "schedule:\n  - {start: 2023-03-29, end: 2023-03-29, times: ['08:00']}\n",
        encoding="utf-8",
    )
    result = villagecast("import", str(folder / "playlist.yaml"), config=initialized)
    assert result.returncode == 0, result.stderr
    assert "with 2 items and 1 schedule entries" in result.stdout
    plan = villagecast(
        "plan", "--from", "2023-03-29", "--to", "2023-03-29", "--json", config=initialized
    )
    assert [row["playlist"] for row in json.loads(plan.stdout)] == [
        "社会工作主题宣传",
        "通知",
        "社会工作主题宣传",
        "社会工作主题宣传",
    ]


def test_say_without_a_player_says_so(initialized: Path) -> None:
    result = villagecast("say", "--wait", "0.5", "请注意", config=initialized)
    assert result.returncode == 1
    assert "is `villagecast player` running?" in result.stderr


def start_up(config: Path, spawned: Processes) -> tuple[subprocess.Popen[str], Output, str]:
    """Start `villagecast up` on any free panel port; return it, its stderr and the panel URL."""
    with config.open("a", encoding="utf-8") as file:
        file.write("panel: {port: 0}\n")
    up = spawned.start(
        [sys.executable, "-m", "scheduler", "--config", str(config), "up"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert up.stderr is not None
    output = Output(up.stderr)
    return up, output, output.wait_for(PANEL_LISTENS, timeout=30)[1]


def wait_for_heartbeat(config: Path, timeout: float = 30) -> None:
    db = Store.open(config.parent / "data" / "villagecast.db")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and "heartbeat" not in db.status():
        time.sleep(0.1)
    assert "heartbeat" in db.status(), "the player is running"
    db.close()


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is pid."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    """Tell whether pid runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_up_runs_panel_and_player_and_stops_both(
    initialized: Path, signum: int, spawned: Processes
) -> None:
    up, output, url = start_up(initialized, spawned)
    with urllib.request.urlopen(f"{url}/login", timeout=10) as response:
        assert "登录" in response.read().decode("utf-8"), "the panel answers in Chinese"
    wait_for_heartbeat(initialized)
    up.send_signal(signum)
    assert up.wait(timeout=15) == 0
    assert "player stopped" in output.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/login", timeout=1)


def test_up_killed_leaves_no_player_behind(initialized: Path, spawned: Processes) -> None:
    up, _, _ = start_up(initialized, spawned)
    wait_for_heartbeat(initialized)
    children = children_of(up.pid)
    assert len(children) == 2, "a player and a panel"
    up.kill()
    up.wait(timeout=5)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(pid) for pid in children):
        time.sleep(0.1)
    assert not any(alive(pid) for pid in children), "the player and panel end with `up`"


def test_up_stops_the_player_when_the_panel_cannot_start(
    initialized: Path, spawned: Processes
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with initialized.open("a", encoding="utf-8") as file:
            file.write(f"panel: {{port: {taken.getsockname()[1]}}}\n")
        up = spawned.start(
            [sys.executable, "-m", "scheduler", "--config", str(initialized), "up"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert up.wait(timeout=30) != 0
    assert up.stderr is not None
    stderr = up.stderr.read()
    assert "villagecast panel:" in stderr and "player stopped" in stderr


def test_render_writes_speech_and_a_slide_per_screen(initialized: Path, tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "usb"
    result = villagecast(
        "render",
        "推进五社联动，关爱一小一老。" * 8,
        "--title",
        "五社联动",
        "--out",
        str(out),
        config=initialized,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "layout.json", "led-bar.png", "led-bar.scroll.png", "led-wall.png", "speech.wav", "tv.png"
    ]  # fmt: skip
    sizes = {"led-bar": (352, 80), "led-wall": (960, 576), "tv": (1920, 1080)}
    for screen, size in sizes.items():
        with Image.open(out / f"{screen}.png") as image:
            assert image.size == size
    with Image.open(out / "led-bar.scroll.png") as strip:
        assert strip.height == 80 and strip.width > 352
    assert "speech by espeak-ng" in result.stdout
    layout = json.loads((out / "layout.json").read_text(encoding="utf-8"))
    screens = {screen["screen"]: screen for screen in layout["screens"]}
    assert sorted(screens) == ["led-bar", "led-wall", "tv"]
    bar, tv = screens["led-bar"], screens["tv"]
    # The bar scrolls in a dot-matrix face; its still shows the title.
    assert (bar["mode"], bar["dot_matrix"], bar["title_lines"]) == ("scroll", True, ["五社联动"])
    assert bar["font"] == "WenQuanYi Zen Hei Sharp Regular"
    assert bar["dots"] == 16 and bar["px"] % 16 == 0  # 16-dot glyphs, each dot a square
    assert (tv["mode"], tv["dot_matrix"], tv["font"]) == ("still", False, "Noto Sans CJK SC Bold")
    assert tv["title_lines"] == ["五社联动"]
    assert "".join(tv["lines"]) == "推进五社联动，关爱一小一老。" * 8
    assert (tv["width"], tv["height"]) == (1920, 1080) and tv["px"] >= 60


def wav_frames(path: Path) -> tuple[bytes, int]:
    """Return a WAV file's samples and its sample rate."""
    with wave.open(str(path), "rb") as clip:
        return clip.readframes(clip.getnframes()), clip.getframerate()


def peak_db(samples: bytes) -> float:
    """Return the highest absolute sample of s16le mono samples, in dBFS."""
    peak = max(abs(value) for (value,) in struct.iter_unpack("<h", samples))
    return 20 * math.log10(max(peak, 1) / 32768)


@pytest.mark.parametrize(
    ("broadcast", "lead_in", "chime"),
    [
        pytest.param("{}", 1.0, True, id="default-lead-in-and-chime"),
        pytest.param("{lead_in_seconds: 2.5}", 2.5, True, id="longer-lead-in"),
        pytest.param("{chime: false}", 1.0, False, id="lead-in-only"),
        pytest.param("{chime: false, lead_in_seconds: 0}", 0.0, False, id="no-openers"),
    ],
)
def test_render_as_aired_opens_speech_with_the_lead_in_and_chime(
    initialized: Path, tmp_path: Path, broadcast: str, lead_in: float, chime: bool
) -> None:
    config = initialized.read_text(encoding="utf-8") + f"broadcast: {broadcast}\n"
    initialized.write_text(config, encoding="utf-8")
    text = "村民朋友们，今晚八点在村委会放映电影。"
    plain, aired = tmp_path / "plain", tmp_path / "aired"
    assert villagecast("render", text, "--out", str(plain), config=initialized).returncode == 0
    result = villagecast("render", text, "--out", str(aired), "--as-aired", config=initialized)
    assert result.returncode == 0, result.stderr
    speech, rate = wav_frames(plain / "speech.wav")
    on_air, aired_rate = wav_frames(aired / "speech.wav")
    assert aired_rate == rate == 44100
    assert on_air.endswith(speech), "the speech airs unchanged after the openers"
    opening = on_air[: len(on_air) - len(speech)]
    chime_seconds = 2.4 if chime else 0.0
    assert len(opening) / 2 / rate == pytest.approx(lead_in + chime_seconds, abs=0.01)
    lead_in_bytes = int(lead_in * rate) * 2
    if lead_in:
        assert peak_db(opening[:lead_in_bytes]) < -40, "the lead-in is a faint tone"
    if chime:
        assert peak_db(opening[lead_in_bytes:]) > -10, "the chime sounds as loud as speech"
    assert "as aired:" in result.stdout


class GoneEngine:
    """espeak-ng at another speed under the name of an engine this station no longer has."""

    name, voice = "old-voice", "slow"

    def synthesize(self, text: str, out_path: Path) -> None:
        from media.tts import EspeakEngine

        EspeakEngine(speed=130).synthesize(text, out_path)


def test_revoice_speaks_clips_of_a_worse_engine_again(initialized: Path) -> None:
    from media.tts import EngineChain
    from playlists.content.ingest import Ingest
    from playlists.model import Review
    from playlists.record import audit
    from playlists.settings import load_settings

    settings = load_settings(initialized)
    store = Store.open(settings.db_path)
    old = Ingest(store, settings, chain=EngineChain([GoneEngine()]))
    made = [
        announcing.create(old, "电影", "今晚八点放映电影。", "op", review=Review.APPROVED),
        announcing.create(old, "防火", "请注意防火。", "op"),
    ]
    sample = [a for a in announcement_table.list_announcements(store) if a.id not in made]
    assert sample and {a.engine for a in sample} == {"espeak-ng"}

    dry = villagecast("revoice", "--dry-run", config=initialized)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1].startswith("would re-voice 2 announcement(s)")
    assert all(announcement_table.get_announcement(store, i).engine == "old-voice" for i in made)

    result = villagecast("revoice", "--engine", "espeak-ng", config=initialized)
    assert result.returncode == 0, result.stderr
    assert f"#{made[0]} 电影: old-voice → espeak-ng" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("re-voiced 2 announcement(s)")
    for announcement_id in made:
        now = announcement_table.get_announcement(store, announcement_id)
        assert (now.engine, now.review) == ("espeak-ng", Review.DRAFT)
        assert now.changed_by and now.changed_by.startswith("cli:")
    assert len(audit.rows(store, action="revoice")) == 2
    after = {a.id: a.media_sha256 for a in announcement_table.list_announcements(store)}
    assert all(after[a.id] == a.media_sha256 for a in sample), "espeak-ng clips stay as they are"

    again = villagecast("revoice", config=initialized)
    assert again.stdout.splitlines()[-1].startswith("re-voiced 0 announcement(s)")


def test_user_commands(initialized: Path) -> None:
    from playlists.access import users

    added = villagecast("user", "add", "wangwu", "--role", "operator", config=initialized)
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("one-time password: ")[1].split()[0]
    db = Store.open(initialized.parent / "data" / "villagecast.db")
    user = users.authenticate(db, "wangwu", password)
    assert user is not None and user.role == "operator" and user.must_change_password
    chosen = subprocess.run(
        [sys.executable, "-m", "scheduler", "--config", str(initialized), "user", "passwd",
         "wangwu", "--password-stdin"],
        input="村长的新密码2023\n", capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    assert "one-time password" not in chosen.stdout
    user = users.authenticate(db, "wangwu", "村长的新密码2023")
    assert user is not None and not user.must_change_password
    listed = villagecast("user", "list", config=initialized)
    assert "wangwu" in listed.stdout and "admin" in listed.stdout
    twice = villagecast("user", "add", "wangwu", config=initialized)
    assert twice.returncode == 1 and "already exists" in twice.stderr
    short = subprocess.run(
        [sys.executable, "-m", "scheduler", "--config", str(initialized), "user", "add", "zhao",
         "--password-stdin"],
        input="short\n", capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    missing = villagecast("user", "passwd", "nobody", config=initialized)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_user_add_with_role_and_emergency_right_then_set(initialized: Path) -> None:
    from playlists.access import users
    from playlists.record import audit

    db = Store.open(initialized.parent / "data" / "villagecast.db")
    added = villagecast("user", "add", "zhao", "reviewer", "--emergency", config=initialized)
    assert added.returncode == 0, added.stderr
    assert "created user 'zhao' (reviewer, emergency broadcasts: yes)" in added.stdout
    zhao = {u.username: u for u in users.list_users(db)}["zhao"]
    assert (zhao.role, zhao.may_emergency, zhao.must_change_password) == ("reviewer", True, True)

    changed = villagecast(
        "user", "set", "zhao", "--role", "operator", "--no-emergency", "--disable",
        config=initialized,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "'zhao': operator, emergency broadcasts: no, disabled" in changed.stdout
    zhao = {u.username: u for u in users.list_users(db)}["zhao"]
    assert (zhao.role, zhao.may_emergency, zhao.disabled) == ("operator", False, True)
    row = audit.rows(db, limit=1)[0]
    assert row.username.startswith("cli:") and row.action == "disable"
    assert row.detail == "zhao: role reviewer → operator, emergency right no, disabled"

    listed = villagecast("user", "list", config=initialized).stdout.splitlines()
    assert listed[0].split() == ["user", "role", "emergency", "account"]
    assert {line.split()[0]: line.split()[1:4] for line in listed[1:]} == {
        "admin": ["admin", "yes", "active"],
        "zhao": ["operator", "no", "disabled"],
    }
    enabled = villagecast("user", "set", "zhao", "--enable", "--emergency", config=initialized)
    assert "'zhao': operator, emergency broadcasts: yes, active" in enabled.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(("set", "admin", "--role", "operator"), 1, "last admin", id="demote-last"),
        pytest.param(("set", "admin", "--disable"), 1, "last admin", id="disable-last"),
        pytest.param(("set", "nobody", "--enable"), 1, "does not exist", id="unknown-user"),
        pytest.param(("set", "admin"), 1, "nothing to change", id="nothing-to-change"),
        pytest.param(("set", "admin", "--disable", "--enable"), 2, "not allowed", id="both"),
        pytest.param(("add", "zz", "boss"), 2, "invalid choice", id="unknown-role"),
        pytest.param(("add", "王五"), 1, "a user name is 2 to 32", id="bad-name"),
        pytest.param(("add", "zz", "admin", "--role", "operator"), 1, "two roles", id="two-roles"),
    ],
)
def test_user_commands_refuse_and_change_nothing(
    initialized: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    db = initialized.parent / "data" / "villagecast.db"
    before = [tuple(r) for r in Store.open(db).query("SELECT * FROM users")]
    result = villagecast("user", *args, config=initialized)
    assert result.returncode == code and message in result.stderr, result.stderr
    assert [tuple(r) for r in Store.open(db).query("SELECT * FROM users")] == before
    assert Store.open(db).query("SELECT * FROM audit WHERE subject = 'user'") == []
