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
from media.tts import SAVE_TIME_ENGINES
from playlists.clock import station_iso, station_time
from playlists.commands import (
    CommandResult,
    PlayAnnouncement,
    PlayPlaylist,
    PlayRequest,
    PlaySpeech,
    ReasonCode,
    Request,
    Skip,
    Stop,
    answer,
    decode_request,
    encode_result,
    english,
)
from playlists.content import announcement_table, media_table, playlist_table, review
from playlists.content.ingest import Ingest, chain_from_settings
from playlists.content.media_table import MediaRecord
from playlists.errors import CommandFormatError, NotFoundError, VillagecastError
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
from playlists.record import asrun, notes
from playlists.record.notes import NoteCode, note
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store, from_db_time
from scheduler.arming import ArmedPlan, Changes, Replan, Window
from scheduler.playout import (
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
        resident = chain_from_settings(settings, leave_out=SAVE_TIME_ENGINES)
        self.ingest = Ingest(store, settings, resident, now=timeline.now)
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
        # Playlists and their review as read once, for a store nothing else changes.
        self._kept: dict[tuple[str, int], Any] | None = None

    def keep_content(self) -> None:
        """Read each playlist and its review state once from now on.

        Only for a store nothing else writes content to (the simulation's copy): the
        daemon reads them at every broadcast, as the panel may change them any time.
        """
        self._kept = {}

    # -- start-up ----------------------------------------------------------------------

    def start(self) -> None:
        """Recover from the last run, log what was missed while down, and arm the plan."""
        self.assembly = self._assembly()
        now = self.timeline.now()
        last_seen = from_db_time(self.store.status().get("heartbeat"))
        # The player was last known alive at its last heartbeat: that is when the cut came.
        cut_at = min(last_seen or now, now)
        cut = notes.encode((note(NoteCode.PLAYER_CUT),))
        closed = asrun.close_orphans(self.store, cut, cut_at)
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
            (e for e in entry_table.schedule_entries(self.store) if e.id == row.schedule_id), None
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
        after = (note(NoteCode.CONTINUED_AFTER_RESTART, policy=policy.value),)
        self.playout.submit(broadcast.continuation(policy, (row.item or 0, offset), after, cut_at))

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
                down = notes.encode((note(NoteCode.PLAYER_DOWN),))
                asrun.claim(self.store, broadcast, Outcome.MISSED, now, down)

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
            self._entries = entry_table.schedule_entries(self.store)
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
                playlist = playlist_table.get_playlist(
                    self.store, playlist_id, self.settings.media_dir
                )
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
        """Say (as the as-run reason) why a due broadcast is skipped rather than played.

        None when it may play. Review is asked again now: content may have been changed
        since the plan was armed.
        """
        quiet = self.settings.player.quiet
        if planned.quiet and quiet is not None:
            start, end = f"{quiet.start:%H:%M}", f"{quiet.end:%H:%M}"
            return notes.encode((note(NoteCode.QUIET_HOURS, start=start, end=end),))
        try:
            unapproved = self._unplayable(planned.playlist_id)
        except VillagecastError:
            return None  # gone: logged as failed when it is loaded
        if unapproved is None:
            return None
        return notes.encode((note(NoteCode.AWAITING_REVIEW, name=planned.playlist_name),))

    def _planned_broadcast(self, planned: PlannedBroadcast) -> Broadcast | None:
        """Load a planned broadcast's playlist; log it as failed if that is impossible."""
        try:
            segments = self._segments(planned.playlist_id)
        except VillagecastError as exc:
            failed = notes.encode((note(NoteCode.LOAD_FAILED, detail=str(exc)),))
            asrun.claim(self.store, planned, Outcome.FAILED, self.timeline.now(), failed)
            return None
        return Broadcast(
            name=planned.playlist_name,
            priority=planned.priority,
            segments=segments,
            due=planned.start,
            planned=planned,
            playlist_id=planned.playlist_id,
            on_interrupt=planned.on_interrupt,
            wait=dt.timedelta(seconds=planned.wait_seconds),
        )

    def _unplayable(self, playlist_id: int) -> str | None:
        """Say why a playlist may not air now (review.playlist_unplayable), None if it may."""
        key = ("review", playlist_id)
        if self._kept is not None and key in self._kept:
            kept: str | None = self._kept[key]
            return kept
        reason = review.playlist_unplayable(self.store, playlist_id)
        if self._kept is not None:
            self._kept[key] = reason
        return reason

    def _segments(self, playlist_id: int) -> list[Segment]:
        """Load a playlist and return what goes on air when it plays (never changed after)."""
        key = ("segments", playlist_id)
        if self._kept is not None and key in self._kept:
            kept: list[Segment] = self._kept[key]
            return kept
        playlist = playlist_table.get_playlist(self.store, playlist_id, self.settings.media_dir)
        segments = segments_of(playlist, self.assembly)
        if self._kept is not None:
            self._kept[key] = segments
        return segments

    def _late_reason(self, planned: PlannedBroadcast, late: dt.timedelta) -> str:
        jump = self.last_jump
        if jump is not None and jump[1] > 0 and jump[0] >= planned.start:
            return notes.encode((note(NoteCode.CLOCK_JUMPED, seconds=round(jump[1])),))
        return notes.encode((note(NoteCode.LATE, seconds=round(late.total_seconds())),))

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
        """Take the panel's commands and write the player's typed answer to each."""
        now = self.timeline.now()
        # One wait for the disk before a command's sound, not two: the take is committed
        # without one, and the as-run row that opens before the sink starts (or else the
        # answer) is a durable commit of the same log, which carries the take with it. A
        # power cut before that loses both: nothing has sounded, and the command is simply
        # pending again, played at restart while it is fresh (COMMAND_TTL).
        for row in self.store.take_commands(now, durable=False):
            result = self._answer(row, now)
            self.store.finish_command(row["id"], encode_result(result))
            log.info("command %s by %s: %s", row["kind"], row["created_by"], english(result))

    def _answer(self, row: dict[str, Any], now: dt.datetime) -> CommandResult:
        try:
            request = decode_request(row["kind"], row["payload"])
        except CommandFormatError as exc:
            return answer(ReasonCode.BAD_COMMAND, detail=str(exc))
        age = now - (from_db_time(row["created_at"]) or now)
        if age > COMMAND_TTL:
            return answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=int(age.total_seconds()))
        try:
            return self._run_command(request, row["created_by"], now)
        except NotFoundError:
            assert isinstance(request, PlayPlaylist | PlayAnnouncement)  # only they name ids
            return answer(ReasonCode.NOT_FOUND, subject=_subject(request), id=_content_id(request))
        except VillagecastError as exc:
            return answer(ReasonCode.PLAYER_ERROR, detail=str(exc))

    def _run_command(self, request: Request, who: str, now: dt.datetime) -> CommandResult:
        if isinstance(request, Stop):
            stopped = self.playout.stop(who)
            return answer(ReasonCode.STOPPED if stopped else ReasonCode.NOTHING_PLAYING)
        if isinstance(request, Skip):
            item = self.playout.skip(who)
            if item is None:
                return answer(ReasonCode.NOTHING_PLAYING)
            return answer(ReasonCode.ITEM_SKIPPED, item=item)
        refused = self._quiet_now(request.priority, now)
        if refused is not None:
            return refused
        return self._play(request, who, now)

    def _quiet_now(self, priority: Priority, now: dt.datetime) -> CommandResult | None:
        """Refuse all but an emergency during quiet hours; None when it may play."""
        quiet = self.settings.player.quiet
        if priority is Priority.EMERGENCY or quiet is None:
            return None
        if not quiet.contains(station_time(now, self.settings.tz)):
            return None
        return answer(
            ReasonCode.QUIET_HOURS, start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}"
        )

    def _play(self, request: PlayRequest, who: str, now: dt.datetime) -> CommandResult:
        if isinstance(request, PlayPlaylist):
            playlist = playlist_table.get_playlist(
                self.store, request.playlist_id, self.settings.media_dir
            )
            segments = segments_of(playlist, self.assembly)
            broadcast = Broadcast(
                playlist.name, request.priority, segments, now, playlist_id=playlist.id
            )
        else:
            speech = request if isinstance(request, PlaySpeech) else self._speech_of(request)
            record = media_table.get_media(self.store, speech.media_sha256)
            if record is None:
                return answer(ReasonCode.AUDIO_MISSING, sha256=speech.media_sha256)
            broadcast = self._speech_broadcast(speech, record, now)
        broadcast.requested_by = who
        # Asked after loading, so what airs is what the reviewer approved.
        if not isinstance(request, PlaySpeech) and self._unapproved(request):
            subject = _subject(request)
            return answer(ReasonCode.NOT_APPROVED, subject=subject, name=broadcast.name)
        return self.playout.submit(broadcast)

    def _unapproved(self, request: PlayPlaylist | PlayAnnouncement) -> bool:
        """Tell whether stored content a command names may not air; the panel checked too.

        Text typed for an emergency or `villagecast say` names no stored content: the
        panel lets only users with the emergency right send it, the shell only its users.
        """
        if isinstance(request, PlayPlaylist):
            return review.playlist_unplayable(self.store, request.playlist_id) is not None
        return review.announcement_unplayable(self.store, request.announcement_id) is not None

    def _speech_of(self, request: PlayAnnouncement) -> PlaySpeech:
        announcement = announcement_table.get_announcement(self.store, request.announcement_id)
        return PlaySpeech(
            announcement.media_sha256, announcement.title, announcement.text, request.priority
        )

    def _speech_broadcast(
        self, speech: PlaySpeech, record: MediaRecord, now: dt.datetime
    ) -> Broadcast:
        segment = Segment(
            ItemKind.ANNOUNCEMENT,
            record.duration or 0.0,
            Slide(speech.title, speech.text),
            self.settings.media_dir / record.path,
            item=1,
        )
        core = assemble([segment], self.assembly)
        broadcast = Broadcast(speech.title, speech.priority, core, now)
        if speech.priority is Priority.EMERGENCY:
            broadcast.label = (notes.emergency(speech.text, speech.repeat, speech.gap),)
        return broadcast

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
                    "start": station_iso(b.start, self.settings.tz),
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
            item, items = broadcast.item_of_items()
            return {
                "as_run_id": broadcast.as_run_id,
                "name": broadcast.name,
                "priority": broadcast.priority.value,
                "item": item,
                "items": items,
                "slide": {"title": slide.title, "body": slide.body},
            }

    def upcoming(self, now: dt.datetime, limit: int) -> list[PlannedBroadcast]:
        upcoming = station_plan(self.store, self.settings, now, now + self.horizon)
        return [b for b in upcoming if not b.held][:limit]


def _subject(request: PlayPlaylist | PlayAnnouncement) -> str:
    return "playlist" if isinstance(request, PlayPlaylist) else "announcement"


def _content_id(request: PlayPlaylist | PlayAnnouncement) -> int:
    return request.playlist_id if isinstance(request, PlayPlaylist) else request.announcement_id
