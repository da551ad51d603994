"""Exceptions raised by the media package.

Every error the package raises on purpose derives from ``MediaError``::

    MediaError                  anything media could not do
    ├── TtsError                one speech engine failed (message: "engine: why")
    │   └── TtsUnavailableError every engine of a chain failed (.failures lists them)
    ├── AudioError              a file is not usable audio (message: what is wrong, what to do)
    ├── FontError               no usable Chinese font (message names the package to install)
    ├── ImageError              a file is not a usable picture (message: what is wrong)
    ├── VideoError              a file is not a usable video (message: what is wrong, what to do)
    ├── PdfError                Chromium is missing or could not print a report to PDF
    └── SlideError              a slide cannot be drawn as asked (bad size or theme name)

Callers at an edge (a form, the JSON API, the player loop) catch ``MediaError``
and show its message as is: messages are written for the operator.
"""

from collections.abc import Sequence


class MediaError(Exception):
    """Base class for every error raised by the media package."""


class TtsError(MediaError):
    """A speech engine could not turn the text into audio."""

    def __init__(self, reason: str, *, engine: str | None = None) -> None:
        self.reason = reason
        self.engine = engine
        super().__init__(f"{engine}: {reason}" if engine else reason)


class TtsUnavailableError(TtsError):
    """Every engine of a chain failed; ``failures`` holds (engine name, reason) pairs."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        listed = "; ".join(f"{name}: {reason}" for name, reason in self.failures)
        super().__init__(f"no speech engine could speak this text: {listed}")


class AudioError(MediaError):
    """A file is not usable audio, or ffmpeg could not process it."""


class FontError(MediaError):
    """No usable Chinese font was found, or a font file cannot be loaded."""


class ImageError(MediaError):
    """A file is not a picture villagecast can show: wrong format, too big or damaged."""


class VideoError(MediaError):
    """A file is not a video villagecast keeps: wrong type, too long or large, or damaged."""


class PdfError(MediaError):
    """A page could not be printed to PDF."""


class SlideError(MediaError):
    """A slide cannot be drawn as asked: a screen size or theme name is invalid."""
