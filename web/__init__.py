"""The villagecast control panel: a Flask app served by waitress in one process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from playlists.access import users
from playlists.content.ingest import Ingest
from playlists.settings import Settings
from playlists.store import Store
from web import (
    announcement_views,
    api_content_views,
    api_fields,
    api_views,
    archive_views,
    asrun_views,
    asrun_words,
    audit_views,
    auth,
    auth_views,
    bundle_views,
    check_words,
    command_views,
    csrf,
    dashboard_views,
    emergency_views,
    errors,
    evidence_views,
    fleet_evidence_views,
    fleet_views,
    formatting,
    i18n,
    media_views,
    plan_views,
    playlist_views,
    review_views,
    schedule_views,
    screen_views,
    screens_preview_views,
    security,
    system_views,
    token_views,
    town_emergency_api,
    town_emergency_views,
    town_evidence_views,
    town_views,
    uploads,
    user_views,
)
from web.state import EXTENSION, PanelState


def create_app(
    settings: Settings,
    store: Store | None = None,
    ingest: Ingest | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    """Build the panel for one station; the settings object is passed in, never global."""
    app = Flask(__name__)
    app.json = api_fields.BoundedJSONProvider(app)
    app.url_map.converters["int"] = api_fields.IdConverter  # before any route is added
    app.config.from_mapping(
        SECRET_KEY=security.load_secret_key(settings.data_dir),
        SESSION_COOKIE_NAME="villagecast_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Not Secure-only: the panel is reached over plain HTTP on the village LAN.
        # Counted from the log-in (web/auth.py), not from the last answer.
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        # Re-sign the cookie only when the session changes, not on every answer.
        SESSION_REFRESH_EACH_REQUEST=False,
        # The largest recording upload; web/uploads.py keeps every other body small.
        MAX_CONTENT_LENGTH=uploads.recording_limit(settings),
    )
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # readable Chinese in JSON

    if store is None:
        store = Store.open(settings.db_path)
    if ingest is None:
        ingest = Ingest(store, settings)
    app.extensions[EXTENSION] = PanelState(settings=settings, store=store, ingest=ingest)

    users.dummy_hash()  # made now, so the first unknown name is not slower than the rest
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app, settings.panel, settings.station.timezone)
    auth.init_app(app)
    uploads.init_app(app)  # before CSRF, which reads the body
    csrf.init_app(app)
    formatting.init_app(app)
    asrun_words.init_app(app)
    check_words.init_app(app)
    app.jinja_env.globals["station_name"] = settings.station.name

    for feature in (
        auth_views,
        dashboard_views,
        emergency_views,
        announcement_views,
        media_views,
        playlist_views,
        archive_views,
        bundle_views,
        schedule_views,
        review_views,
        plan_views,
        asrun_views,
        evidence_views,
        command_views,
        system_views,
        api_views,
        api_content_views,
        token_views,
        screen_views,
        screens_preview_views,
        user_views,
        audit_views,
        town_views,
        town_evidence_views,
        fleet_views,
        fleet_evidence_views,
        town_emergency_views,
        town_emergency_api,
    ):
        app.register_blueprint(feature.bp)
    return app
