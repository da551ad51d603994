"""The edge-tts engine against a fake of Microsoft's read-aloud service on loopback.

edge-tts opens its websocket at ``edge_tts.communicate.WSS_URL``, read on every call:
the tests point it at a real websocket server on 127.0.0.1 that answers as the
service does (turn.start, metadata, audio frames with a two-byte header length,
turn.end), or hangs, trickles, refuses the handshake or is not there at all.
"""

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import edge_tts.communicate
import pytest
from aiohttp import web

from media.audio import probe
from media.edge_engine import EdgeTtsEngine
from media.errors import TtsError
from media.tts import EngineChain, EspeakEngine, build_chain

NOTICE = "村民朋友们：3月28日上午9点，在村委会接种疫苗，请带好身份证。"
ENDPOINT = "/consumer/speech/synthesize/readaloud/edge/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeService:
    """A websocket server on loopback speaking the read-aloud protocol."""

    port: int
    requests: list[str] = field(default_factory=list)  # each connection's query string
    messages: list[str] = field(default_factory=list)  # text messages the client sent

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{ENDPOINT}?TrustedClientToken=test"


@pytest.fixture(scope="module")
def mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Return real speech as the service sends it: 24 kHz mono MP3 at 48 kbit/s."""
    folder = tmp_path_factory.mktemp("edge")
    EspeakEngine().synthesize(NOTICE, folder / "notice.wav")
    encode = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(folder / "notice.wav")]
    encode += ["-ar", "24000", "-ac", "1", "-b:a", "48k", "-f", "mp3", "-"]
    return subprocess.run(encode, capture_output=True, check=True).stdout


def headers(request_id: str, path: str, content_type: str) -> str:
    return f"X-RequestId:{request_id}\r\nContent-Type:{content_type}\r\nPath:{path}\r\n"


def audio_frame(request_id: str, data: bytes) -> bytes:
    """Frame audio as the service does: header length (2 bytes), header, audio."""
    header = (headers(request_id, "audio", "audio/mpeg") + "X-StreamId:fake\r\n").encode()
    return len(header).to_bytes(2, "big") + header + data


async def greet(ws: web.WebSocketResponse, service: FakeService) -> str:
    """Read the client's speech.config and ssml messages; answer turn.start; return its id."""
    for _ in range(2):
        service.messages.append(await ws.receive_str())
    request_id = service.messages[-1].split("X-RequestId:", 1)[1].split("\r\n", 1)[0]
    turn = headers(request_id, "turn.start", "application/json; charset=utf-8")
    await ws.send_str(turn + '\r\n{"context":{"serviceTag":"fake"}}')
    return request_id


def speaking(mp3: bytes) -> Callable[[FakeService], Handler]:
    """Answer with the speech in 4 kB frames, a sentence boundary and turn.end."""

    def make(service: FakeService) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            service.requests.append(request.query_string)
            request_id = await greet(ws, service)
            meta = headers(request_id, "audio.metadata", "application/json")
            boundary = '{"Type":"SentenceBoundary","Data":{"Offset":1000000,"Duration":20000000,'
            boundary += (
                '"text":{"Text":"村民朋友们","Length":5,"BoundaryType":"SentenceBoundary"}}}'
            )
            await ws.send_str(meta + '\r\n{"Metadata":[' + boundary + "]}")
            for start in range(0, len(mp3), 4096):
                await ws.send_bytes(audio_frame(request_id, mp3[start : start + 4096]))
            ending = len(b"X-RequestId:x\r\nPath:audio\r\n")
            await ws.send_bytes(ending.to_bytes(2, "big") + b"X-RequestId:x\r\nPath:audio\r\n")
            turn_end = headers(request_id, "turn.end", "application/json; charset=utf-8")
            await ws.send_str(turn_end + "\r\n{}")
            await ws.receive()  # the client closes
            return ws

        return handle

    return make


def hanging(service: FakeService) -> Handler:
    """Accept the websocket, read the request and never answer."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await asyncio.sleep(3600)
        return ws

    return handle


def trickling(service: FakeService) -> Handler:
    """Send a small audio frame every 0.2 s and never end the turn."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request_id = await greet(ws, service)
        while True:
            await ws.send_bytes(audio_frame(request_id, b"\xff\xf3" + bytes(100)))
            await asyncio.sleep(0.2)

    return handle


def refusing(service: FakeService) -> Handler:
    """Refuse the handshake as the service does a client it does not trust."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=403, text="Forbidden")

    return handle


def silent_turn(service: FakeService) -> Handler:
    """End the turn without sending any audio."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request_id = await greet(ws, service)
        await ws.send_str(headers(request_id, "turn.end", "application/json") + "\r\n{}")
        await ws.receive()
        return ws

    return handle


async def stop_serving(runner: web.AppRunner) -> None:
    """Close the server and end the handlers still waiting (hanging, trickling)."""
    await runner.cleanup()
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


