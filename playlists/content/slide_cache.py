"""Slide images for every configured screen, rendered once and kept content-addressed.

A slide is rendered at each screen's exact pixel size when its content is saved,
and again only if the screen, the theme or the renderer changes: the cache key
holds all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from media.files import atomic_output
from media.fonts import FontFace, find_cjk_font, find_dot_matrix_font
from media.images import fit_image
from media.slides import RenderedSlide, render_slide, slide_png, theme_for
from media.typeset import Typeface
from playlists.content import media_table
from playlists.content.media_table import MediaRecord
from playlists.model import Slide
from playlists.settings import ScreenSettings, Settings
from playlists.store import Store, to_db_time

RENDERER_VERSION = "slides-2"  # whole tokens, kinsoku segments, dot-matrix bars


@dataclasses.dataclass(frozen=True)
class SlideImages:
    """The stored PNGs of one slide on one screen."""

    image_sha256: str
    scroll_sha256: str | None
    font_px: int


class SlideCache:
    """Render slides and fitted images per screen, remembering each in the store."""

    def __init__(self, store: Store, settings: Settings, now: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self._font: FontFace | None = None
        self._dot_font: Typeface | Literal[False] | None = False  # False: not looked for yet
        self._lock = threading.Lock()

    @property
    def font(self) -> FontFace:
        with self._lock:
            if self._font is None:
                self._font = find_cjk_font(self.settings.slides.font or None)
            return self._font

    @property
    def dot_font(self) -> Typeface | None:
        """Return the bitmap face single-colour screens use; None if none is installed."""
        with self._lock:
            if self._dot_font is False:
                found = find_dot_matrix_font()
                self._dot_font = Typeface(*found) if found else None
            return self._dot_font

    def ensure(self, slide: Slide, image_sha256: str | None = None) -> None:
        """Render a slide (or fit an image) for every screen that lacks it."""
        for screen in self.settings.screens:
            self.for_screen(screen, slide, image_sha256)

    def for_screen(
        self, screen: ScreenSettings, slide: Slide, image_sha256: str | None = None
    ) -> SlideImages | None:
        """Return a slide's images on a screen, rendering them if needed; None if blank."""
        if image_sha256 is None and not (slide.title or slide.body):
            return None
        key = self.key(screen, slide, image_sha256)
        row = self.store.query_one(
            "SELECT image_sha256, scroll_sha256, font_px FROM slide_images WHERE key = ?", (key,)
        )
        if row is not None and self._present(row["image_sha256"]):
            return SlideImages(row["image_sha256"], row["scroll_sha256"], row["font_px"])
        if image_sha256 is not None:
            images = self._fit(screen, image_sha256)
        else:
            images = self._render(screen, slide)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO slide_images (key, screen, image_sha256, scroll_sha256, "
                "font_px, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key, screen.name, images.image_sha256, images.scroll_sha256, images.font_px,
                 to_db_time(self.now())),
            )  # fmt: skip
        return images

    def lookup(
        self, screen: ScreenSettings, slide: Slide, image_sha256: str | None = None
    ) -> SlideImages | None:
        """Return a slide's images on a screen if they were rendered; never render."""
        row = self.store.query_one(
            "SELECT image_sha256, scroll_sha256, font_px FROM slide_images WHERE key = ?",
            (self.key(screen, slide, image_sha256),),
        )
        if row is None:
            return None
        return SlideImages(row["image_sha256"], row["scroll_sha256"], row["font_px"])

    def key(self, screen: ScreenSettings, slide: Slide, image_sha256: str | None) -> str:
        parts = [
            RENDERER_VERSION, screen.width, screen.height, screen.theme, screen.min_glyph_px,
            screen.fit, self.settings.slides.font, self._dot_font_key(), slide.title, slide.body,
            image_sha256,
        ]  # fmt: skip
        return hashlib.sha256(json.dumps(parts, ensure_ascii=True).encode()).hexdigest()

    def _dot_font_key(self) -> str:
        """Name the bitmap face in the key: installing one re-renders the bars."""
        dot_font = self.dot_font
        return f"{dot_font.face.path}#{dot_font.face.index}" if dot_font else ""

    def _present(self, sha256: str) -> bool:
        record = media_table.get_media(self.store, sha256)
        return record is not None and (self.settings.media_dir / record.path).is_file()

    def render(self, screen: ScreenSettings, slide: Slide) -> RenderedSlide:
        """Draw a slide for a screen, without storing it."""
        return render_slide(
            slide.title,
            slide.body,
            screen.width,
            screen.height,
            theme=theme_for(screen.width, screen.height, screen.theme),
            font=self.font,
            min_glyph_px=screen.min_glyph_px or None,
            dot_font=self.dot_font,
        )

    def _render(self, screen: ScreenSettings, slide: Slide) -> SlideImages:
        rendered = self.render(screen, slide)
        still = self._store_png(slide_png(rendered.image))
        scroll = self._store_png(slide_png(rendered.scroll)) if rendered.scroll else None
        return SlideImages(still.sha256, scroll.sha256 if scroll else None, rendered.font_px)

    def _fit(self, screen: ScreenSettings, image_sha256: str) -> SlideImages:
        record = media_table.get_media(self.store, image_sha256)
        if record is None:
            raise LookupError(f"no stored image {image_sha256}")
        mode: Literal["letterbox", "crop"] = "crop" if screen.fit == "crop" else "letterbox"
        fitted = fit_image(self.settings.media_dir / record.path, screen.width, screen.height, mode)
        return SlideImages(self._store_png(slide_png(fitted)).sha256, None, 0)

    def _store_png(self, data: bytes) -> MediaRecord:
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{sha[:2]}/{sha}.png"
        target = self.settings.media_dir / relative
        if not target.is_file():
            _write_atomic(target, data)
        record = MediaRecord(sha, "image", relative, None, len(data))
        media_table.add_media(self.store, record, self.now())
        return record


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, ".tmp.png") as tmp:
        tmp.write_bytes(data)
