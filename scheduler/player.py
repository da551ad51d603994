"""The player: arms the plan on the timeline, follows store changes and panel commands.

`Player` is the same object in the daemon and in the simulator; only its
timeline and sink differ.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from typing import Any

from media.errors import MediaError
from playlists.content import catalog, review
from playlists.content.ingest import Ingest
from playlists.errors import VillagecastError
from playlists.model import (
    AsRunRow,
    InterruptPolicy,
    ItemKind,
    Outcome,
    PlannedBroadcast,
    Priority,
    ScheduleEntry,
    Slide,
)
from playlists.plan import station_plan
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store, from_db_time
from scheduler.arming import ArmedPlan, Changes, Replan, Window
from scheduler.playout import (
    PAST,
    Assembly,
    Broadcast,
    Playout,
    Segment,
    assemble,
    segments_of,
)
from scheduler.screens import ScreenPublisher
from scheduler.sinks import AudioSink
from scheduler.timeline import Timeline

log = logging.getLogger(__name__)

OCCURRENCE_PREFIX = "occurrence:"
REARM_KEY = "player:rearm"
REARM_EVERY = dt.timedelta(hours=1)
COMMAND_TTL = dt.timedelta(seconds=60)  # an older "play now" is stale, not played late
BACKFILL_LIMIT = dt.timedelta(days=14)


class Player:
    def __init__(
        self, settings: Settings, store: Store, timeline: Timeline, sink: AudioSink
    ) -> None:
        self.settings = settings
        self.store = store
        self.timeline = timeline
        self.grace = dt.timedelta(seconds=settings.player.grace_seconds)
        self.horizon = dt.timedelta(hours=settings.player.horizon_hours)
        self.ingest = Ingest(store, settings, now=timeline.now)
        self.assembly = Assembly(gap=settings.broadcast.gap_seconds)
        self.screens = ScreenPublisher(settings, store, timeline, self.ingest.slides)
        self.playout = Playout(
            store, timeline, sink, on_change=self.publish_status, on_air=self.screens.on_air
        )
        self.revision = -1
        self._plan = ArmedPlan()
        self._entries: list[ScheduleEntry] | None = None
        self._quiet = settings.player.quiet
        self._prepared: set[int] = set()  # playlists whose slides are made, this revision
        self._arm_lock = threading.Lock()
        self.last_jump: tuple[dt.datetime, float] | None = None  # (noticed at, seconds)
        self.status_dirty = True

    # -- start-up ----------------------------------------------------------------------

    def start(self) -> None:
        """Recover from the last run, log what was missed while down, and arm the plan."""
        self.assembly = self._assembly()
        now = self.timeline.now()
        last_seen = from_db_time(self.store.status().get("heartbeat"))
        # The player was last known alive at its last heartbeat: that is when the cut came.
        cut_at = min(last_seen or now, now)
        closed = asrun.close_orphans(self.store, "player stopped during the broadcast", cut_at)
        if closed:
            log.warning("closed %d broadcast(s) cut off when the player stopped", len(closed))
        self._log_missed_while_down(now)
        self.arm_all()
        for row in closed:
            self._continue_after_restart(row, cut_at)

    def _assembly(self) -> Assembly:
        """Make (once) the lead-in and chime, so no broadcast waits for them."""
        try:
            openers = self.ingest.openers()
        except (MediaError, OSError) as exc:
            log.error("broadcasts will open without lead-in and chime: %s", exc)
            return Assembly(gap=self.settings.broadcast.gap_seconds)
        clips = tuple(
            (self.ingest.path_of(record), record.duration or 0.0)
            for record in (openers.lead_in, openers.chime)
            if record is not None
        )
        return Assembly(clips, self.settings.broadcast.gap_seconds)

    def _continue_after_restart(self, row: AsRunRow, cut_at: dt.datetime) -> None:
        """Resume or restart a planned broadcast cut by a stop, if its entry says so."""
        entry = next(
            (e for e in catalog.schedule_entries(self.store) if e.id == row.schedule_id), None
        )
        if entry is None or row.occurrence is None or entry.on_interrupt is InterruptPolicy.SKIP:
            return
        _, _, part = row.occurrence.partition("#")
        planned = entry.occurrence(row.scheduled_at, part=int(part or 1))
        broadcast = self._planned_broadcast(planned)
        if broadcast is None:
            return
        offset = 0.0
        if row.item_started_at is not None:
            offset = (cut_at - row.item_started_at).total_seconds()
        policy = entry.on_interrupt
        note = f"{PAST[policy]} after the player stopped"
        self.playout.submit(broadcast.continuation(policy, (row.item or 0, offset), note, cut_at))

    def _log_missed_while_down(self, now: dt.datetime) -> None:
        last_seen = from_db_time(self.store.status().get("heartbeat"))
        if last_seen is None:
            return  # first run: nothing was due to this player before
        since = max(last_seen, now - BACKFILL_LIMIT)
        due = station_plan(self.store, self.settings, since, now - self.grace)
        done = asrun.handled(self.store, [b.key for b in due])
        for broadcast in due:
            if broadcast.key in done:
                continue
            held = self._held_reason(broadcast)
            if held is not None:  # it would not have played anyway
                asrun.claim(self.store, broadcast, Outcome.SKIPPED, now, held)
            else:
                asrun.claim(
                    self.store, broadcast, Outcome.MISSED, now, "the player was not running"
                )

    # -- the plan ----------------------------------------------------------------------

    def arm(self) -> None:
        """Re-arm what changed since the last arm and the new end of the horizon."""
        self._arm(full=False)

    def arm_all(self) -> None:
        """Plan and arm every unhandled broadcast from now - grace to the horizon again."""
        self._arm(full=True)

    def _arm(self, full: bool) -> None:
        # The hourly re-arm runs in the timeline's pool, an edit's in the daemon's loop.
        with self._arm_lock:
            self._arm_now(full)

    def _arm_now(self, full: bool) -> None:
        revision = self.store.plan_revision()
        now = self.timeline.now()
        edited = revision != self.revision
        if edited or full or self._entries is None:
            self._entries = catalog.schedule_entries(self.store)
        self.revision = revision
        window = Window(now - self.grace, now + self.horizon, self.settings.tz, self._quiet)
        replan = self._plan.replan(self._entries, window, full)
        done = asrun.handled(self.store, [b.key for b in replan.planned])
        wanted = {OCCURRENCE_PREFIX + b.key: b for b in replan.planned if b.key not in done}
        # An hourly re-arm with nothing edited only moves the window: no need to list
        # every job the timeline holds.
        moved_only = not (edited or replan.full)
        live = None if moved_only else self.timeline.armed(OCCURRENCE_PREFIX)
        changes = self._plan.changes(replan, wanted, live, window)
        self._apply(changes, now)
        self._plan.record(self._entries, window, changes, live)
        self.timeline.call_at(REARM_KEY, now + REARM_EVERY, self.arm)
        self._after_arm(replan, edited or full)
        log.info(
            "%s: %d armed, %d cancelled, %d kept (%d of %d entries changed); %d up to %s",
            "armed the plan" if replan.full else "re-armed",
            len(changes.arm),
            len(changes.drop),
            changes.kept,
            replan.changed_entries,
            len(self._entries),
            len(self._plan.broadcasts),
            window.end.astimezone(self.settings.tz).strftime("%Y-%m-%d %H:%M"),
        )

    def _apply(self, changes: Changes, now: dt.datetime) -> None:
        """Cancel the dropped broadcasts and arm the new or changed ones on the timeline."""
        for key, dropped in changes.drop.items():
            self.timeline.cancel(key)
            log.debug("cancelled %s", key)
            if dropped is not None and dropped.start < now - self.grace:
                self.on_due(dropped)  # passed while the clock jumped: log it as missed
        for key, broadcast in changes.arm.items():
            self.timeline.call_at(key, broadcast.start, self._due_callback(broadcast))
            log.debug("armed %s (%s)", key, broadcast.playlist_name)

    def _after_arm(self, replan: Replan, edited: bool) -> None:
        """Prepare slides ahead of air and, after an edit, refresh the idle rotation."""
        if edited:  # content may have changed under unchanged entries
            self._prepared.clear()
            self._prepare_slides(list(self._plan.broadcasts.values()))
            self.screens.plan_changed()
            if self.playout.current is None:
                self.screens.on_air(None)  # the idle rotation follows the new plan
        else:
            self._prepare_slides(replan.planned)
        self.status_dirty = True

    def _prepare_slides(self, upcoming: list[PlannedBroadcast]) -> None:
        """Render the slides of the coming broadcasts now, ahead of air time.

        A playlist is prepared once per plan revision: an hourly re-arm finds the same
        playlists, whose slides were made at the last edit.
        """
        for playlist_id in dict.fromkeys(b.playlist_id for b in upcoming if not b.held):
            if playlist_id in self._prepared:
                continue
            self._prepared.add(playlist_id)
            try:
                playlist = catalog.get_playlist(self.store, playlist_id, self.settings.media_dir)
            except VillagecastError:
                continue  # logged as failed when it comes due
            self.screens.prepare(segments_of(playlist, self.assembly))

    def _due_callback(self, broadcast: PlannedBroadcast) -> Any:
        key = OCCURRENCE_PREFIX + broadcast.key

        def due() -> None:
            self._plan.fired(key)
            self.on_due(broadcast)

        return due

    def on_due(self, planned: PlannedBroadcast) -> None:
        """Play a planned broadcast that has come due, or log why it cannot play."""
        now = self.timeline.now()
        late = now - planned.start
        held = self._held_reason(planned)
        if held is not None:
            asrun.claim(self.store, planned, Outcome.SKIPPED, now, held)
            return
        if late > self.grace:
            asrun.claim(self.store, planned, Outcome.MISSED, now, self._late_reason(planned, late))
            return
        broadcast = self._planned_broadcast(planned)
        if broadcast is None:
            return
        # Asked again after loading: an edit since sent the content back to review.
        held = self._held_reason(planned)
        if held is not None:
            asrun.claim(self.store, planned, Outcome.SKIPPED, self.timeline.now(), held)
            return
        self.playout.submit(broadcast)

    def _held_reason(self, planned: PlannedBroadcast) -> str | None:
        """Say why a due broadcast is skipped rather than played, or None.

        Review is asked again now: content may have been changed since the plan was armed.
        """
        if planned.quiet:
            return f"quiet hours {self.settings.player.quiet}"
        try:
            unapproved = review.playlist_unplayable(self.store, planned.playlist_id)
        except VillagecastError:
            return None  # gone: logged as failed when it is loaded
        return None if unapproved is None else f"awaiting review: {unapproved}"

    def _planned_broadcast(self, planned: PlannedBroadcast) -> Broadcast | None:
        """Load a planned broadcast's playlist; log it as failed if that is impossible."""
        try:
            playlist = catalog.get_playlist(
                self.store, planned.playlist_id, self.settings.media_dir
            )
        except VillagecastError as exc:
            asrun.claim(self.store, planned, Outcome.FAILED, self.timeline.now(), str(exc))
            return None
        return Broadcast(
            name=planned.playlist_name,
            priority=planned.priority,
            segments=segments_of(playlist, self.assembly),
            due=planned.start,
            planned=planned,
            playlist_id=planned.playlist_id,
            on_interrupt=planned.on_interrupt,
            wait=dt.timedelta(seconds=planned.wait_seconds),
        )

    def _late_reason(self, planned: PlannedBroadcast, late: dt.timedelta) -> str:
        jump = self.last_jump
        if jump is not None and jump[1] > 0 and jump[0] >= planned.start:
            return f"the clock jumped forward {jump[1]:.0f} s past it"
        return f"{late.total_seconds():.0f} s late: the player was busy or stopped"

    def clock_jumped(self, seconds: float) -> None:
        """Re-arm after the wall clock jumped; slots it skipped are logged as missed."""
        self.last_jump = (self.timeline.now(), seconds)
        log.warning("the wall clock jumped by %+.0f s; re-arming", seconds)
        self.arm_all()

    def check_store(self) -> None:
        """Re-arm when content changed since the last arm."""
        if self.store.plan_revision() != self.revision:
            log.debug("the plan changed; re-arming")
            self.arm()

    # -- commands from the panel -------------------------------------------------------

    def run_commands(self) -> None:
        now = self.timeline.now()
        for command in self.store.take_commands(now):
            created = from_db_time(command["created_at"]) or now
            if now - created > COMMAND_TTL:
                result = "expired: the player was not running when it was given"
            else:
                try:
                    result = self._run_command(command, now)
                except VillagecastError as exc:
                    result = f"error: {exc}"
            self.store.finish_command(command["id"], result)
            log.info("command %s by %s: %s", command["kind"], command["created_by"], result)

    def _run_command(self, command: dict[str, Any], now: dt.datetime) -> str:
        who = command["created_by"]
        if command["kind"] == "stop":
            return "stopped" if self.playout.stop(who) else "nothing was playing"
        if command["kind"] == "skip":
            return "skipped the item" if self.playout.skip(who) else "nothing was playing"
        payload = command["payload"]
        priority = Priority(payload.get("priority", Priority.MANUAL.value))
        quiet = self.settings.player.quiet
        local = now.astimezone(self.settings.tz).time()
        if priority is not Priority.EMERGENCY and quiet is not None and quiet.contains(local):
            return f"refused: quiet hours {quiet}; only emergencies play now"
        broadcast = self._manual_broadcast(payload, priority, who, now)
        # Asked after loading, so what airs is what the reviewer approved.
        unapproved = self._unapproved(payload)
        if unapproved is not None:
            return f"refused: {unapproved}"
        return self.playout.submit(broadcast)

    def _unapproved(self, payload: dict[str, Any]) -> str | None:
        """Say why stored content named by a command may not air; the panel checked too.

        Text typed for an emergency or `villagecast say` names no stored content: the
        panel lets only users with the emergency right send it, the shell only its users.
        """
        if "playlist_id" in payload:
            return review.playlist_unplayable(self.store, int(payload["playlist_id"]))
        if "announcement_id" in payload:
            return review.announcement_unplayable(self.store, int(payload["announcement_id"]))
        return None

    def _manual_broadcast(
        self, payload: dict[str, Any], priority: Priority, who: str, now: dt.datetime
    ) -> Broadcast:
        media_dir = self.settings.media_dir
        if "playlist_id" in payload:
            playlist = catalog.get_playlist(self.store, int(payload["playlist_id"]), media_dir)
            return Broadcast(
                playlist.name,
                priority,
                segments_of(playlist, self.assembly),
                now,
                playlist_id=playlist.id,
                requested_by=who,
            )
        if "announcement_id" in payload:
            announcement = catalog.get_announcement(self.store, int(payload["announcement_id"]))
            sha, title, text = announcement.media_sha256, announcement.title, announcement.text
        else:
            sha, title, text = payload["media_sha256"], payload["title"], payload["text"]
        record = catalog.get_media(self.store, sha)
        if record is None:
            raise VillagecastError(f"no stored audio {sha}")
        segment = Segment(
            ItemKind.ANNOUNCEMENT,
            record.duration or 0.0,
            Slide(title, text),
            media_dir / record.path,
        )
        return Broadcast(title, priority, assemble([segment], self.assembly), now, requested_by=who)

    # -- status for the panel ----------------------------------------------------------

    def publish_status(self) -> None:
        self.status_dirty = True

    def write_status(self, force: bool = False) -> None:
        """Write heartbeat and what is on air; the panel reads them."""
        now = self.timeline.now()
        values: dict[str, Any] = {"heartbeat": now.isoformat(), "pid": os.getpid()}
        if self.status_dirty or force:
            values["now_playing"] = self._now_playing()
            values["next"] = [
                {
                    "start": b.start.astimezone(self.settings.tz).isoformat(),
                    "playlist": b.playlist_name,
                    "priority": b.priority.value,
                }
                for b in self.upcoming(now, limit=5)
            ]
            self.status_dirty = False
        self.store.set_status(values, now)

    def _now_playing(self) -> dict[str, Any] | None:
        with self.playout.lock:
            broadcast = self.playout.current
            if broadcast is None:
                return None
            segment = broadcast.current
            slide = segment.slide if segment else Slide()
            return {
                "as_run_id": broadcast.as_run_id,
                "name": broadcast.name,
                "priority": broadcast.priority.value,
                "item": broadcast.index + 1,
                "items": len(broadcast.segments),
                "slide": {"title": slide.title, "body": slide.body},
            }

    def upcoming(self, now: dt.datetime, limit: int) -> list[PlannedBroadcast]:
        upcoming = station_plan(self.store, self.settings, now, now + self.horizon)
        return [b for b in upcoming if not b.held][:limit]
