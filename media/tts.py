"""Turn announcement text into speech with an ordered chain of engines.

The default chain tries Google's online voice (gTTS) with a short timeout, then
the offline FastSpeech 2 voice (``media.fastspeech2_engine``) and the MBROLA cn1
voice (``media.mbrola``), both driven by villagecast's Mandarin front end, then
espeak-ng as the last resort. An engine that is not
installed fails at once with a message naming its package, and the next one
speaks. Engines write any format ffmpeg reads; the caller
normalizes the result with ``media.audio.normalize`` and caches it under
``cache_key``.
"""

import copy
import hashlib
import io
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from media.edge_engine import DEFAULT_EDGE_VOICE, EdgeTtsEngine
from media.errors import TtsError, TtsUnavailableError
from media.fastspeech2_engine import DEFAULT_SPEED as FASTSPEECH2_SPEED
from media.fastspeech2_engine import FastSpeech2Engine
from media.files import atomic_output
from media.kokoro_engine import KokoroEngine
from media.mbrola import MbrolaEngine
from media.online import fetch_within
from media.prosody import DEFAULT_PACE
from media.synth_process import run_synthesizer

logger = logging.getLogger(__name__)

ENGINE_NAMES = ("gtts", "edge-tts", "fastspeech2", "mbrola", "espeak-ng", "kokoro")
# Languages gTTS is known to speak (those config.yaml offers): checked without importing
# gTTS, which brings requests (~17 MB) into every process that builds the chain.
KNOWN_GTTS_LANGS = frozenset({"zh-CN", "zh-TW", "zh", "yue"})
# Engines that speak only where content is saved, never at air time: the player's
# emergencies must sound at once, and a neural model loads for a second or more and
# takes 250-600 MB (fastspeech2; kokoro, the optional neural extra).
SAVE_TIME_ENGINES = frozenset({"fastspeech2", "kokoro"})
# Engines that never run under the player daemon at all, not even for the town's
# playlists its sync thread saves: the optional neural extra, slower than real time
# (a notice takes minutes of a Pi's CPU).
PANEL_ONLY_ENGINES = frozenset({"kokoro"})
# Seconds an emergency waits for an online voice before the next engine speaks. Where
# Google is blocked its packets are dropped, so gTTS fails only at its timeout (10 s
# by default): fine when content is saved, too long for an emergency.
URGENT_ONLINE_SECONDS = 3.0


class TtsEngine(Protocol):
    """A speech engine: writes text as an audio file or raises TtsError."""

    name: str
    voice: str

    def synthesize(self, text: str, out_path: Path) -> None:
        """Write text spoken aloud to out_path, or raise TtsError."""


class GttsEngine:
    """Google Translate's online voice, through the gTTS package."""

    def __init__(self, lang: str = "zh-CN", timeout: float = 10.0, tld: str = "com") -> None:
        if lang not in KNOWN_GTTS_LANGS and lang not in _gtts_langs():
            raise ValueError(f"gTTS has no language {lang!r}; Mandarin is 'zh-CN'")
        if not timeout > 0:
            raise ValueError(f"gTTS timeout must be positive, not {timeout}")
        self.name = "gtts"
        self.voice = lang
        self.timeout = timeout
        self.tld = tld

    def synthesize(self, text: str, out_path: Path) -> None:
        """Fetch the speech as MP3 and write it to out_path."""
        _require_words(text, self.name)
        audio = self._fetch(text)
        if not audio:
            raise TtsError("the service returned no audio", engine=self.name)
        try:
            with atomic_output(out_path, ".tmp.mp3") as tmp:
                tmp.write_bytes(audio)
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc

    def _fetch(self, text: str) -> bytes:
        """Download the MP3 bytes within self.timeout in total."""
        return fetch_within(lambda: self._download(text), self.timeout, self.name, self._describe)

    def _download(self, text: str) -> bytes:
        """Run gTTS and return the MP3 bytes."""
        from gtts import gTTS  # type: ignore[import-untyped]  # imported when first used

        buffer = io.BytesIO()
        # The language was checked in __init__; gTTS's own check wrongly calls
        # "zh-CN" deprecated and logs a warning on every call.
        speech = gTTS(
            text=text, lang=self.voice, tld=self.tld, timeout=self.timeout, lang_check=False
        )
        speech.write_to_fp(buffer)
        return buffer.getvalue()

    def _describe(self, exc: BaseException) -> str:
        """Say why a gTTS call failed, naming the network cause when there is one."""
        # gTTS reports every network failure as "Failed to connect. Probable
        # cause: Unknown"; the real cause is at the bottom of the chain.
        if getattr(exc, "rsp", None) is not None:
            # The service answered with an error status, which gTTS's message names
            # (an HTTPError is an OSError too, so this must come first).
            return str(exc)
        chain = list(_causes(exc))
        root = chain[-1]
        if isinstance(root, TimeoutError):
            return f"no answer from the speech service within {self.timeout:g} s"
        if any(isinstance(link, OSError) for link in chain):
            return f"network unreachable ({root})"
        return str(exc) or type(exc).__name__


def _gtts_langs() -> dict[str, str]:
    """Return the languages gTTS speaks (importing it)."""
    from gtts.lang import tts_langs  # type: ignore[import-untyped]

    langs: dict[str, str] = tts_langs()
    return langs


