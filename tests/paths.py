"""Where the repository is, for tests that read its files (scripts, samples, static)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
