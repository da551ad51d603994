"""`villagecast village add|list|remove` and `share`/`unshare`: a town and its villages.

Whoever runs commands on the station is trusted like an admin; each change is
audited as ``cli:<login name>``. A village's device token is printed once by
`village add`, to be put in that village's config.yaml (``sync.device_token``); it is
also the village's password at the town's broker, made by `broker init`.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import TYPE_CHECKING

from playlists.clock import utc_now
from playlists.settings import Settings
from playlists.store import Store

if TYPE_CHECKING:
    from playlists.town import broker_setup

# The town's modules are imported when a town command runs: every other command
# builds this parser too (tests/scheduler/test_cli_imports.py).

if TYPE_CHECKING:
    from playlists.town.emergency_acks import AckWatcher, VillageAnswer

COMMANDS = ("village", "share", "unshare", "broker", "emergency")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the town's commands to the `villagecast` parser."""
    village = sub.add_parser("village", help="the villages this town serves").add_subparsers(
        dest="village_command", required=True, metavar="ACTION"
    )
    village.add_parser("add", help="add a village; prints its device token once").add_argument(
        "name"
    )
    village.add_parser("list", help="list the villages and when each was last heard from")
    village.add_parser("remove", help="remove a village; its token stops working").add_argument(
        "name"
    )
    for name, text in (
        ("share", "share an approved playlist with the villages"),
        ("unshare", "stop sharing a playlist (villages keep their copy)"),
    ):
        sub.add_parser(name, help=text).add_argument("playlist", help="the playlist's name or id")
    broker = sub.add_parser("broker", help="the town's MQTT broker").add_subparsers(
        dest="broker_command", required=True, metavar="ACTION"
    )
    init = broker.add_parser("init", help="make the town CA, broker certificate and config")
    init.add_argument(
        "--host",
        action="append",
        required=True,
        help="a host name or address villages reach the broker at (repeatable)",
    )
    init.add_argument("--town", default="town", help="the town's name in the CA certificate")
    add_emergency_parser(sub)


