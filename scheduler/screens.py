"""What every screen shows: the slide of the item on air, else the campaign's slides.

The player publishes one state per screen through the store; the kiosk page
`/screen/<name>` follows it. A screen is never left black: a blank item (a pause)
keeps the slide before it, and an idle lane shows the idle rotation.
"""

from __future__ import annotations

import logging
from typing import Any

from media.errors import MediaError
from playlists.content import playlist_table, review
from playlists.content.slide_cache import SlideCache
from playlists.errors import VillagecastError
from playlists.model import Playlist, Slide
from playlists.schedule import entry_table
from playlists.settings import ScreenSettings, Settings
from playlists.store import Store
from scheduler.playout import Broadcast, Segment
from scheduler.timeline import Timeline

log = logging.getLogger(__name__)


class ScreenPublisher:
    def __init__(
        self, settings: Settings, store: Store, timeline: Timeline, slides: SlideCache
    ) -> None:
        self.settings = settings
        self.store = store
        self.timeline = timeline
        self.slides = slides
        self._idle: list[tuple[Slide, str | None]] | None = None
        # What this publisher last wrote per screen, when it is the store's only writer.
        self._written: dict[str, dict[str, Any]] | None = None

    def remember_states(self) -> None:
        """Skip writing a screen's state equal to the one this publisher wrote last.

        Only for a store nothing else writes screen states to (the simulation's copy):
        the store compares each state with its row anyway, at three statements a screen.
        """
        self._written = {}

    def on_air(self, broadcast: Broadcast | None) -> None:
        """Publish the current segment's slide, or the idle rotation when nothing plays."""
        segment = broadcast.current if broadcast is not None else None
        if broadcast is None or segment is None:
            self._publish_all("idle", self.idle_slides(), None)
            return
        if not _shows_something(segment):
            return  # a pause keeps the slide before it on the screens
        item, items = broadcast.item_of_items()
        on_air = {
            "name": broadcast.name,
            "priority": broadcast.priority.value,
            "item": item,
            "items": items,
        }
        self._publish_all("broadcast", [(segment.slide, segment.image_sha256)], on_air)

    def plan_changed(self) -> None:
        """Forget the idle rotation; it is rebuilt from the schedule on next use."""
        self._idle = None

    def idle_slides(self) -> list[tuple[Slide, str | None]]:
        """Return the distinct slides of every scheduled playable playlist, in schedule order.

        Only content that may air may show (review.is_playable): a draft, rejected or
        changed playlist stays off the street whatever its schedule says.
        """
        if self._idle is None:
            seen: dict[tuple[Slide, str | None], None] = {}
            for entry in entry_table.schedule_entries(self.store):
                playlist = self._playable(entry.playlist_id) if entry.approved else None
                if playlist is None:
                    continue
                for item in playlist.items:
                    image = item.media_sha256 if item.kind.value == "image" else None
                    if item.slide.title or item.slide.body or image:
                        seen.setdefault((item.slide, image), None)
            self._idle = list(seen)
        return self._idle

    def _playable(self, playlist_id: int) -> Playlist | None:
        """Load a playlist, then ask review: what was loaded is what may air, or None."""
        try:
            playlist = playlist_table.get_playlist(self.store, playlist_id, self.settings.media_dir)
        except VillagecastError:
            return None
        # Asked after loading: an edit in between sent it back to draft, so it is left out.
        return playlist if review.is_playable(self.store, playlist_id) else None

    def prepare(self, segments: list[Segment]) -> None:
        """Render, ahead of air time, whatever slides these segments lack."""
        for segment in segments:
            if _shows_something(segment):
                for screen in self.settings.screens:
                    self._images(screen, segment.slide, segment.image_sha256)

    def _publish_all(
        self, mode: str, slides: list[tuple[Slide, str | None]], on_air: dict[str, Any] | None
    ) -> None:
        now = self.timeline.now()
        states = {}
        for screen in self.settings.screens:  # slides are made before the write lock is taken
            state = {
                "mode": mode,
                "on_air": on_air,
                "slides": [self._entry(screen, slide, image) for slide, image in slides],
            }
            if self._written is not None:
                if self._written.get(screen.name) == state:
                    continue
                self._written[screen.name] = state
            states[screen.name] = state
        if not states:
            return
        # Every screen changes in one commit, and none waits for the disk while the sound
        # starts: a state a power cut takes back is published afresh as the player starts.
        with self.store.transaction(durable=False):
            for name, state in states.items():
                self.store.set_screen_state(name, state, now)

    def _entry(self, screen: ScreenSettings, slide: Slide, image: str | None) -> dict[str, Any]:
        images = self._images(screen, slide, image)
        return {
            "title": slide.title,
            "body": slide.body,
            "image": images.image_sha256 if images else None,
            "scroll": images.scroll_sha256 if images else None,
            "seconds": self.settings.slides.idle_seconds,
        }

    def _images(self, screen: ScreenSettings, slide: Slide, image: str | None) -> Any:
        try:
            return self.slides.for_screen(screen, slide, image)
        except (MediaError, LookupError) as exc:
            # The page shows the text itself when a slide has no picture.
            log.warning("no slide picture for screen %s: %s", screen.name, exc)
            return None


def _shows_something(segment: Segment) -> bool:
    return bool(segment.slide.title or segment.slide.body or segment.image_sha256)
