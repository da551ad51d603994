"""Speech engines and the engine chain, with the real espeak-ng and no network.

gTTS is pointed at loopback through HTTPS_PROXY, the seam it reads on every
request: a closed port stands for "no network" and a server that never answers
stands for a hanging connection.
"""

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from media.audio import probe
from media.edge_engine import EdgeTtsEngine
from media.errors import TtsError, TtsUnavailableError
from media.fastspeech2_engine import FastSpeech2Engine
from media.tts import (
    ENGINE_NAMES,
    EngineChain,
    EspeakEngine,
    GttsEngine,
    TtsEngine,
    build_chain,
    cache_key,
)

NOTICE = "社会工作是以利他主义为指导，推进五社联动，关爱一小一老。"


def use_proxy(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Send every HTTPS request of this test to a proxy on a loopback port."""
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def serve(handle: Callable[[socket.socket, threading.Event], object]) -> Iterator[int]:
    """Run a loopback TCP server handing each connection to handle; yield its port."""
    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    yield server.getsockname()[1]
    stop.set()
    acceptor.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as probe_socket:
        return int(probe_socket.getsockname()[1])


@pytest.fixture
def silent_proxy() -> Iterator[int]:
    """Serve a proxy that accepts connections and never says a word."""
    yield from serve(lambda conn, stop: stop.wait())


@pytest.fixture
def trickling_proxy() -> Iterator[int]:
    """Serve a proxy that sends a byte now and then but never a whole line."""

    def trickle(conn: socket.socket, stop: threading.Event) -> None:
        while not stop.wait(0.2):
            try:
                conn.sendall(b"x")
            except OSError:
                return

    yield from serve(trickle)


class FakeEngine:
    """An engine that succeeds or fails as told and remembers what it was asked."""

    def __init__(self, name: str, failure: str | None = None) -> None:
        self.name = name
        self.voice = "fake"
        self.failure = failure
        self.calls: list[str] = []

    def synthesize(self, text: str, out_path: Path) -> None:
        self.calls.append(text)
        if self.failure is not None:
            raise TtsError(self.failure, engine=self.name)
        out_path.write_bytes(b"sound")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- espeak-ng ------------------------------------------------------------------------


def test_espeak_speaks_chinese_into_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "notice.wav"
    EspeakEngine().synthesize(NOTICE, out)
    info = probe(out)
    assert info.codec == "pcm_s16le"
    assert info.duration > 2.0
    assert leftovers(tmp_path) == ["notice.wav"]


def test_default_voice_reads_chinese_as_pinyin_tones() -> None:
    """社会工作 is shè huì gōng zuò: tones 4 4 1 4, which espeak-ng writes 51 51 55 51."""
    engine = EspeakEngine()
    phonemes = subprocess.run(
        [engine.binary, "-v", engine.voice, "-x", "-q", "社会工作"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The plain cmn voice switches to English, "(en)", and spells out letter names.
    assert "(en)" not in phonemes
    assert re.findall(r"(\d+)_\|", phonemes) == ["51", "51", "55", "51"]


def test_espeak_text_starting_with_a_dash_is_spoken_not_parsed(tmp_path: Path) -> None:
    out = tmp_path / "dash.wav"
    EspeakEngine().synthesize("-v 社会工作", out)
    assert probe(out).duration > 0.5


def fake_espeak(folder: Path, script: str) -> str:
    """Write a stand-in espeak-ng program and return its path."""
    program = folder / "fake-espeak"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    return str(program)


@pytest.mark.parametrize(
    ("binary", "voice", "timeout", "reason"),
    [
        pytest.param("no-such-espeak", "cmn-latn-pinyin", 60.0, "not installed", id="missing"),
        pytest.param("espeak-ng", "nosuchvoice", 60.0, "exit status 1", id="unknown-voice"),
        pytest.param("exit 0", "cmn-latn-pinyin", 60.0, "empty audio file", id="writes-nothing"),
        pytest.param("sleep 5", "cmn-latn-pinyin", 0.3, "timed out after 0.3 s", id="hangs"),
    ],
)
def test_espeak_failures_raise_tts_error(
    tmp_path: Path, binary: str, voice: str, timeout: float, reason: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if " " in binary:
        binary = fake_espeak(tmp_path, binary)
    engine = EspeakEngine(voice=voice, timeout=timeout, binary=binary)
    with pytest.raises(TtsError, match=f"^espeak-ng: .*{re.escape(reason)}"):
        engine.synthesize(NOTICE, work / "notice.wav")
    assert leftovers(work) == []


# -- gTTS -----------------------------------------------------------------------------


def test_gtts_without_network_fails_fast(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, closed_port: int
) -> None:
    use_proxy(monkeypatch, closed_port)
    started = time.monotonic()
    with pytest.raises(TtsError, match=r"^gtts: network unreachable"):
        GttsEngine(timeout=10).synthesize(NOTICE, tmp_path / "notice.mp3")
    assert time.monotonic() - started < 3
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_gtts_gives_up_on_a_server_that_never_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, silent_proxy: int
) -> None:
    use_proxy(monkeypatch, silent_proxy)
    started = time.monotonic()
    with pytest.raises(TtsError, match=r"^gtts: "):
        GttsEngine(timeout=1.5).synthesize(NOTICE, tmp_path / "notice.mp3")
    assert time.monotonic() - started < 3
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_gtts_bounds_the_whole_call_when_every_read_gets_a_byte(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trickling_proxy: int
) -> None:
    # Each read succeeds within the per-request timeout, so only the overall
    # limit can stop this call.
    use_proxy(monkeypatch, trickling_proxy)
    started = time.monotonic()
    with pytest.raises(TtsError, match=r"^gtts: timed out after 1 s$"):
        GttsEngine(timeout=1.0).synthesize(NOTICE, tmp_path / "notice.mp3")
    assert time.monotonic() - started < 2
    assert leftovers(tmp_path) == []


def test_gtts_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="'xx-YY'"):
        GttsEngine(lang="xx-YY")


@pytest.mark.parametrize(
    ("code", "imported"),
    [
        ("build_chain(['gtts', 'mbrola', 'espeak-ng'])", False),
        ("GttsEngine(lang='yue')", False),
        ("GttsEngine(lang='en')", True),  # a language config.yaml does not offer: gTTS is asked
    ],
    ids=["default chain", "station language", "other language"],
)
def test_gtts_and_requests_load_only_when_gtts_is_asked(code: str, imported: bool) -> None:
    probe_code = (
        "import sys\nfrom media.tts import GttsEngine, build_chain\n"
        f"{code}\nprint(sorted(m for m in ('gtts', 'requests') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe_code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ("['gtts', 'requests']" if imported else "[]")


# -- the chain ------------------------------------------------------------------------


def test_chain_falls_back_from_gtts_to_espeak(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    closed_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_proxy(monkeypatch, closed_port)
    espeak = EspeakEngine()
    chain = EngineChain([GttsEngine(timeout=2), espeak])
    out = tmp_path / "speech"
    assert chain.synthesize(NOTICE, out) is espeak
    assert probe(out).duration > 2.0
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "speech engine gtts failed: network unreachable ([Errno 111] Connection refused)"
    ]


def test_chain_reports_every_failure_when_all_engines_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, closed_port: int
) -> None:
    use_proxy(monkeypatch, closed_port)
    chain = EngineChain([GttsEngine(timeout=2), EspeakEngine(binary="no-such-espeak")])
    with pytest.raises(TtsUnavailableError) as caught:
        chain.synthesize(NOTICE, tmp_path / "speech")
    assert [name for name, _ in caught.value.failures] == ["gtts", "espeak-ng"]
    assert str(caught.value).startswith(
        "no speech engine could speak this text: gtts: network unreachable"
    )
    assert "; espeak-ng: no-such-espeak is not installed" in str(caught.value)
    assert leftovers(tmp_path) == []


def test_chain_stops_at_the_first_engine_that_works(tmp_path: Path) -> None:
    first, second, third = FakeEngine("a", failure="broken"), FakeEngine("b"), FakeEngine("c")
    assert EngineChain([first, second, third]).synthesize("你好", tmp_path / "x") is second
    assert (first.calls, second.calls, third.calls) == (["你好"], ["你好"], [])


@pytest.mark.parametrize("text", ["", "   ", "\n\t　"], ids=["empty", "spaces", "whitespace"])
def test_nothing_to_speak(tmp_path: Path, text: str) -> None:
    engine = FakeEngine("a")
    with pytest.raises(TtsError, match=r"^nothing to speak$"):
        EngineChain([engine]).synthesize(text, tmp_path / "x")
    assert engine.calls == []


def test_chain_needs_an_engine() -> None:
    with pytest.raises(ValueError, match="at least one engine"):
        EngineChain([])


# -- building from settings -----------------------------------------------------------


def test_build_chain_follows_the_named_order() -> None:
    chain = build_chain(["espeak-ng", "gtts"], gtts_lang="zh-TW", gtts_timeout=4, espeak_speed=120)
    engines: tuple[TtsEngine, ...] = chain.engines
    assert [(e.name, e.voice) for e in engines] == [
        ("espeak-ng", "cmn-latn-pinyin"),
        ("gtts", "zh-TW"),
    ]
    espeak, gtts = engines
    assert isinstance(espeak, EspeakEngine) and espeak.speed == 120
    assert isinstance(gtts, GttsEngine) and gtts.timeout == 4
    assert [e.name for e in build_chain(ENGINE_NAMES).engines] == [
        "gtts",
        "edge-tts",
        "fastspeech2",
        "mbrola",
        "espeak-ng",
        "kokoro",
    ]


def test_build_chain_passes_the_edge_voice_and_timeout() -> None:
    chain = build_chain(["edge-tts", "espeak-ng"], edge_voice="zh-CN-YunxiNeural", edge_timeout=3)
    edge = chain.engines[0]
    assert isinstance(edge, EdgeTtsEngine)
    assert (edge.name, edge.voice, edge.timeout) == ("edge-tts", "zh-CN-YunxiNeural", 3)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        pytest.param(
            ["gtts", "azure"],
            r"unknown speech engine 'azure'; choose from gtts, edge-tts, fastspeech2, mbrola, "
            r"espeak-ng",
            id="unknown",
        ),
        pytest.param([], "at least one engine", id="empty"),
        pytest.param("gtts", "must be a list", id="bare-string"),
    ],
)
def test_build_chain_refuses_bad_names(names: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_chain(names)


# -- cache keys -----------------------------------------------------------------------


def test_cache_key_is_stable_across_versions() -> None:
    # Keys name clips already on disk: changing the encoding orphans the cache.
    # This is sha256 of the compact ASCII JSON ["espeak-ng","cmn-latn-pinyin","\u793e..."].
    assert cache_key("espeak-ng", "cmn-latn-pinyin", "社会工作") == (
        "7d6fc50f89769c6b6b55f38ba3550415cb53d66c117170ce9671dff072a174cd"
    )


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("gtts", "cmn-latn-pinyin", "社会工作"), id="engine"),
        pytest.param(("espeak-ng", "cmn", "社会工作"), id="voice"),
        pytest.param(("espeak-ng", "cmn-latn-pinyin", "社会工作。"), id="text"),
        pytest.param(("espeak-ng", "cmn-latn-pinyin", " 社会工作"), id="leading-space"),
        pytest.param(("espeak-ngcmn-latn-pinyin", "", "社会工作"), id="fields-run-together"),
    ],
)
def test_cache_key_tells_clips_apart(other: tuple[str, str, str]) -> None:
    base = cache_key("espeak-ng", "cmn-latn-pinyin", "社会工作")
    assert cache_key(*other) != base
    assert re.fullmatch(r"[0-9a-f]{64}", base)


@pytest.mark.parametrize(
    ("engine", "timeout"),
    [
        pytest.param(lambda: GttsEngine(timeout=10), 3.0, id="gtts-cut"),
        pytest.param(lambda: EdgeTtsEngine(timeout=10), 3.0, id="edge-tts-cut"),
        pytest.param(lambda: GttsEngine(timeout=2), 2.0, id="shorter-kept"),
        pytest.param(lambda: FastSpeech2Engine(timeout=120), 120.0, id="offline-model-untouched"),
    ],
)
def test_an_urgent_chain_waits_for_an_online_voice_a_few_seconds_at_most(
    engine: Callable[[], Any], timeout: float
) -> None:
    original = engine()
    before = original.timeout
    chain = EngineChain([original, EspeakEngine()])
    urgent = chain.urgent()
    assert urgent.engines[0].timeout == timeout  # type: ignore[attr-defined]
    assert urgent.engines[0].name == original.name
    assert original.timeout == before, "the station's own chain keeps its timeouts"
    assert urgent.engines[1] is chain.engines[1]
