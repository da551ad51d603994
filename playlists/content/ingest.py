"""Turn content into stored media: speech for texts, normalized audio, checked images.

Everything slow (synthesis, normalization) happens here, when content is saved,
never at air time. Files are content-addressed under the media folder and written
by rename, so a file is either whole or absent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from media.audio import normalize, probe, sha256_file
from media.chime import make_chime, make_lead_in
from media.errors import MediaError
from media.files import fsync_path
from media.images import check_image
from media.textnorm import NORMALIZER_VERSION, speech_text
from media.tts import EngineChain, TtsEngine, build_chain, cache_key
from playlists.access import emergency_right
from playlists.clock import utc_now
from playlists.content import announcement_table, media_table, playlist_table
from playlists.content.media_table import MediaRecord
from playlists.content.playlist_format import ItemSpec, PlaylistSpec
from playlists.content.playlist_table import NewItem
from playlists.content.review import set_reviewer
from playlists.content.slide_cache import SlideCache
from playlists.errors import ContentError
from playlists.model import ItemKind, Review, Slide
from playlists.record import audit
from playlists.schedule import entry_table, limits
from playlists.settings import Settings
from playlists.store import Store

log = logging.getLogger(__name__)


def chain_from_settings(
    settings: Settings, *, leave_out: frozenset[str] = frozenset()
) -> EngineChain:
    """Build the settings' chain without the engines named in leave_out."""
    tts = settings.tts
    return build_chain(
        tts.engines,
        gtts_lang=tts.gtts_lang,
        gtts_timeout=tts.gtts_timeout,
        espeak_voice=tts.espeak_voice,
        espeak_speed=tts.espeak_speed,
        edge_voice=tts.edge_voice,
        edge_timeout=tts.edge_timeout,
        mbrola_voice=tts.mbrola_voice,
        mbrola_pace=tts.mbrola_pace,
        fastspeech2_speed=tts.fastspeech2_speed,
        leave_out=leave_out,
    )


# An item's stored media (None for a pause) and its length in seconds.
Prepared = tuple[MediaRecord | None, float]


@dataclasses.dataclass(frozen=True)
class Openers:
    """The generated clips that open every broadcast; None where config.yaml turns one off."""

    lead_in: MediaRecord | None
    chime: MediaRecord | None