@pytest.fixture
def run_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeService]]:
    """Start fake services in a thread of their own; point edge-tts at the last one."""
    started: list[tuple[asyncio.AbstractEventLoop, web.AppRunner, threading.Thread]] = []

    def start(make: Callable[[FakeService], Handler]) -> FakeService:
        sock = socket.create_server(("127.0.0.1", 0))
        service = FakeService(port=sock.getsockname()[1])
        app = web.Application()
        app.router.add_get(ENDPOINT, make(service))
        loop = asyncio.new_event_loop()
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        ready = threading.Event()

        def serve() -> None:
            # Set up in the service's own thread: the test's thread may already run an
            # event loop (Playwright's, once a browser test has run in this session).
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        assert ready.wait(10), "the fake service did not start"
        started.append((loop, runner, thread))
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", service.url)
        return service

    yield start
    for loop, runner, thread in started:
        asyncio.run_coroutine_threadsafe(stop_serving(runner), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def closed_port(monkeypatch: pytest.MonkeyPatch) -> int:
    """Point edge-tts at a loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = int(unused.getsockname()[1])
    url = f"ws://127.0.0.1:{port}{ENDPOINT}?TrustedClientToken=test"
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", url)
    return port


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connect straight to loopback whatever proxy the machine names (edge-tts trusts env)."""
    for scheme in ("http", "https", "ws", "wss", "all"):
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
            monkeypatch.delenv(name, raising=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_speaks_with_the_chosen_voice(
    tmp_path: Path, mp3: bytes, run_service: Callable[..., FakeService]
) -> None:
    service = run_service(speaking(mp3))
    out = tmp_path / "notice.mp3"
    EdgeTtsEngine(voice="zh-CN-YunxiNeural", timeout=10).synthesize(NOTICE, out)
    assert out.read_bytes() == mp3, "every audio frame, in order, and nothing else"
    assert probe(out).duration > 3
    assert leftovers(tmp_path) == ["notice.mp3"]
    ssml = service.messages[1]
    assert "Path:ssml" in ssml
    assert (
        "<voice name='Microsoft Server Speech Text to Speech Voice (zh-CN, YunxiNeural)'>" in ssml
    )
    assert NOTICE in ssml
    assert "audio-24khz-48kbitrate-mono-mp3" in service.messages[0]
    assert "ConnectionId=" in service.requests[0] and "Sec-MS-GEC=" in service.requests[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "timeout", "reason"),
    [
        pytest.param(hanging, 1.0, "no answer from the speech service within 1 s", id="hangs"),
        pytest.param(trickling, 1.0, "no answer from the speech service within 1 s", id="trickles"),
        pytest.param(
            refusing, 5.0, "the speech service refused the connection (HTTP 403", id="refuses"
        ),
        pytest.param(silent_turn, 5.0, "No audio was received", id="no-audio"),
    ],
)
def test_failures_are_named_within_the_limit_and_write_nothing(
    tmp_path: Path,
    run_service: Callable[..., FakeService],
    make: Callable[[FakeService], Handler],
    timeout: float,
    reason: str,
) -> None:
    run_service(make)
    started = time.monotonic()
    with pytest.raises(TtsError) as caught:
        EdgeTtsEngine(timeout=timeout).synthesize(NOTICE, tmp_path / "notice.mp3")
    assert str(caught.value).startswith(f"edge-tts: {reason}")
    assert time.monotonic() - started < timeout + 1
    assert leftovers(tmp_path) == []


def test_without_network_fails_fast(tmp_path: Path, closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(TtsError, match=r"^edge-tts: network unreachable"):
        EdgeTtsEngine(timeout=10).synthesize(NOTICE, tmp_path / "notice.mp3")
    assert time.monotonic() - started < 3
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "make", [pytest.param(hanging, id="hangs"), pytest.param(refusing, id="refuses")]
)
def test_chain_falls_through_to_the_offline_voice(
    tmp_path: Path,
    run_service: Callable[..., FakeService],
    make: Callable[[FakeService], Handler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_service(make)
    chain = build_chain(["edge-tts", "espeak-ng"], edge_timeout=1)
    out = tmp_path / "speech"
    assert chain.synthesize(NOTICE, out).name == "espeak-ng"
    assert probe(out).codec == "pcm_s16le"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("speech engine edge-tts failed: ")


def test_chain_takes_the_online_voice_when_it_answers(
    tmp_path: Path, mp3: bytes, run_service: Callable[..., FakeService]
) -> None:
    run_service(speaking(mp3))
    engine = EngineChain([EdgeTtsEngine(timeout=10), EspeakEngine()]).synthesize(
        NOTICE, tmp_path / "speech"
    )
    assert (engine.name, engine.voice) == ("edge-tts", "zh-CN-XiaoxiaoNeural")
    assert (tmp_path / "speech").read_bytes() == mp3


@pytest.mark.parametrize(
    ("voice", "timeout", "message"),
    [
        pytest.param("Xiaoxiao", 10.0, "not a voice name", id="bare-name"),
        pytest.param("zh-CN-Xiaoxiao", 10.0, "not a voice name", id="not-neural"),
        pytest.param("zh-CN-XiaoxiaoNeural", 0.0, "must be positive", id="zero-timeout"),
    ],
)
def test_refuses_bad_settings(voice: str, timeout: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EdgeTtsEngine(voice=voice, timeout=timeout)


@pytest.mark.parametrize(
    "voice", ["zh-CN-XiaoxiaoNeural", "zh-CN-liaoning-XiaobeiNeural", "zh-TW-HsiaoChenNeural"]
)
def test_accepts_microsoft_voice_names(voice: str) -> None:
    assert EdgeTtsEngine(voice=voice).voice == voice


def test_nothing_to_speak_asks_nobody(tmp_path: Path, closed_port: int) -> None:
    with pytest.raises(TtsError, match=r"^edge-tts: nothing to speak$"):
        EdgeTtsEngine().synthesize("  ", tmp_path / "x.mp3")
