"""The Pi's units and scripts: systemd-analyze, shellcheck, and install.sh run for real.

install.sh only ever runs here with --root (a folder), never on this machine. It
builds its venv offline: the dependencies come from this venv through PYTHONPATH,
and setuptools needs Debian's python3-wheel to build the package.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from playlists.settings import load_settings
from tests.paths import REPO

SYSTEMD = REPO / "systemd"
PLAYER, PANEL, KIOSK = (
    "villagecast-player.service",
    "villagecast-panel.service",
    "villagecast-kiosk@.service",
)
UNITS = (PLAYER, PANEL, KIOSK)
BROKER = "villagecast-broker.service"  # the town role's mosquitto, not villagecast's code
VENV_BIN = "opt/villagecast/venv/bin"
SYSTEM_PYTHON = Path("/usr/bin/python3")  # what install.sh builds its venv with
# Lines systemd-analyze verify may print that say nothing about our units. None with
# systemd 252; add a pattern here only after reading what a newer systemd says.
HARMLESS: tuple[re.Pattern[str], ...] = ()


def shell_scripts() -> list[Path]:
    """Return every script in systemd/ (by its #! line) and the repo's own scripts."""
    own = [p for p in sorted(SYSTEMD.iterdir()) if p.read_bytes().startswith(b"#!")]
    return [*own, REPO / "scripts" / "setup", REPO / "scripts" / "test", REPO / ".ci" / "run"]


def directives(unit: str) -> dict[str, list[str]]:
    """Return every `Key=value` of a unit file, all values of repeated keys in order."""
    found: dict[str, list[str]] = {}
    for line in (SYSTEMD / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


# -- systemd-analyze verify ------------------------------------------------------------


def system_unit_dir() -> Path:
    for folder in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (folder / "multi-user.target").exists():
            return folder
    pytest.skip("no systemd unit folder with multi-user.target")


def make_verify_root(root: Path, units: Path = SYSTEMD) -> Path:
    """Lay out a root for `verify --root`: systemd's own units, ours, stub programs."""
    system = root / "usr/lib/systemd/system"
    if not system.exists():
        shutil.copytree(system_unit_dir(), system, symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True, exist_ok=True)
    for unit in (*UNITS, BROKER):
        shutil.copy(units / unit, root / "etc/systemd/system" / unit)
    programs = (f"{VENV_BIN}/villagecast", f"{VENV_BIN}/villagecast-kiosk", "usr/bin/cage")
    for program in (*programs, "usr/sbin/mosquitto", "usr/bin/kill"):
        stub = root / program
        if not stub.exists():
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\nexit 0\n")
            stub.chmod(0o755)
    return root


def verify(root: Path, unit: str) -> tuple[int, list[str]]:
    """Run systemd-analyze verify on a unit inside root; return its code and output lines."""
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "--man=no", unit],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = (result.stdout + result.stderr).splitlines()
    return result.returncode, [line for line in lines if line.strip()]


@pytest.fixture(scope="module")
def verify_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_verify_root(tmp_path_factory.mktemp("verify-root"))


@pytest.mark.parametrize(
    "unit",
    [
        PLAYER,
        PANEL,
        "villagecast-kiosk@led-bar.service",
        r"villagecast-kiosk@\xe6\x9d\x91.service",
        BROKER,
    ],
    ids=["player", "panel", "kiosk", "kiosk-escaped-name", "broker"],
)
def test_units_pass_systemd_analyze_verify(verify_root: Path, unit: str) -> None:
    code, lines = verify(verify_root, unit)
    complaints = [line for line in lines if not any(p.search(line) for p in HARMLESS)]
    assert (code, complaints) == (0, [])


def test_verify_is_not_vacuous(tmp_path: Path) -> None:
    """The same setup does catch a misspelt key and a missing program."""
    broken = tmp_path / "units"
    shutil.copytree(SYSTEMD, broken)
    player = broken / PLAYER
    player.write_text(player.read_text().replace("WatchdogSec=", "WatchdogSecs="))
    root = make_verify_root(tmp_path / "root", broken)
    (root / "usr/bin/cage").unlink()
    _, lines = verify(root, PLAYER)
    assert any("Unknown key 'WatchdogSecs'" in line for line in lines)
    code, lines = verify(root, "villagecast-kiosk@tv.service")
    assert code != 0
    assert any("/usr/bin/cage is not executable" in line for line in lines)


# -- what the units say ------------------------------------------------------------------

EVERY_UNIT = {PLAYER, PANEL, KIOSK}
RULES = [
    ("Restart", "always", EVERY_UNIT),
    ("StartLimitIntervalSec", "300", EVERY_UNIT),
    ("StartLimitBurst", "10", EVERY_UNIT),
    ("RestartPreventExitStatus", "2", EVERY_UNIT),
    ("User", "villagecast", EVERY_UNIT),
    ("Environment", "VILLAGECAST_CONFIG=/etc/villagecast/config.yaml", EVERY_UNIT),
    ("StandardOutput", "journal", EVERY_UNIT),
    ("NoNewPrivileges", "yes", EVERY_UNIT),
    ("ProtectSystem", "strict", EVERY_UNIT),
    ("ReadWritePaths", "/var/lib/villagecast", EVERY_UNIT),
    ("PrivateTmp", "yes", EVERY_UNIT),
    ("ProtectHome", "yes", EVERY_UNIT),
    ("ProtectKernelTunables", "yes", EVERY_UNIT),
    ("ProtectControlGroups", "yes", EVERY_UNIT),
    ("RestrictSUIDSGID", "yes", EVERY_UNIT),
    ("LockPersonality", "yes", EVERY_UNIT),
    ("Type", "notify", {PLAYER}),
    ("NotifyAccess", "main", {PLAYER}),
    ("WatchdogSec", "30", {PLAYER}),
    ("SupplementaryGroups", "audio", {PLAYER}),
    ("PrivateDevices", "yes", {PANEL}),  # the player needs /dev/snd, the kiosk /dev/dri
    ("SupplementaryGroups", "video render", {KIOSK}),
    ("ExecStart", "/opt/villagecast/venv/bin/villagecast player", {PLAYER}),
    ("ExecStart", "/opt/villagecast/venv/bin/villagecast panel", {PANEL}),
]


@pytest.mark.parametrize(
    ("key", "value", "units"),
    RULES,
    ids=[f"{key}={value}" for key, value, _ in RULES],
)
@pytest.mark.parametrize("unit", UNITS, ids=["player", "panel", "kiosk"])
def test_unit_directives(unit: str, key: str, value: str, units: set[str]) -> None:
    present = value in directives(unit).get(key, [])
    assert present == (unit in units), f"{unit}: {key}={value} should be {unit in units}"


def test_broker_runs_mosquitto_on_the_files_broker_init_writes() -> None:
    config = "/var/lib/villagecast/town/broker/mosquitto.conf"
    found = directives(BROKER)
    assert found["ExecStart"] == [f"/usr/sbin/mosquitto -c {config}"]
    assert found["ConditionPathExists"] == [config]
    assert found["ExecReload"] == ["/usr/bin/kill -HUP $MAINPID"]  # `village remove` cuts off
    assert (found["User"], found["ReadWritePaths"]) == (["villagecast"], ["/var/lib/villagecast"])


def test_kiosk_waits_for_the_panel_and_shows_one_screen() -> None:
    kiosk = directives(KIOSK)
    assert kiosk["ExecCondition"] == ["/opt/villagecast/venv/bin/villagecast-kiosk check %i"]
    assert kiosk["ExecStartPre"] == ["/opt/villagecast/venv/bin/villagecast-kiosk wait %i"]
    assert kiosk["ExecStart"] == [
        "/usr/bin/cage -d -s -- /opt/villagecast/venv/bin/villagecast-kiosk browser %i"
    ]
    assert "villagecast-panel.service" in kiosk["After"][0].split()


# -- scripts -----------------------------------------------------------------------------


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_script_parses(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_script_passes_shellcheck(script: Path) -> None:
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_early_leaving_grep_under_pipefail(script: Path) -> None:
    # `producer | grep -q` under pipefail fails whenever grep's early exit SIGPIPEs the
    # producer: scripts/setup once skipped the MBROLA voice it had found that way.
    text = script.read_text()
    if "pipefail" in text:
        assert not re.search(r"\|\s*grep\s+(-\w*q|--quiet)", text)


def test_the_pipefail_trap_is_real() -> None:
    script = "set -o pipefail; yes | head -c 100000 | grep -q y"
    assert subprocess.run(["bash", "-c", script]).returncode != 0


def test_systemd_scripts_are_found() -> None:
    names = {p.name for p in shell_scripts()}
    assert {"install.sh", "villagecast-kiosk"} <= names


# -- install.sh --root -------------------------------------------------------------------


def offline_pip_env(tmp: Path) -> dict[str, str]:
    """Environment in which install.sh builds its venv with no network."""
    if not SYSTEM_PYTHON.exists():
        pytest.fail(f"{SYSTEM_PYTHON} is missing: run scripts/setup --test")
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import ensurepip, wheel; print(wheel.__file__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.fail("install.sh needs python3-venv and python3-wheel: run scripts/setup --test")
    wheel = Path(probe.stdout.strip()).parent
    extra = tmp / "pyextra"
    extra.mkdir()
    for path in wheel.parent.glob("wheel*"):
        (extra / path.name).symlink_to(path)
    here = sysconfig.get_paths()["purelib"]  # this venv: flask, yaml, setuptools...
    return {
        "PYTHONPATH": f"{here}:{extra}",
        "VILLAGECAST_PIP_ARGS": "--no-index --no-build-isolation",
    }


def install(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run install.sh into root; never without --root."""
    return subprocess.run(
        [str(SYSTEMD / "install.sh"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env, "VILLAGECAST_ROOT": str(root)},
    )


@pytest.fixture(scope="module")
def pip_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return offline_pip_env(tmp_path_factory.mktemp("pip"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, pip_env: dict[str, str]) -> Path:
    root = tmp_path_factory.mktemp("pi")
    result = install(root, pip_env, "--kiosk", "led-bar", "--town")
    assert result.returncode == 0, result.stderr
    assert "villagecast broker init" in result.stdout
    return root


@pytest.mark.slow
def test_install_writes_the_config_for_the_pi(installed: Path) -> None:
    config = installed / "etc/villagecast/config.yaml"
    settings = load_settings(config)
    assert settings.data_dir == Path("/var/lib/villagecast")
    assert settings.panel.host == "0.0.0.0"
    changed = [
        (ours, theirs)
        for ours, theirs in zip(
            (REPO / "config.yaml").read_text().splitlines(),
            config.read_text().splitlines(),
            strict=True,
        )
        if ours != theirs
    ]
    assert changed == [("data_dir: data", "data_dir: /var/lib/villagecast"),
                       ("  host: 127.0.0.1", "  host: 0.0.0.0")]  # fmt: skip


@pytest.mark.slow
def test_install_lays_out_app_units_and_data(installed: Path) -> None:
    venv = installed / "opt/villagecast/venv"
    assert venv.is_symlink() and os.readlink(venv).startswith("releases/")
    for program in ("villagecast", "villagecast-kiosk", "python"):
        assert os.access(venv / "bin" / program, os.X_OK), program
    site = next(venv.glob("lib/python3*/site-packages"))
    assert (site / "scheduler/sdnotify.py").is_file()
    assert (site / "web/templates/screen.html").is_file()  # package data too
    for unit in (*UNITS, BROKER):
        copied = installed / "etc/systemd/system" / unit
        assert copied.read_bytes() == (SYSTEMD / unit).read_bytes()
    wants = installed / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == [
        BROKER,
        "villagecast-kiosk@led-bar.service",
        PANEL,
        PLAYER,
    ]
    assert os.readlink(wants / "villagecast-kiosk@led-bar.service") == f"../{KIOSK}"
    assert (installed / "var/lib/villagecast").is_dir()


@pytest.mark.slow
def test_installed_units_verify_with_the_installed_programs(installed: Path) -> None:
    root = make_verify_root(installed)  # adds systemd's units and a cage stub only
    for unit in (PLAYER, PANEL, "villagecast-kiosk@led-bar.service"):
        assert verify(root, unit) == (0, [])


@pytest.mark.slow
def test_upgrade_keeps_config_and_data_and_one_release_back(
    installed: Path, tmp_path: Path, pip_env: dict[str, str]
) -> None:
    root = tmp_path / "pi"
    shutil.copytree(installed, root, symlinks=True)
    config = root / "etc/villagecast/config.yaml"
    config.write_text(config.read_text() + "# edited on the Pi\n")
    (root / "var/lib/villagecast/villagecast.db").write_text("the village's broadcasts")
    first = os.readlink(root / "opt/villagecast/venv")
    for _ in range(2):
        result = install(root, pip_env)
        assert result.returncode == 0, result.stderr
        assert "keeping" in result.stdout
    assert config.read_text().endswith("# edited on the Pi\n")
    assert (root / "var/lib/villagecast/villagecast.db").read_text() == "the village's broadcasts"
    releases = sorted(p.name for p in (root / "opt/villagecast/releases").iterdir())
    assert first.startswith("releases/0001-")
    assert [name[:5] for name in releases] == ["0002-", "0003-"]  # the first was pruned
    assert os.readlink(root / "opt/villagecast/venv") == f"releases/{releases[1]}"
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "villagecast-kiosk@led-bar.service").is_symlink()  # kept without --kiosk
    assert (wants / BROKER).is_symlink()  # the town role, kept without --town


@pytest.mark.slow
def test_a_bad_kiosk_screen_changes_nothing(
    installed: Path, tmp_path: Path, pip_env: dict[str, str]
) -> None:
    root = tmp_path / "pi"
    shutil.copytree(installed, root, symlinks=True)
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    result = install(root, pip_env, "--kiosk", "no-such-screen")
    assert result.returncode == 1
    assert "no screen named 'no-such-screen'" in result.stderr
    assert "screens: led-bar led-wall tv" in result.stderr
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before


@pytest.mark.slow
def test_a_config_the_new_version_refuses_changes_nothing(
    installed: Path, tmp_path: Path, pip_env: dict[str, str]
) -> None:
    root = tmp_path / "pi"
    shutil.copytree(installed, root, symlinks=True)
    config = root / "etc/villagecast/config.yaml"
    config.write_text(config.read_text().replace("  port: 8080", "  port: 99999"))
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    result = install(root, pip_env)
    assert result.returncode == 1
    assert "key 'panel.port' must be from 0 to 65535 (got 99999)" in result.stderr
    assert "nothing was installed or restarted" in result.stderr
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before


@pytest.mark.slow
def test_uninstall_keeps_data_and_config_unless_purged(
    installed: Path, tmp_path: Path, pip_env: dict[str, str]
) -> None:
    root = tmp_path / "pi"
    shutil.copytree(installed, root, symlinks=True)
    result = install(root, pip_env, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not (root / "opt/villagecast").exists()
    assert not list((root / "etc/systemd/system").rglob("villagecast*"))
    assert (root / "etc/villagecast/config.yaml").is_file()
    assert (root / "var/lib/villagecast").is_dir()
    result = install(root, pip_env, "--uninstall", "--purge")
    assert result.returncode == 0, result.stderr
    assert not (root / "etc/villagecast").exists()
    assert not (root / "var/lib/villagecast").exists()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--help"], 0, "--kiosk SCREEN"),
        (["--bogus"], 1, "unknown argument '--bogus'"),
        (["--purge"], 1, "--purge goes with --uninstall"),
        (["--uninstall", "--kiosk", "tv"], 1, "--kiosk goes with an install"),
        (["--uninstall", "--town"], 1, "--town goes with an install"),
    ],
    ids=["help", "unknown", "purge-alone", "kiosk-uninstall", "town-uninstall"],
)
def test_install_arguments(tmp_path: Path, args: list[str], code: int, says: str) -> None:
    result = install(tmp_path / "pi", {}, *args)
    assert result.returncode == code
    assert says in result.stdout + result.stderr


# -- the kiosk script -----------------------------------------------------------------


class Panel(http.server.BaseHTTPRequestHandler):
    """Answer every page with 200, as the panel does for a configured screen."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def panel_port() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Panel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def kiosk_home(tmp_path: Path) -> Path:
    """A venv-like bin/ with the script, this Python, and stub cage and chromium."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(SYSTEMD / "villagecast-kiosk", bin_dir / "villagecast-kiosk")
    stubs = {
        "python": f'#!/bin/sh\nexec {sys.executable} "$@"\n',
        "cage": "#!/bin/sh\nexit 0\n",
        # Records how it was started, one argument a line.
        "chromium": f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/chromium-args\n',
    }
    for name, text in stubs.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for folder in ("run", "state"):
        (tmp_path / folder).mkdir()
    return tmp_path


def write_kiosk_config(home: Path, port: int) -> Path:
    data = yaml.safe_load((REPO / "config.yaml").read_text())
    data["panel"]["port"] = port
    data["screens"].append({"name": "村口 大屏", "width": 640, "height": 360})
    config = home / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    return config


def kiosk(home: Path, port: int, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the kiosk script as its unit would, on a config whose panel is at port."""
    return subprocess.run(
        [str(home / "bin/villagecast-kiosk"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "PATH": f"{home / 'bin'}:/usr/bin:/bin",
            "VILLAGECAST_CONFIG": str(write_kiosk_config(home, port)),
            "RUNTIME_DIRECTORY": str(home / "run"),
            "STATE_DIRECTORY": str(home / "state"),
            **env,
        },
    )


@pytest.mark.parametrize(
    ("instance", "page"),
    [
        ("led-bar", "/screen/led-bar"),
        (r"led\x2dbar", "/screen/led-bar"),  # systemd-escape led-bar
        (
            r"\xe6\x9d\x91\xe5\x8f\xa3\x20\xe5\xa4\xa7\xe5\xb1\x8f",  # systemd-escape "村口 大屏"
            "/screen/%E6%9D%91%E5%8F%A3%20%E5%A4%A7%E5%B1%8F",
        ),
    ],
    ids=["plain", "escaped", "chinese"],
)
def test_kiosk_finds_the_screen_page(kiosk_home: Path, instance: str, page: str) -> None:
    result = kiosk(kiosk_home, 18080, "check", instance)
    assert result.returncode == 0, result.stderr
    assert (kiosk_home / "run/url").read_text().strip() == f"http://127.0.0.1:18080{page}"


def test_kiosk_skips_a_screen_that_is_not_configured(kiosk_home: Path) -> None:
    result = kiosk(kiosk_home, 18080, "check", "gate")
    assert result.returncode == 1  # ExecCondition: the unit is skipped, not restarted
    assert "no screen named 'gate'" in result.stderr
    assert "led-bar led-wall tv 村口 大屏" in result.stderr


def test_kiosk_waits_for_the_panel(kiosk_home: Path, panel_port: int) -> None:
    assert kiosk(kiosk_home, panel_port, "check", "tv").returncode == 0
    result = kiosk(kiosk_home, panel_port, "wait", "tv")
    assert result.returncode == 0, result.stderr
    assert f"the panel answers http://127.0.0.1:{panel_port}/screen/tv" in result.stdout


@pytest.mark.slow
def test_kiosk_gives_up_waiting_so_systemd_retries(kiosk_home: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        assert kiosk(kiosk_home, port, "check", "tv").returncode == 0
        started = time.monotonic()
        result = kiosk(kiosk_home, port, "wait", "tv", KIOSK_WAIT_SECONDS="2")
    assert result.returncode == 1
    assert "the panel does not answer" in result.stderr
    assert 2 <= time.monotonic() - started < 20


CHROMIUM_FLAGS = [
    "--kiosk",
    "--noerrdialogs",
    "--disable-infobars",
    "--disable-session-crashed-bubble",
    "--no-first-run",
    "--disable-features=Translate",
    "--check-for-update-interval=31536000",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--ozone-platform=wayland",
]


def test_kiosk_starts_chromium_on_a_fresh_profile(kiosk_home: Path) -> None:
    assert kiosk(kiosk_home, 18080, "check", "led-bar").returncode == 0
    profile = kiosk_home / "state/screen-led-bar/chromium"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default/Preferences").write_text('{"profile": {"exited_cleanly": false}}')
    result = kiosk(
        kiosk_home,
        18080,
        "browser",
        "led-bar",
        VILLAGECAST_KIOSK_FLAGS="--force-device-scale-factor=1",
    )
    assert result.returncode == 0, result.stderr
    args = (kiosk_home / "chromium-args").read_text().splitlines()
    assert set(CHROMIUM_FLAGS) <= set(args)
    assert f"--user-data-dir={profile}" in args
    assert args[-2:] == ["--force-device-scale-factor=1", "http://127.0.0.1:18080/screen/led-bar"]
    assert not (profile / "Default/Preferences").exists()  # nothing left to restore
