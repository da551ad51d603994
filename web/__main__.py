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

from playlists.errors import ConfigError, StoreVersionError
from playlists.record import events
from playlists.settings import load_settings
from playlists.store import Store, keep_files_private
from web import create_app
from web.serving import addresses, bind
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
    signal.signal(signal.SIGTERM, _stop)
    try:
        for url in addresses(server):  # the bound port: port 0 takes any free one
            logging.getLogger("web").info("panel listening on %s", url)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        logging.getLogger().removeHandler(handler)  # nothing may write to a closed store
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
