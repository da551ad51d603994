"""Run an offline synthesizer program (espeak-ng, mbrola) that writes a WAV file."""

import subprocess
from collections.abc import Sequence
from pathlib import Path

from media.errors import TtsError

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
