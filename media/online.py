"""Call an online speech service with a hard limit on the whole call.

Client libraries (gTTS, edge-tts) apply their timeouts to each socket read, so a slow
or trickling server could stretch one call without limit. The call runs in a daemon
thread that is abandoned when time is up; it only ever fills its own buffer, never
the output file, so nothing is half-written.
"""

from collections.abc import Callable
from concurrent.futures import Future
from threading import Thread

from media.errors import TtsError


def fetch_within(
    download: Callable[[], bytes],
    limit: float,
    engine: str,
    describe: Callable[[BaseException], str],
    grace: float = 0.0,
) -> bytes:
    """Return what download() gives within limit (+ grace) seconds, or raise TtsError."""
    outcome: Future[bytes] = Future()

    def run() -> None:
        try:
            outcome.set_result(download())
        # This is the thread's top level: whatever happens must reach the caller.
        except BaseException as exc:
            outcome.set_exception(exc)

    worker = Thread(target=run, name=f"{engine}-download", daemon=True)
    worker.start()
    # The grace lets a worker that enforces the limit itself report its own timeout,
    # so a hang is named as such rather than as an abandoned thread.
    worker.join(limit + grace)
    if not outcome.done():
        raise TtsError(f"timed out after {limit:g} s", engine=engine)
    failure = outcome.exception()
    if failure is not None:
        raise TtsError(describe(failure), engine=engine) from failure
    return outcome.result()
