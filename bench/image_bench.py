"""Measure what checking and fitting one picture costs in memory, bombs included.

Run: .venv/bin/python bench/image_bench.py [--screen 1920x1080] [--parallel 3]

Each case runs in a fresh Python process (peaks last a process's lifetime): the
process imports media.images, notes its peak resident set (VmHWM), then checks the
picture (`check_image`, as an upload or a bundle import does) and fits it to the
screen (`fit_image`, as a slide render does), in `--parallel` threads at once as
three requests would; printed: the extra peak in MB over the imports, the wall time,
and whether the picture was refused. Pictures, made here in a temporary folder:

- bomb-6300: a 131 KB PNG declaring 6300×6300 RGB pixels (39.7 MP), all black;
- png-16mp: the same at 4600×3450 (15.9 MP), the largest a PNG may now be;
- phone-12mp: a 4032×3024 JPEG, as a phone takes it;
- jpeg-48mp: an 8000×6000 JPEG, a phone's full-resolution mode.
The figures are printed on the last lines.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

CASE = """
import json, sys, threading, time
from pathlib import Path
from media.errors import ImageError
from media.images import check_image, fit_image

def peak_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

path = Path(sys.argv[1])
width, height, parallel = (int(n) for n in sys.argv[2:5])
before = peak_kb()
refused = []

def one():
    try:
        check_image(path)
        fit_image(path, width, height, "letterbox")
    except ImageError as exc:
        refused.append(str(exc))

started = time.monotonic()
threads = [threading.Thread(target=one) for _ in range(parallel)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"extra_mb": (peak_kb() - before) / 1024, "seconds": time.monotonic() - started,
                  "refused": refused[0] if refused else ""}))
"""


def black_png(path: Path, width: int, height: int) -> Path:
    """Write a valid all-black RGB PNG of any size without holding its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def photo(path: Path, width: int, height: int) -> Path:
    """Write a JPEG of a smooth gradient, as large as a phone makes."""
    down = Image.linear_gradient("L").resize((width, height))
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    Image.merge("RGB", (down, across, down)).save(path, quality=85)
    return path


def run_case(path: Path, width: int, height: int, parallel: int) -> dict[str, object]:
    answer = subprocess.run(
        [sys.executable, "-c", CASE, str(path), str(width), str(height), str(parallel)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(answer.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--parallel", type=int, default=3, help="pictures at once (default 3)")
    args = parser.parse_args()
    width, height = (int(n) for n in args.screen.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        cases = {
            "bomb-6300": black_png(base / "bomb.png", 6300, 6300),
            "png-16mp": black_png(base / "big.png", 4600, 3450),
            "phone-12mp": photo(base / "phone.jpg", 4032, 3024),
            "jpeg-48mp": photo(base / "full.jpg", 8000, 6000),
        }
        print(f"bomb-6300 file: {cases['bomb-6300'].stat().st_size / 1024:.0f} KB")
        for name, path in cases.items():
            for parallel in sorted({1, args.parallel}):
                result = run_case(path, width, height, parallel)
                verdict = f"refused: {result['refused']}" if result["refused"] else "fitted"
                print(
                    f"{name:<11} ×{parallel} to {args.screen}: +{result['extra_mb']:.0f} MB peak, "
                    f"{result['seconds']:.2f} s, {verdict}"
                )


if __name__ == "__main__":
    main()
