"""The offline MBROLA engine: villagecast's Mandarin front end driving the cn1 voice.

Text goes through ``media.mandarin`` (pinyin by word, tone sandhi, pauses) and
``media.prosody`` (timing and pitch) into a .pho script, which the ``mbrola``
program turns into a WAV file. espeak-ng's own mb-cn1 route is not used: it is
broken in Debian 12.
"""

import shutil
from pathlib import Path

from media.errors import TtsError
from media.files import atomic_output
from media.mandarin import FRONT_END_VERSION, Syllable, transcribe
from media.prosody import DEFAULT_PACE, pho_script
from media.synth_process import run_synthesizer

VOICE_DIR = Path("/usr/share/mbrola")


class MbrolaEngine:
    """Mandarin from the MBROLA diphone synthesizer and its cn1 voice."""

    def __init__(
        self,
        voice: str = "cn1",
        pace: float = DEFAULT_PACE,
        timeout: float = 60.0,
        binary: str = "mbrola",
        voice_dir: Path = VOICE_DIR,
    ) -> None:
        if voice != "cn1":
            raise ValueError(f"the Mandarin front end speaks only the cn1 voice, not {voice!r}")
        if not 2.5 <= pace <= 6.0:
            raise ValueError(f"mbrola pace must be 2.5-6 syllables a second, not {pace}")
        if not timeout > 0:
            raise ValueError(f"mbrola timeout must be positive, not {timeout}")
        self.name = "mbrola"
        # The cache key holds the voice: a new front end or pace makes new clips.
        self.voice = f"{voice}+fe{FRONT_END_VERSION}@{pace:g}"
        self.database = voice_dir / voice / voice
        self.pace = pace
        self.timeout = timeout
        self.binary = binary

    def synthesize(self, text: str, out_path: Path) -> None:
        """Speak text into a WAV file at out_path."""
        if not text.strip():
            raise TtsError("nothing to speak", engine=self.name)
        missing = self.missing()
        if missing is not None:
            raise TtsError(missing, engine=self.name)
        script = self._script(text)
        try:
            with atomic_output(out_path, ".tmp.wav") as tmp:
                self._run(script, tmp)
        except OSError as exc:
            raise TtsError(f"cannot write {out_path}: {exc}", engine=self.name) from exc

    def missing(self) -> str | None:
        """Say what is not installed, naming the package, or return None when all is there."""
        if shutil.which(self.binary) is None:
            return f"{self.binary} is not installed (apt install mbrola, from Debian contrib)"
        if not self.database.is_file():
            return (
                f"voice {self.database} is not installed "
                "(apt install mbrola-cn1, from Debian non-free)"
            )
        return None

    def _script(self, text: str) -> str:
        """Return the .pho script of text, or raise TtsError."""
        try:
            tokens = transcribe(text)
        except ImportError as exc:
            raise TtsError(f"the Mandarin front end cannot load: {exc}", engine=self.name) from exc
        if not any(isinstance(token, Syllable) for token in tokens):
            raise TtsError("the text has nothing it can read aloud", engine=self.name)
        return pho_script(tokens, self.pace)

    def _run(self, script: str, wav: Path) -> None:
        """Run mbrola on script into wav; raise TtsError unless it wrote some sound."""
        # -e: a diphone the voice lacks is skipped, never the whole announcement.
        args = [self.binary, "-e", str(self.database), "-", str(wav)]
        run_synthesizer(
            args,
            script.encode("ascii"),
            wav,
            engine=self.name,
            timeout=self.timeout,
            install="apt install mbrola, from Debian contrib",
        )
