"""media/ffmpeg.py: what an operator reads when ffmpeg fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.ffmpeg import stderr_tail

FULL_DISK = """\
[out#0/wav @ 0x55d0c0a8b2c0] Error writing trailer: No space left on device
[Parsed_loudnorm_0 @ 0x55d0c0a8c100] Input Integrated:    -16.9 LUFS
Input LRA:           2.1 LU
LRA low:   -17.7 LUFS
LRA high:  -16.3 LUFS
Conversion failed!
"""


@pytest.mark.parametrize(
    ("stderr", "lines", "expected"),
    [
        pytest.param("a\nb\nc\nd\n", 3, "b | c | d", id="last-lines"),
        pytest.param("", 3, "no error output", id="nothing"),
        pytest.param(
            "[mp3 @ 0x5f00] Invalid data found\n", 3, "Invalid data found", id="component-cut"
        ),
        pytest.param(
            FULL_DISK,
            3,
            "Error writing trailer: No space left on device | LRA high:  -16.3 LUFS | "
            "Conversion failed!",
            id="full-disk-leads",
        ),
        pytest.param(FULL_DISK, 1, "Error writing trailer: No space left on device", id="one"),
        pytest.param(
            "x: Read-only file system\nConversion failed!\n",
            3,
            "x: Read-only file system | Conversion failed!",
            id="cause-already-in-tail",
        ),
    ],
)
def test_stderr_tail(stderr: str, lines: int, expected: str) -> None:
    assert stderr_tail(stderr, lines=lines) == expected


def test_the_path_is_named_by_its_file_name() -> None:
    path = Path("/data/tmp/speech.wav")
    assert stderr_tail(f"{path}: Permission denied\n", path) == "speech.wav: Permission denied"
