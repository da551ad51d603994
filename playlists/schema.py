"""The SQLite schema as numbered migrations; `PRAGMA user_version` records how far a store is."""

from __future__ import annotations

# Tables whose changes alter what plays; a trigger bumps meta.plan_revision so the
# player re-arms its jobs within a poll interval of any edit.
PLAN_TABLES = ("playlists", "playlist_items", "schedules", "announcements")


def _revision_triggers() -> str:
    statements = []
    for table in PLAN_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_{event.lower()}_revision AFTER {event} ON {table} "
                "BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                "WHERE key = 'plan_revision'; END;"
            )
    return "\n".join(statements)


MIGRATIONS: tuple[str, ...] = (
    # 1: the foundation
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('plan_revision', '0');

    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'operator')),
        must_change_password INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );

    CREATE TABLE media (
        sha256 TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('audio', 'image')),
        path TEXT NOT NULL,
        duration REAL,
        bytes INTEGER NOT NULL,
        engine TEXT,
        voice TEXT,
        created_at TEXT NOT NULL
    );

    CREATE TABLE tts_cache (
        key TEXT PRIMARY KEY,
        engine TEXT NOT NULL,
        voice TEXT NOT NULL,
        media_sha256 TEXT NOT NULL REFERENCES media (sha256),
        created_at TEXT NOT NULL
    );

    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        media_sha256 TEXT NOT NULL REFERENCES media (sha256),
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE playlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE playlist_items (
        id INTEGER PRIMARY KEY,
        playlist_id INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('announcement', 'audio', 'image', 'pause')),
        announcement_id INTEGER REFERENCES announcements (id),
        media_sha256 TEXT REFERENCES media (sha256),
        duration REAL NOT NULL,
        repeat INTEGER NOT NULL DEFAULT 1 CHECK (repeat >= 1),
        slide_title TEXT NOT NULL DEFAULT '',
        slide_body TEXT NOT NULL DEFAULT '',
        UNIQUE (playlist_id, position)
    );

    CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        playlist_id INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        times TEXT NOT NULL,
        weekdays TEXT NOT NULL,
        priority TEXT NOT NULL
            CHECK (priority IN ('emergency', 'manual', 'scheduled', 'idle')),
        on_interrupt TEXT NOT NULL DEFAULT 'resume'
            CHECK (on_interrupt IN ('resume', 'restart', 'skip')),
        wait_seconds REAL NOT NULL DEFAULT 300 CHECK (wait_seconds >= 0),
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        CHECK (end_date >= start_date)
    );

    CREATE TABLE as_run (
        id INTEGER PRIMARY KEY,
        occurrence TEXT UNIQUE,
        schedule_id INTEGER,
        playlist_id INTEGER,
        playlist_name TEXT NOT NULL,
        priority TEXT NOT NULL,
        scheduled_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (
            status IN ('playing', 'played', 'interrupted', 'skipped', 'missed', 'failed')
        ),
        reason TEXT NOT NULL DEFAULT '',
        requested_by TEXT,
        item INTEGER,
        item_started_at TEXT
    );
    CREATE INDEX as_run_scheduled_at ON as_run (scheduled_at);

    CREATE TABLE commands (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('play', 'stop', 'skip')),
        payload TEXT NOT NULL DEFAULT '{}',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        taken_at TEXT,
        result TEXT
    );
    CREATE INDEX commands_pending ON commands (id) WHERE taken_at IS NULL;

    CREATE TABLE screen_state (
        screen TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE slide_images (
        key TEXT PRIMARY KEY,
        screen TEXT NOT NULL,
        image_sha256 TEXT NOT NULL REFERENCES media (sha256),
        scroll_sha256 TEXT REFERENCES media (sha256),
        font_px INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        process TEXT NOT NULL,
        level TEXT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL
    );

    CREATE TABLE player_status (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """
    + _revision_triggers(),
    # 2: review before broadcast, per-user emergency right, audit log, API tokens.
    # Content that already aired before review existed stays approved.
    """
    ALTER TABLE announcements ADD COLUMN review TEXT NOT NULL DEFAULT 'approved'
        CHECK (review IN ('draft', 'pending', 'approved', 'rejected'));
    ALTER TABLE announcements ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';
    ALTER TABLE announcements ADD COLUMN reviewed_by TEXT;
    ALTER TABLE announcements ADD COLUMN reviewed_at TEXT;
    ALTER TABLE announcements ADD COLUMN changed_by TEXT;

    ALTER TABLE playlists ADD COLUMN review TEXT NOT NULL DEFAULT 'approved'
        CHECK (review IN ('draft', 'pending', 'approved', 'rejected'));
    ALTER TABLE playlists ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';
    ALTER TABLE playlists ADD COLUMN reviewed_by TEXT;
    ALTER TABLE playlists ADD COLUMN reviewed_at TEXT;
    ALTER TABLE playlists ADD COLUMN changed_by TEXT;

    ALTER TABLE users ADD COLUMN may_emergency INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET may_emergency = 1 WHERE role IN ('admin', 'operator');

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        subject_id INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);

    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    """,
    # 3: town and villages. On a town: which playlists are shared, the villages with
    # their device tokens and last heartbeat, and the as-run rows they sent. On a
    # village: where a playlist came from, and which as-run rows the town has.
    """
    ALTER TABLE playlists ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE playlists ADD COLUMN origin TEXT;
    ALTER TABLE playlists ADD COLUMN origin_version TEXT;
    CREATE UNIQUE INDEX playlists_origin ON playlists (origin) WHERE origin IS NOT NULL;

    CREATE TABLE villages (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_seen_at TEXT,
        heartbeat TEXT NOT NULL DEFAULT '{}'
    );

    CREATE TABLE village_asrun (
        id INTEGER PRIMARY KEY,
        village_id INTEGER NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
        remote_id INTEGER NOT NULL,
        occurrence TEXT,
        playlist_name TEXT NOT NULL,
        priority TEXT NOT NULL,
        scheduled_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        requested_by TEXT,
        received_at TEXT NOT NULL,
        UNIQUE (village_id, remote_id)
    );
    CREATE INDEX village_asrun_scheduled_at ON village_asrun (scheduled_at);

    CREATE TABLE asrun_sent (
        as_run_id INTEGER PRIMARY KEY REFERENCES as_run (id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        acked_at TEXT NOT NULL
    );
    """,
    # 4: a session version per user, carried in the session cookie and bumped on log-out,
    # password change, disable/enable and role change, so copied cookies stop working.
    # A disabled user's API tokens are deleted when they are disabled (playlists/access/users.py);
    # tokens kept by users disabled before this migration go too.
    """
    ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 1;
    DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE disabled = 1);

    -- Failed log-ins count on one row per address and name per window (playlists/record/audit.py).
    ALTER TABLE audit ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE audit ADD COLUMN source TEXT;
    CREATE INDEX audit_failed_logins ON audit (source, username, at)
        WHERE action = 'login_failed';
    """,
    # 5: evidence photos and videos (活动影像) of the campaign (playlists/evidence/).
    # Files live in data_dir/evidence by the SHA-256 of what is stored; source_sha256
    # is the upload's, so the same photo sent twice is refused.
    """
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
        caption TEXT NOT NULL,
        topic TEXT NOT NULL,
        taken_on TEXT NOT NULL,
        added_by TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        source_sha256 TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        thumbnail TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        duration REAL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX evidence_topic ON evidence (topic, taken_on);

    -- On a village: the items the town has confirmed (playlists/sync/evidence_outbox.py).
    CREATE TABLE evidence_sent (
        evidence_id INTEGER PRIMARY KEY REFERENCES evidence (id) ON DELETE CASCADE,
        acked_at TEXT NOT NULL
    );

    -- On a town: the items its villages sent (playlists/town/village_evidence.py), once
    -- each by the SHA-256 of the file.
    CREATE TABLE village_evidence (
        id INTEGER PRIMARY KEY,
        village_id INTEGER NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
        caption TEXT NOT NULL,
        topic TEXT NOT NULL,
        taken_on TEXT NOT NULL,
        added_by TEXT NOT NULL,
        file TEXT NOT NULL,
        thumbnail TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        duration REAL,
        received_at TEXT NOT NULL,
        review TEXT NOT NULL DEFAULT 'new' CHECK (review IN ('new', 'accepted', 'more')),
        review_comment TEXT NOT NULL DEFAULT '',
        reviewed_by TEXT,
        reviewed_at TEXT,
        UNIQUE (village_id, sha256)
    );

    -- On a village: what the town said of an item (accepted, or asked for more).
    ALTER TABLE evidence ADD COLUMN town_review TEXT NOT NULL DEFAULT '';
    ALTER TABLE evidence ADD COLUMN town_comment TEXT NOT NULL DEFAULT '';
    """,
    # 6: on a town: the emergencies it sent over its broker (playlists/town/emergency_log.py)
    # and each village's latest answer, kept as answers come (a row per village it was sent
    # to, 'no answer' until the village speaks).
    """
    CREATE TABLE town_emergency_sent (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        recording INTEGER NOT NULL DEFAULT 0,
        deadline TEXT NOT NULL,
        everyone INTEGER NOT NULL,
        sent_by TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );
    CREATE INDEX town_emergency_sent_at ON town_emergency_sent (sent_at);

    CREATE TABLE town_emergency_answers (
        emergency_id TEXT NOT NULL REFERENCES town_emergency_sent (id) ON DELETE CASCADE,
        village_id INTEGER NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
        state TEXT NOT NULL DEFAULT 'no answer' CHECK (
            state IN ('no answer', 'received', 'started', 'played', 'failed')
        ),
        reason TEXT NOT NULL DEFAULT '',
        answered_at TEXT,
        PRIMARY KEY (emergency_id, village_id)
    );
    """,
    # 7: archived (归档) announcements and playlists (playlists/content/archive.py): kept
    # with their media and history, hidden from the lists, never played nor scheduled.
    """
    ALTER TABLE announcements ADD COLUMN archived_at TEXT;
    ALTER TABLE playlists ADD COLUMN archived_at TEXT;
    """,
    # 8: on a town: the engine that spoke a text emergency for the villages
    # (playlists/town/emergency_dispatch.py); empty when each village speaks it itself.
    """
    ALTER TABLE town_emergency_sent ADD COLUMN voice TEXT NOT NULL DEFAULT '';
    """,
)