class EspeakEngine:
    """The offline espeak-ng synthesizer."""

    def __init__(
        self,
        voice: str = "cmn-latn-pinyin",
        speed: int = 150,
        timeout: float = 60.0,
        binary: str = "espeak-ng",
    ) -> None:
        if not 80 <= speed <= 450:
            raise ValueError(f"espeak-ng speed must be 80-450 words a minute, not {speed}")
        if not timeout > 0:
            raise ValueError(f"espeak-ng timeout must be positive, not {timeout}")
        self.name = "espeak-ng"
        self.voice = voice
        self.speed = speed
        self.timeout = timeout
        self.binary = binary

    def synthesize(self, text: str, out_path: Path) -> None:
        """Speak text into a WAV file at out_path."""
        _require_words(text, self.name)
        try:
            with atomic_output(out_path, ".tmp.wav") as tmp:
                self._run(text, tmp)
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc

    def _run(self, text: str, wav: Path) -> None:
        """Run espeak-ng into wav; raise TtsError unless it wrote some sound."""
        # Text goes through stdin: no shell, no argument-length limit, and text
        # starting with "-" cannot be taken for an option.
        args = [self.binary, "-v", self.voice, "-s", str(self.speed), "-w", str(wav), "--stdin"]
        run_synthesizer(
            args,
            text.encode("utf-8"),
            wav,
            engine=self.name,
            timeout=self.timeout,
            install="apt install espeak-ng",
        )


class EngineChain:
    """Engines tried in order until one speaks the text."""

    def __init__(self, engines: Sequence[TtsEngine]) -> None:
        if not engines:
            raise ValueError("a speech engine chain needs at least one engine")
        self._engines = tuple(engines)

    @property
    def engines(self) -> tuple[TtsEngine, ...]:
        """Return the engines in the order they are tried."""
        return self._engines

    def urgent(self, seconds: float = URGENT_ONLINE_SECONDS) -> "EngineChain":
        """Return this chain with each online voice's timeout cut to seconds at most."""
        engines: list[TtsEngine] = []
        for engine in self._engines:
            if isinstance(engine, GttsEngine | EdgeTtsEngine) and engine.timeout > seconds:
                engine = copy.copy(engine)
                engine.timeout = seconds
            engines.append(engine)
        return EngineChain(engines)

    def synthesize(self, text: str, out_path: Path) -> TtsEngine:
        """Speak text into out_path with the first engine that works, and return it."""
        _require_words(text)
        failures: list[tuple[str, str]] = []
        for engine in self._engines:
            try:
                engine.synthesize(text, out_path)
            except TtsError as exc:
                logger.warning("speech engine %s failed: %s", engine.name, exc.reason)
                failures.append((engine.name, exc.reason))
            else:
                return engine
        raise TtsUnavailableError(failures)


def build_chain(
    names: Sequence[str],
    *,
    gtts_lang: str = "zh-CN",
    gtts_timeout: float = 10.0,
    espeak_voice: str = "cmn-latn-pinyin",
    espeak_speed: int = 150,
    edge_voice: str = DEFAULT_EDGE_VOICE,
    edge_timeout: float = 10.0,
    mbrola_voice: str = "cn1",
    mbrola_pace: float = DEFAULT_PACE,
    fastspeech2_speed: float = FASTSPEECH2_SPEED,
    leave_out: frozenset[str] = frozenset(),
) -> EngineChain:
    """Build the engine chain named in the settings, in that order.

    leave_out names engines this chain goes without (SAVE_TIME_ENGINES for the player's
    instant chain), down to espeak-ng alone.
    """
    # A bare string is a Sequence[str] too, and would be read letter by letter.
    if isinstance(names, str):
        raise ValueError(f"speech engines must be a list such as [{names}], not a string")
    if leave_out:
        names = [name for name in names if name not in leave_out] or ["espeak-ng"]
    engines: list[TtsEngine] = []
    for name in names:
        if name == "gtts":
            engines.append(GttsEngine(lang=gtts_lang, timeout=gtts_timeout))
        elif name == "fastspeech2":
            engines.append(FastSpeech2Engine(speed=fastspeech2_speed))
        elif name == "mbrola":
            engines.append(MbrolaEngine(voice=mbrola_voice, pace=mbrola_pace))
        elif name == "espeak-ng":
            engines.append(EspeakEngine(voice=espeak_voice, speed=espeak_speed))
        elif name == "edge-tts":
            engines.append(EdgeTtsEngine(voice=edge_voice, timeout=edge_timeout))
        elif name == "kokoro":
            engines.append(KokoroEngine())
        else:
            allowed = ", ".join(ENGINE_NAMES)
            raise ValueError(f"unknown speech engine {name!r}; choose from {allowed}")
    return EngineChain(engines)


def cache_key(engine_name: str, voice: str, text: str) -> str:
    """Return the SHA-256 hex key of a clip made by engine_name with voice from text."""
    # A JSON list keeps the three apart: ("a", "bc") and ("ab", "c") differ.
    payload = json.dumps([engine_name, voice, text], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _require_words(text: str, engine: str | None = None) -> None:
    """Raise TtsError if text has nothing to say."""
    if not text.strip():
        raise TtsError("nothing to speak", engine=engine)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield exc and the exceptions that caused it, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