class Ingest:
    """Content operations shared by the panel, the player and the command line."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        chain: EngineChain | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.settings = settings
        self.chain = chain or chain_from_settings(settings)
        self.now = now
        self.media_dir = settings.media_dir
        self.tmp_dir = settings.data_dir / "tmp"
        self.slides = SlideCache(store, settings, now)

    # -- media ---------------------------------------------------------------------

    def path_of(self, record: MediaRecord) -> Path:
        return self.media_dir / record.path

    def speak(self, text: str, chain: EngineChain | None = None) -> MediaRecord:
        """Return the speech clip for a text, from the cache or made by the engine chain.

        chain, when given, speaks instead of the station's (re-voicing with better engines).
        """
        chain = chain or self.chain
        written = text.strip()
        # A text spoken before is found by its written form: the normalizer (wetext, ~40 MB
        # and a noticeable load) is needed only to speak something new.
        as_written = f"{NORMALIZER_VERSION}\nwritten\n{written}"
        hit = self._cached_speech(chain, as_written)
        if hit is not None:
            return hit[1]
        # Dates, times, amounts and phone numbers are spelled out as a listener expects;
        # the slide keeps the text as written.
        spoken = speech_text(written)
        if not spoken:
            raise ContentError("there is no text to speak")
        # The normalizer's version is part of the key: a better one changes what is said.
        versioned = f"{NORMALIZER_VERSION}\n{spoken}"
        hit = self._cached_speech(chain, versioned)
        if hit is None:
            with self._workdir() as work:
                raw = work / "speech"
                engine = chain.synthesize(spoken, raw)
                record = self.ingest_audio(raw, engine=engine.name, voice=engine.voice)
            hit = (engine, record)
            key = cache_key(engine.name, engine.voice, versioned)
            media_table.remember_speech(self.store, key, record, self.now())
            log.info("spoke %d characters with %s", len(spoken), engine.name)
        engine, record = hit
        key = cache_key(engine.name, engine.voice, as_written)
        media_table.remember_speech(self.store, key, record, self.now())
        return record

    def _cached_speech(self, chain: EngineChain, text: str) -> tuple[TtsEngine, MediaRecord] | None:
        """Return the first engine of the chain that spoke text before, and its clip."""
        for engine in chain.engines:
            hit = media_table.cached_speech(self.store, cache_key(engine.name, engine.voice, text))
            if hit is not None and self.path_of(hit).is_file():
                return engine, hit
        return None

    def ingest_audio(
        self, source: Path, engine: str | None = None, voice: str | None = None
    ) -> MediaRecord:
        """Normalize an audio file into the media folder and record it."""
        with self._workdir() as work:
            normalized = work / "normalized.wav"
            info = normalize(
                source,
                normalized,
                target_lufs=self.settings.audio.target_lufs,
                true_peak=self.settings.audio.true_peak,
            )
            sha = sha256_file(normalized)
            relative = f"{sha[:2]}/{sha}.wav"
            record = MediaRecord(
                sha256=sha,
                kind="audio",
                path=relative,
                duration=info.duration,
                bytes=normalized.stat().st_size,
                engine=engine,
                voice=voice,
            )
            self._place(normalized, relative)
        media_table.add_media(self.store, record, self.now())
        return record

    def add_recording(self, source: Path, name: str) -> MediaRecord:
        """Check and store an uploaded recording; nothing is stored if it is refused."""
        limits = self.settings.audio
        size = source.stat().st_size
        if size == 0:
            raise ContentError(f"{name}: the file is empty")
        if size > limits.max_upload_mb * 1_000_000:
            raise ContentError(
                f"{name}: too large ({size / 1e6:.1f} MB); at most {limits.max_upload_mb} MB"
            )
        info = probe(source)  # AudioError when it is not audio ffprobe can read
        if info.duration > limits.max_recording_minutes * 60:
            raise ContentError(
                f"{name}: too long ({info.duration / 60:.0f} min); "
                f"at most {limits.max_recording_minutes} min"
            )
        return self.ingest_audio(source, engine="recording", voice=name[:100])

    def openers(self) -> Openers:
        """Return the lead-in and chime clips, making them the first time they are asked for."""
        broadcast = self.settings.broadcast
        seconds = broadcast.lead_in_seconds
        lead_in = None
        if seconds > 0:
            lead_in = self._generated(
                f"lead-in-{seconds:.2f}", lambda path: make_lead_in(path, seconds), level=False
            )
        chime = self._generated("chime-1", make_chime, level=True) if broadcast.chime else None
        return Openers(lead_in, chime)

    def _generated(self, name: str, make: Callable[[Path], object], level: bool) -> MediaRecord:
        key = f"generated:{name}:{self.settings.audio.target_lufs}"
        sha = self.store.meta(key)
        record = media_table.get_media(self.store, sha) if sha else None
        if record is not None and self.path_of(record).is_file():
            return record
        with self._workdir() as work:
            made = work / f"{name}.wav"
            make(made)
            # The chime sounds as loud as the speech after it; a faint lead-in stays faint.
            record = self.ingest_audio(made) if level else self._ingest_as_is(made)
        self.store.set_meta(key, record.sha256)
        return record

    def _ingest_as_is(self, wav: Path) -> MediaRecord:
        info = probe(wav)
        sha = sha256_file(wav)
        relative = f"{sha[:2]}/{sha}.wav"
        record = MediaRecord(sha, "audio", relative, info.duration, wav.stat().st_size)
        self._place(wav, relative)
        media_table.add_media(self.store, record, self.now())
        return record

    def _place(self, source: Path, relative: str) -> None:
        target = self.media_dir / relative
        if target.is_file():
            return  # content-addressed: the same bytes are already there
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        fsync_path(target.parent)

    def _workdir(self) -> _PathTempDir:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._require_space()
        return _PathTempDir(dir=self.tmp_dir)

    def _require_space(self) -> None:
        """Refuse new media when the card is nearly full, before anything is written."""
        free_mb = shutil.disk_usage(self.settings.data_dir).free / 1e6
        need = self.settings.storage.min_free_mb
        if free_mb < need:
            raise ContentError(
                f"only {free_mb:.0f} MB free on the data disk (at least {need} MB are kept free); "
                "delete old content or use a larger card"
            )

    # -- content -------------------------------------------------------------------

    def render_slides(self, slide: Slide, image_sha256: str | None = None) -> None:
        """Render a slide for every screen now, so air time only looks it up."""
        try:
            self.slides.ensure(slide, image_sha256)
        except MediaError as exc:
            # Speech is what must air; a screen without its picture shows the text instead.
            log.warning("slides for %r were not rendered: %s", slide.title or slide.body[:20], exc)

    def import_playlist(
        self,
        spec: PlaylistSpec,
        base_dir: Path | None,
        created_by: str,
        *,
        review: Review = Review.DRAFT,
        reviewed_by: str | None = None,
        note: str = "",
        may_emergency: bool = False,
    ) -> int:
        """Store a parsed playlist with its media and schedule, all or nothing.

        Its announcements and the playlist take the review state given: a draft from the
        panel, approved when whoever runs the command line on the station imports it.
        reviewed_by names the approver when it is not the importer (a town's signing
        key); note goes into the audit log (where the playlist came from). may_emergency:
        whoever imports holds the emergency right (playlists/access/emergency_right.py).
        """
        emergency_right.check((entry.priority for entry in spec.schedule), may_emergency)
        # Before the slow part (speech, slides); add_schedule asks again as it stores.
        limits.check_station(self.store.conn, [len(e.times) for e in spec.schedule])
        if playlist_table.playlist_id_by_name(self.store, spec.name) is not None:
            raise ContentError(f"a playlist named {spec.name!r} already exists")
        prepared = self.prepare_items(spec, base_dir)
        now = self.now()
        with self.store.transaction():
            items = self.add_items(spec, prepared, created_by, review, now)
            playlist_id = playlist_table.add_playlist(
                self.store,
                spec.name,
                spec.description,
                items,
                now,
                review=review,
                created_by=created_by,
            )
            for entry in spec.schedule:
                entry_table.add_with_content(self.store, playlist_id, entry, now)
            state = review.value
            if reviewed_by is not None and review is Review.APPROVED:
                set_reviewer(self.store, playlist_id, reviewed_by)
                state = f"{state} by {reviewed_by}"
            audit.record(
                self.store,
                created_by,
                "import",
                now,
                subject="playlist",
                subject_id=playlist_id,
                detail=f"{spec.name} ({state})" + (f"; {note}" if note else ""),
            )
        return playlist_id

    def prepare_items(self, spec: PlaylistSpec, base_dir: Path | None) -> list[Prepared]:
        """Make every clip and slide of a parsed playlist, before anything is stored.

        A failure here leaves only unreferenced media files, which prune removes.
        """
        prepared = [
            self._prepare_item(item_number, item, base_dir)
            for item_number, item in enumerate(spec.items, 1)
        ]
        for item, (record, _) in zip(spec.items, prepared, strict=True):
            slide = _slide_of(item)
            if item.kind is ItemKind.IMAGE and record is not None:
                self.render_slides(slide, record.sha256)
            elif slide.title or slide.body:
                self.render_slides(slide)
        return prepared

    def add_items(
        self,
        spec: PlaylistSpec,
        prepared: list[Prepared],
        created_by: str,
        review: Review,
        now: dt.datetime,
    ) -> list[NewItem]:
        """Store a prepared playlist's announcements (in the caller's transaction); return
        its items, ready for playlist_table.add_playlist."""
        items: list[NewItem] = []
        for spec_item, (record, duration) in zip(spec.items, prepared, strict=True):
            slide = _slide_of(spec_item)
            announcement_id = None
            if spec_item.kind is ItemKind.ANNOUNCEMENT and record is not None:
                announcement_id = announcement_table.add_announcement(
                    self.store,
                    slide.title or spec_item.text[:20],
                    spec_item.text,
                    record.sha256,
                    created_by,
                    now,
                    review=review,
                )
            items.append(
                NewItem(
                    kind=spec_item.kind,
                    duration=duration,
                    repeat=spec_item.repeat,
                    slide=slide,
                    announcement_id=announcement_id,
                    media_sha256=record.sha256 if record else None,
                )
            )
        return items

    def _prepare_item(self, number: int, item: ItemSpec, base_dir: Path | None) -> Prepared:
        if item.kind is ItemKind.ANNOUNCEMENT:
            record = self.speak(item.text)
            return record, record.duration or 0.0
        if item.kind is ItemKind.PAUSE:
            return None, item.duration
        source = _inside(base_dir, item.file, number)
        if item.kind is ItemKind.AUDIO:
            record = self.ingest_audio(source)
            return record, record.duration or 0.0
        record = self.ingest_image(source)
        return record, item.duration

    def ingest_image(self, source: Path) -> MediaRecord:
        """Check an image (format, size, pixel count against bombs) and store it."""
        info = check_image(source)  # raises ImageError with what is wrong
        sha = sha256_file(source)
        relative = f"{sha[:2]}/{sha}.{info.format.lower()}"
        with self._workdir() as work:
            copy = work / "image"
            shutil.copyfile(source, copy)
            self._place(copy, relative)
        record = MediaRecord(sha, "image", relative, None, source.stat().st_size)
        media_table.add_media(self.store, record, self.now())
        return record


def _slide_of(item: ItemSpec) -> Slide:
    """Return what the screens show for an item: its slide, else an announcement's text."""
    slide = item.slide or Slide()
    if item.kind is ItemKind.ANNOUNCEMENT and not (slide.title or slide.body):
        return Slide(body=item.text)
    return slide


def _inside(base_dir: Path | None, relative: str, number: int) -> Path:
    """Resolve a media path from a playlist, refusing anything outside its folder."""
    if base_dir is None:
        raise ContentError(
            f"item {number}: {relative!r} is a media file; import it as a bundle (zip) "
            "or from a folder that holds the file"
        )
    root = base_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path.is_symlink():
        raise ContentError(f"item {number}: {relative!r} is outside the playlist's folder")
    if not path.is_file():
        raise ContentError(f"item {number}: media file {relative!r} is missing")
    return path


class _PathTempDir(tempfile.TemporaryDirectory[str]):
    """A TemporaryDirectory whose context value is a Path."""

    def __enter__(self) -> Path:  # type: ignore[override]
        return Path(self.name)
