"""Print an HTML page to a PDF with headless Chromium, the browser the screens already run.

Chromium lays out Chinese text with the system's CJK fonts exactly as the panel's
report page looks, and prints A4 pages through CSS @page. It runs with a private
profile folder and no network; the page is one this program wrote, without scripts.
(--blink-settings=scriptEnabled=false would be safer still, but Chromium (156 here) then
writes no PDF at all.)
Measured here: about 2 s and 230 MB of memory for a report page.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from media.errors import PdfError

BROWSERS = ("chromium", "chromium-browser")  # Debian's name, Raspberry Pi OS's name
PRINT_SECONDS = 120.0


def find_browser() -> str:
    """Return the Chromium program's path; raise PdfError naming the package if none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError("Chromium is not installed; install the chromium package to make PDF reports")


def print_pdf(page: Path, target: Path, *, timeout: float = PRINT_SECONDS) -> None:
    """Print an HTML file to target as PDF, without the browser's header and footer."""
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="villagecast-pdf-") as profile:
        args = [
            browser,
            "--headless",
            # The sandbox cannot start as root or in many containers; the page is our own.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target.absolute()}",
            page.absolute().as_uri(),
        ]
        try:
            result = subprocess.run(
                args, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            target.unlink(missing_ok=True)
            raise PdfError(f"Chromium took longer than {timeout:g} s to print the report") from None
    if result.returncode != 0 or not _is_pdf(target):
        target.unlink(missing_ok=True)
        tail = " | ".join(result.stderr.strip().splitlines()[-2:]) or "no error output"
        raise PdfError(f"Chromium could not print the report ({tail})")


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(5) == b"%PDF-"
    except OSError:
        return False
