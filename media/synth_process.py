"""Run an offline synthesizer program (espeak-ng, mbrola, a model's synth process)."""

import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from media.errors import TtsError
from media.files import atomic_output

# A WAV file's RIFF header comes before any samples: a file no longer holds no sound.
WAV_HEADER_BYTES = 44


def run_synthesizer(
    args: Sequence[str], stdin: bytes, wav: Path, *, engine: str, timeout: float, install: str
) -> None:
    """Run args with stdin into wav; raise TtsError unless it wrote some sound.

    install is the hint given when the program is missing ("apt install espeak-ng").
    """
    try:
        result = subprocess.run(
            list(args), input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise TtsError(f"{args[0]} is not installed ({install})", engine=engine) from None
    except subprocess.TimeoutExpired:
        raise TtsError(f"timed out after {timeout:g} s", engine=engine) from None
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip() or "no error output"
        raise TtsError(f"exit status {result.returncode}: {said}", engine=engine)
    if not wav.is_file() or wav.stat().st_size <= WAV_HEADER_BYTES:
        raise TtsError("it produced an empty audio file", engine=engine)


# One model's synth process at a time, whichever engine and however many notices are
# saved at once: each takes hundreds of MB while it speaks.
_one_model_at_a_time = threading.Lock()


def speak_in_model_process(
    args: Sequence[str], text: str, out_path: Path, *, engine: str, timeout: float, install: str
) -> None:
    """Run a model's synth process (args, then the WAV path) on text into out_path.

    The process writes a temporary file beside out_path, which replaces it only when
    the process succeeded; one such process runs at a time.
    """
    with _one_model_at_a_time:
        try:
            with atomic_output(out_path, ".tmp.wav") as tmp:
                run_synthesizer(
                    [*args, str(tmp)],
                    text.encode("utf-8"),
                    tmp,
                    engine=engine,
                    timeout=timeout,
                    install=install,
                )
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=engine) from exc


def speak_stdin(speak: Callable[[str], None]) -> int:
    """The synth process's side: speak the text on stdin; return its exit status.

    A refusal (TtsError, ValueError) is one line on stderr, which the caller's TtsError
    quotes; anything else is a bug and ends with its traceback.
    """
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        speak(text)
    except (TtsError, ValueError) as exc:
        print(exc.reason if isinstance(exc, TtsError) else exc, file=sys.stderr)
        return 1
    return 0
