"""The `villagecast` command line.

Content commands (init, import, say) and the player run in this process; the
panel is the `web` package's own process (`python -m web`), which `panel` execs
and `up` starts beside the player, so `scheduler` never imports `web`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from media.errors import MediaError
from playlists.access.users import ROLES
from playlists.errors import ConfigError, VillagecastError
from playlists.settings import Settings, load_settings
from playlists.store import keep_files_private
from scheduler import evidence_commands, town_commands, voice_commands

# The modules of the commands are imported when a command runs (`run`): most pull in
# speech engines, Pillow or APScheduler that `--help` and `plan` do not need.

log = logging.getLogger("villagecast")


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2023-03-28") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="villagecast", description="Scheduled village loudspeaker and LED-screen broadcasts."
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="config.yaml to use (default: $VILLAGECAST_CONFIG, "
        "./config.yaml, else the embedded defaults)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init", help="create the data folder, the first admin and the sample campaign")
    sub.add_parser("up", help="run the panel and the player together (Ctrl-C stops both)")
    sub.add_parser("player", help="run the player daemon")
    sub.add_parser("panel", help="run the control panel")
    for name, text in (
        ("plan", "list the planned broadcasts"),
        ("simulate", "run the player on a virtual clock and print its as-run log"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--from", dest="first", type=parse_date, help="first day (station time)")
        cmd.add_argument("--to", dest="last", type=parse_date, help="last day, inclusive")
        cmd.add_argument("--json", action="store_true", help="print JSON")
    user = sub.add_parser("user", help="manage panel users").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    cmd = user.add_parser("add", help="add a user; prints a one-time password")
    cmd.add_argument("name")
    cmd.add_argument(
        "role",
        nargs="?",
        choices=ROLES,
        metavar="ROLE",
        help="admin, reviewer or operator (default)",
    )
    cmd.add_argument("--role", dest="role_option", choices=ROLES, help=argparse.SUPPRESS)  # older
    cmd.add_argument(
        "--emergency",
        action=argparse.BooleanOptionalAction,
        help="may send emergency broadcasts (default: admins only)",
    )
    cmd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead",
    )
    cmd = user.add_parser("passwd", help="give a user a new one-time password")
    cmd.add_argument("name")
    cmd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead",
    )
    cmd = user.add_parser("set", help="change a user's role, emergency right or log-in")
    cmd.add_argument("name")
    cmd.add_argument("--role", choices=ROLES)
    cmd.add_argument(
        "--emergency", action=argparse.BooleanOptionalAction, help="may send emergency broadcasts"
    )
    access = cmd.add_mutually_exclusive_group()
    access.add_argument(
        "--disable",
        dest="disabled",
        action="store_const",
        const=True,
        help="may no longer log in (kept, so the audit log still names them)",
    )
    access.add_argument(
        "--enable", dest="disabled", action="store_const", const=False, help="may log in again"
    )
    user.add_parser("list", help="list the users")
    token = sub.add_parser("token", help="manage API tokens for scripts").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    cmd = token.add_parser("add", help="make a token for USER; prints it once")
    cmd.add_argument("user")
    cmd.add_argument("name", help="where the token is used, e.g. town-report")
    token.add_parser("list", help="list the tokens (never their secrets)")
    token.add_parser("revoke", help="revoke a token by its id").add_argument("id", type=int)
    cmd = sub.add_parser("export", help="write a playlist with its media as a bundle (.zip)")
    cmd.add_argument("playlist", help="the playlist's name or id")
    cmd.add_argument("--out", type=Path, required=True, help="the bundle file to write")
    cmd.add_argument("--sign", type=Path, metavar="KEYFILE", help="sign it with this .key file")
    keys = sub.add_parser("keys", help="signing keys for bundles").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION"
    )
    cmd = keys.add_parser("generate", help="make a key pair: NAME.key (secret) and NAME.pub")
    cmd.add_argument("--out", type=Path, required=True, help="folder to write the keys into")
    cmd.add_argument("--name", default="town", help="the key's name (default: town)")
    sub.add_parser("prune", help="delete cached media nothing uses, older than storage.cache_days")
    cmd = sub.add_parser(
        "check", help="check config, store, disk, clock, player, audio, screens, fonts"
    )
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd = sub.add_parser(
        "import", help="import a playlist bundle (.zip) or playlist@1 YAML file, approved to air"
    )
    cmd.add_argument("file", type=Path)
    cmd.add_argument(
        "--draft", action="store_true", help="import it as a draft that a reviewer approves"
    )
    cmd = sub.add_parser(
        "render",
        help="write a text's speech clip, a slide per screen and layout.json into a folder",
    )
    cmd.add_argument("text")
    cmd.add_argument("--title", default="", help="slide title (default: none)")
    cmd.add_argument("--out", type=Path, required=True, help="folder to write into")
    cmd.add_argument(
        "--as-aired",
        action="store_true",
        help="speech.wav as the loudspeaker plays it: lead-in tone and chime first",
    )
    cmd = sub.add_parser("say", help="speak a text on the loudspeaker now (manual priority)")
    cmd.add_argument(
        "--wait",
        type=float,
        default=5.0,
        help="seconds to wait for the player to take it (default 5)",
    )
    cmd.add_argument("text")
    voice_commands.add_parser(sub)
    town_commands.add_parsers(sub)
    evidence_commands.add_parser(sub)
    sub.add_parser("sync", help="sync with the town now: shared playlists, heartbeat, as-run")
    return parser


def config_path(arg: Path | None) -> Path | None:
    """Pick the config file: --config, then $VILLAGECAST_CONFIG, then ./config.yaml."""
    if arg is not None:
        return arg
    env = os.environ.get("VILLAGECAST_CONFIG")
    if env:
        return Path(env)
    default = Path("config.yaml")
    return default if default.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keep_files_private()  # also for the processes `up` starts
    # Reports (plan, simulate) print their own output; the daemons log what they do.
    quiet = args.command in ("plan", "simulate", "check")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    path = config_path(args.config)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        print(f"villagecast: {exc}", file=sys.stderr)
        return 2
    try:
        return run(args, settings, path)
    except (VillagecastError, MediaError) as exc:
        print(f"villagecast: {exc}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as exc:  # a full or read-only disk under a running command
        print(f"villagecast: database error: {exc}; check the data folder's disk", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run(args: argparse.Namespace, settings: Settings, path: Path | None) -> int:
    from scheduler import commands

    name = args.command
    if name == "user":
        from scheduler import user_commands

        return user_commands.run(settings, args)
    if name in ("export", "keys", "import"):
        return run_bundle_command(args, settings)
    if name == "revoice":
        return voice_commands.run(settings, args)
    if name in town_commands.COMMANDS:
        return town_commands.run(settings, args)
    if name == "sync":
        from scheduler import sync_commands

        return sync_commands.sync_now(settings)
    if name == "init":
        return commands.init(settings)
    if name == "player":
        return commands.player(settings)
    if name == "panel":
        return commands.panel(path)
    if name == "up":
        return commands.up(path, args.verbose)
    if name in ("plan", "simulate"):
        first = args.first or (settings.campaign.start if name == "simulate" else None)
        last = args.last or (settings.campaign.end if name == "simulate" else None)
        show = commands.plan if name == "plan" else commands.simulate
        return show(settings, first, last, args.json)
    if name == "token":
        return commands.token(settings, args.token_command, args)
    if name == "prune":
        return commands.prune_media(settings)
    if name == "check":
        return commands.check(settings, args.json)
    if name == "render":
        return commands.render(settings, args.text, args.title, args.out, as_aired=args.as_aired)
    if name == "say":
        return commands.say(settings, args.text, args.wait)
    if name == evidence_commands.COMMAND:
        return evidence_commands.run(settings, args)
    raise AssertionError(name)  # argparse allows only the names above


def run_bundle_command(args: argparse.Namespace, settings: Settings) -> int:
    """Export, keys and import: a playlist file or a bundle."""
    from playlists.bundles.bundle import is_bundle
    from scheduler import bundle_commands, commands

    if args.command == "export":
        return bundle_commands.export(settings, args.playlist, args.out, args.sign)
    if args.command == "keys":
        return bundle_commands.keys_generate(args.out, args.name)
    if is_bundle(args.file):
        return bundle_commands.import_bundle_file(settings, args.file, draft=args.draft)
    return commands.import_file(settings, args.file, draft=args.draft)


if __name__ == "__main__":
    sys.exit(main())
