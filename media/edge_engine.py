"""Microsoft's online neural voices (Edge's read-aloud service), through edge-tts.

The service is reachable in mainland China, where Google's is not. Like gTTS it is
tried with a hard limit on the whole call, and its MP3 reaches out_path whole or
not at all.
"""

import asyncio
import math
import re
from pathlib import Path

from media.errors import TtsError
from media.files import atomic_output
from media.online import fetch_within

DEFAULT_EDGE_VOICE = "zh-CN-XiaoxiaoNeural"
# Short names as Microsoft lists them: language-REGION[-dialect]-NameNeural.
_VOICE_RE = re.compile(r"[a-z]{2,3}-[A-Z]{2}(?:-[a-z]+)?-[A-Za-z]+Neural")
# The caller waits this much longer than the limit for the worker to report its own
# timeout, so a hang is named as such rather than as an abandoned thread.
_GRACE_SECONDS = 0.5


class EdgeTtsEngine:
    """Microsoft's neural voices online, through the edge-tts package."""

    def __init__(self, voice: str = DEFAULT_EDGE_VOICE, timeout: float = 10.0) -> None:
        if not _VOICE_RE.fullmatch(voice):
            raise ValueError(
                f"edge-tts voice {voice!r} is not a voice name such as {DEFAULT_EDGE_VOICE}"
            )
        if not timeout > 0:
            raise ValueError(f"edge-tts timeout must be positive, not {timeout}")
        self.name = "edge-tts"
        self.voice = voice
        self.timeout = timeout

    def synthesize(self, text: str, out_path: Path) -> None:
        """Fetch the speech as MP3 and write it to out_path."""
        if not text.strip():
            raise TtsError("nothing to speak", engine=self.name)
        audio = self._fetch(text)
        try:
            with atomic_output(out_path, ".tmp.mp3") as tmp:
                tmp.write_bytes(audio)
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc

    def _fetch(self, text: str) -> bytes:
        """Return the MP3 bytes, received within self.timeout in total."""
        # The worker also stops itself at the limit (asyncio.timeout in _collect); the
        # grace lets it say so before it is abandoned, as a stuck name lookup can be.
        audio = fetch_within(
            lambda: asyncio.run(self._collect(text)),
            self.timeout,
            self.name,
            self._describe,
            grace=_GRACE_SECONDS,
        )
        if not audio:
            raise TtsError("the service returned no audio", engine=self.name)
        return audio

    async def _collect(self, text: str) -> bytes:
        """Stream the speech from the service and return its audio frames joined."""
        # Imported here: processes that never speak with this engine (the player)
        # do not load edge-tts and aiohttp (6 MB).
        import edge_tts

        seconds = max(1, math.ceil(self.timeout))
        speech = edge_tts.Communicate(
            text, self.voice, connect_timeout=seconds, receive_timeout=seconds
        )
        frames: list[bytes] = []
        async with asyncio.timeout(self.timeout):
            async for chunk in speech.stream():
                if chunk["type"] == "audio" and "data" in chunk:
                    frames.append(chunk["data"])
        return b"".join(frames)

    def _describe(self, exc: BaseException) -> str:
        """Say why a call failed, in words an operator can act on."""
        import aiohttp  # loaded already: edge-tts failed

        if isinstance(exc, TimeoutError):
            return f"no answer from the speech service within {self.timeout:g} s"
        if isinstance(exc, aiohttp.WSServerHandshakeError):
            return f"the speech service refused the connection (HTTP {exc.status} {exc.message})"
        if isinstance(exc, aiohttp.ClientConnectionError | OSError):
            return f"network unreachable ({exc})"
        return str(exc) or type(exc).__name__