def add_emergency_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `villagecast emergency`: the town speaks on every village's loudspeakers now."""
    cmd = sub.add_parser(
        "emergency", help="on a town: play an emergency in the villages now, over the broker"
    )
    cmd.add_argument("text")
    cmd.add_argument("--title", default="", help="the title on the village screens")
    cmd.add_argument(
        "--village",
        action="append",
        default=[],
        help="a village to reach (repeatable; default all)",
    )
    cmd.add_argument("--repeat", type=int, default=1, help="times it is spoken (1 to 3)")
    cmd.add_argument(
        "--recording",
        type=Path,
        help="an audio file the villages play instead of speaking the text (which they show)",
    )
    cmd.add_argument(
        "--minutes", type=float, default=30.0, help="after this, no village plays it (default 30)"
    )
    cmd.add_argument(
        "--watch",
        type=float,
        default=15.0,
        help="seconds to show the villages' answers (default 15)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    from playlists.town import broker_setup, villages

    now = utc_now()
    files = broker_setup.BrokerFiles.in_data_dir(settings.data_dir)
    if args.command == "broker":
        return init_broker(settings, files, args)
    store = Store.open(settings.db_path)
    actor = f"cli:{getpass.getuser()}"
    if args.command == "emergency":
        return send_emergency(settings, store, args, actor)
    if args.command in ("share", "unshare"):
        # Bundles pull in speech engines and Pillow: imported only to share.
        from playlists.town import sharing
        from scheduler.bundle_commands import find_playlist

        playlist_id = find_playlist(store, args.playlist)
        if args.command == "share":
            from playlists.town.emergency_send import ask_villages_to_poll

            sharing.share(store, settings, playlist_id, actor, now)
            when = "now" if ask_villages_to_poll(settings) else "at their next sync"
            print(f"shared {args.playlist!r} with the villages ({when})")
        else:
            sharing.unshare(store, settings, playlist_id, actor, now)
            print(f"stopped sharing {args.playlist!r}; villages keep the copy they have")
        return 0
    if args.village_command == "add":
        token = villages.add_village(store, args.name, actor, now)
        user = broker_setup.grant_village(files, token)
        print(f"added village {args.name!r}")
        print(f"device token: {token}")
        print("it is shown only this once: put it in the village's config.yaml, sync.device_token")
        print(f"broker user: {user} (the device token is its password)")
        return 0
    if args.village_command == "remove":
        token_hash = broker_setup.village_token_hash(store, args.name)
        villages.remove_village(store, args.name, actor, now)
        if token_hash is not None:
            broker_setup.revoke_village(files, token_hash)
        print(f"removed village {args.name!r}; its device token no longer works")
        return 0
    return list_villages(store)


def list_villages(store: Store) -> int:
    """Print every village with when it was last heard from."""
    from playlists.town import villages

    print(f"{'village':<24} {'last heard from (UTC)':<22} version")
    for village in villages.list_villages(store):
        seen = village.last_seen_at
        when = seen.strftime("%Y-%m-%d %H:%M") if seen else "never"
        version = village.heartbeat.get("version") or ""
        print(f"{village.name:<24} {when:<22} {version}")
    return 0


def init_broker(
    settings: Settings, files: broker_setup.BrokerFiles, args: argparse.Namespace
) -> int:
    """Make the town's broker files and say what to copy to each village."""
    from playlists.town import broker_setup

    town = settings.town
    broker_setup.init_broker(
        files, args.town, args.host, town.broker_port, town.broker_bind, utc_now()
    )
    print(f"wrote the town CA and the broker's config in {files.folder}")
    print(f"start the broker: mosquitto -c {files.config}")
    print(f"copy {files.ca_cert} to every village: the villages trust the broker through it")
    return 0


def send_emergency(settings: Settings, store: Store, args: argparse.Namespace, actor: str) -> int:
    """Send a town emergency and print each village's answer as it comes, then the table."""
    import datetime as dt
    import time

    from playlists.content.ingest import Ingest
    from playlists.errors import BrokerError
    from playlists.sync.emergency_wire import new_emergency
    from playlists.town import emergency_acks, emergency_dispatch

    now = utc_now()
    lifetime = dt.timedelta(minutes=args.minutes)
    audio = b""
    if args.recording is not None:
        audio = emergency_dispatch.compact_recording(args.recording, settings.data_dir / "tmp")
    message = new_emergency(args.title, args.text, args.repeat, lifetime, now, audio)
    message, voice = emergency_dispatch.spoken_by_town(Ingest(store, settings), message)
    if voice:
        print(f"spoken at the town by {voice}; the villages play that speech", flush=True)

    def show(answer: emergency_acks.VillageAnswer) -> None:
        print(f"  {answer.village}: {answer.state} {answer.reason}".rstrip(), flush=True)

    watcher: emergency_acks.AckWatcher | None = None
    try:
        watcher = emergency_acks.AckWatcher(settings, store, show)
        watcher.expect(message.id)
        watcher.start()
    except BrokerError as exc:
        watcher = None
        print(f"the town's broker is down ({exc}): the villages' sync carries it", flush=True)
    try:
        reached = ", ".join(args.village) or "all villages"
        print(f"sending emergency {message.id} to {reached}; answers:", flush=True)
        emergency_dispatch.dispatch(settings, store, message, args.village, actor, now, voice)
        time.sleep(max(0.0, args.watch))
    finally:
        if watcher is not None:
            watcher.stop()
    table = with_sync_answers(settings, store, message.id, watcher)
    print(f"{'village':<24} {'state':<12} reason")
    for row in table:
        print(f"{row.village:<24} {row.state:<12} {row.reason}")
    unanswered = [row for row in table if row.state in (emergency_acks.NO_ANSWER, "failed")]
    return 1 if unanswered else 0


def with_sync_answers(
    settings: Settings, store: Store, ident: str, watcher: AckWatcher | None
) -> list[VillageAnswer]:
    """Return every village's latest answer, from the broker and from the villages' sync."""
    from playlists.sync.emergency_wire import AckState, outranks
    from playlists.town import emergency_relay
    from playlists.town.emergency_acks import NO_ANSWER, VillageAnswer, village_names

    names = village_names(store)
    heard = {row.village: row for row in watcher.table()} if watcher is not None else {}
    for user, (state, reason) in emergency_relay.answers_for(settings.data_dir, ident).items():
        name = names.get(user)
        before = heard.get(name) if name is not None else None
        if name is None or (
            before is not None
            and before.state != NO_ANSWER
            and not outranks(state, AckState(before.state))
        ):
            continue
        heard[name] = VillageAnswer(name, state.value, reason)
    return [heard.get(name, VillageAnswer(name, NO_ANSWER)) for name in sorted(names.values())]
