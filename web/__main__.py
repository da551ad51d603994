"""Run the panel: ``python -m web --config config.yaml``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path
from types import FrameType

from playlists.clock import utc_now
from playlists.errors import ConfigError, StoreVersionError, VillagecastError
from playlists.record import events
from playlists.settings import Settings, load_settings
from playlists.store import Store, keep_files_private
from playlists.town.answer_recorder import AnswerRecorder, broker_ready
from web import create_app
from web.serving import addresses, bind, settle_heap
from web.uploads import serving_limits

DEFAULT_CONFIG = Path("config.yaml")


def config_path(argument: str | None) -> Path | None:
    """Choose the config file: --config, then $VILLAGECAST_CONFIG, then ./config.yaml."""
    if argument:
        return Path(argument)
    if os.environ.get("VILLAGECAST_CONFIG"):
        return Path(os.environ["VILLAGECAST_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _stop(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (systemd stop) ends the serve loop the same way Ctrl-C does.
    raise KeyboardInterrupt


def start_answer_recorder(settings: Settings, store: Store) -> AnswerRecorder | None:
    """On a town with a broker, keep the villages' answers to its emergencies as they come."""
    if not broker_ready(settings):
        return None
    try:
        recorder = AnswerRecorder(settings, store, utc_now)
    except VillagecastError as exc:
        logging.getLogger("web").error("no answers to town emergencies are kept: %s", exc)
        return None
    recorder.start()
    return recorder


def main(argv: list[str] | None = None) -> int:
    """Serve the panel until stopped; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    parser.add_argument("--config", help="path of config.yaml (default: ./config.yaml)")
    args = parser.parse_args(argv)
    keep_files_private()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings(config_path(args.config))
        store = Store.open(settings.db_path)
        app = create_app(settings, store)
        server = bind(app, settings.panel, serving_limits(app, settings))
    except (ConfigError, StoreVersionError, OSError, sqlite3.Error) as exc:
        # One line an operator can act on, not a traceback.
        print(f"villagecast panel: {exc}", file=sys.stderr)
        return 2
    # Here, not in create_app: every test app would add one more handler.
    handler = events.install(store, "panel")
    recorder = start_answer_recorder(settings, store)
    signal.signal(signal.SIGTERM, _stop)
    settle_heap()
    try:
        for url in addresses(server):  # the bound port: port 0 takes any free one
            logging.getLogger("web").info("panel listening on %s", url)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if recorder is not None:
            recorder.stop()
        logging.getLogger().removeHandler(handler)  # nothing may write to a closed store
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
