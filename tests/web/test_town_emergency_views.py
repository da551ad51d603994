"""The town emergency page over HTTP, on a real mosquitto: rights, CSRF, bad input, answers."""

from __future__ import annotations

import dataclasses
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import escape

from media.audio import probe
from media.tts import EspeakEngine
from playlists.bundles.keys import load_signing_key
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.town import emergency_relay
from playlists.town.answer_recorder import AnswerRecorder
from tests.broker_kit import NOW, Broker, Client, add_village, broker, free_port, town_settings
from tests.web_fixtures import Browser, add_user, make_app, serving

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

EAST, WEST = "vcd_east-" + "e" * 34, "vcd_west-" + "w" * 34
PAGE = "/town-emergencies"


@dataclasses.dataclass
class TownPanel:
    url: str
    settings: Settings
    store: Store
    broker: Broker

    def kept(self) -> list[object]:
        sent = self.store.query("SELECT * FROM town_emergency_sent")
        return [*sent, *self.store.query("SELECT * FROM town_emergency_answers")]

    def answers(self, ident: str) -> list[tuple[str, str, str]]:
        rows = self.store.query(
            "SELECT v.name, a.state, a.reason FROM town_emergency_answers a "
            "JOIN villages v ON v.id = a.village_id WHERE emergency_id = ? ORDER BY v.name",
            (ident,),
        )
        return [(r["name"], r["state"], r["reason"]) for r in rows]


def town_app(settings: Settings, store: Store) -> Flask:
    return make_app(settings, store, now=NOW)


@pytest.fixture
def town(broker: Broker, tmp_path: Path) -> Iterator[TownPanel]:
    """A town's panel served on loopback with two villages, its users and its listener."""
    settings = town_settings(broker, tmp_path)
    store = Store.open(settings.db_path)
    add_village(store, broker, "东村", EAST)
    add_village(store, broker, "西村", WEST)
    add_user(store, "chief", "operator", may_emergency=True)
    add_user(store, "op", "operator")
    add_user(store, "rev", "reviewer")
    recorder = AnswerRecorder(settings, store, lambda: NOW)
    recorder.start()
    try:
        assert recorder.subscribed.wait(10), "the town's listener did not subscribe"
        with serving(town_app(settings, store)) as url:
            yield TownPanel(url, settings, store, broker)
    finally:
        recorder.stop()
        store.close()


def village(broker: Broker, token: str) -> Client:
    """A village's connection, listening to what the town sends it."""
    user = broker_topics.user_for_token(token)
    client = Client(broker, user, token)
    assert client.connect()
    assert client.subscribe(broker_topics.to_all(wire.SUBJECT)) == [1]
    assert client.subscribe(broker_topics.to_village(user, wire.SUBJECT)) == [1]
    return client


def ack(client: Client, token: str, ident: str, state: wire.AckState, reason: str = "") -> None:
    topic = broker_topics.from_village(broker_topics.user_for_token(token), wire.ACK_SUBJECT)
    client.mqtt.publish(topic, wire.encode_ack(ident, state, reason, NOW), qos=1).wait_for_publish(
        10
    )


def get(browser: Browser, path: str) -> tuple[int, str]:
    return browser.open(urllib.request.Request(browser.url + path))


FORM = {"text": "河水上涨，请沿河村民立即转移。", "repeat": "2", "minutes": "30", "confirm": "yes"}


def sent_id(html: str) -> str:
    match = re.search(r'data-answers-url="/api/v1/town-emergencies/([0-9a-f]{32})"', html)
    assert match, "the live table of the emergency sent"
    return match[1]


def test_the_town_speaks_the_text_with_its_clear_voice_and_the_villages_get_that_speech(
    town: TownPanel,
) -> None:
    engines = ("fastspeech2", "espeak-ng")
    clear = dataclasses.replace(
        town.settings, tts=dataclasses.replace(town.settings.tts, engines=engines)
    )
    west = village(town.broker, WEST)
    try:
        with serving(town_app(clear, town.store)) as url:
            chief = Browser(url, "chief")
            status, html = chief.post(PAGE, {**FORM, "to": "all"})
            assert status == 200, html
            ident = sent_id(html)
            assert "文字已由镇里合成语音（清晰离线语音），各村播放这段语音。" in html
            status, body = chief.open(
                urllib.request.Request(
                    f"{url}/api/v1/town-emergencies/{ident}",
                    headers={"Accept": "application/json"},
                )
            )
            assert status == 200 and '"voice":"fastspeech2"' in body.replace(" ", "")
        [message] = west.wait_messages(1, timeout=10)
        heard = wire.decode(
            message.payload, [load_signing_key(Path(clear.town.signing_key)).public]
        )
        assert heard.audio.startswith(b"OggS"), "the villages play the town's speech"
        assert heard.text == FORM["text"], "and show the text on their screens"
    finally:
        west.close()


def test_sent_from_the_page_to_chosen_villages_their_answers_show_in_the_table(
    town: TownPanel,
) -> None:
    east, west = village(town.broker, EAST), village(town.broker, WEST)
    try:
        chief = Browser(town.url, "chief")
        status, html = chief.post(PAGE, {**FORM, "to": "chosen", "village": ["西村"]})
        assert status == 200, html  # followed to the emergency's own page
        assert "紧急广播已发往各村" in html
        ident = sent_id(html)
        assert "西村" in html and "无回应" in html and "东村" not in html.split('id="answers"')[1]
        [message] = west.wait_messages(1, timeout=10)
        public = load_signing_key(Path(town.settings.town.signing_key)).public
        heard = wire.decode(message.payload, [public])
        assert (heard.id, heard.text, heard.repeat) == (ident, FORM["text"], 2)
        assert east.wait_messages(1, timeout=1) == [], "东村 was not chosen"
        ack(west, WEST, ident, wire.AckState.RECEIVED)
        ack(west, WEST, ident, wire.AckState.STARTED)
        deadline = time.monotonic() + 5
        while town.answers(ident) != [("西村", "started", "")] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert town.answers(ident) == [("西村", "started", "")]
        status, html = get(chief, f"{PAGE}/{ident}")
        assert status == 200 and "正在播出" in html and "播 2 遍" in html
        ack(west, WEST, ident, wire.AckState.FAILED, "expired")
        deadline = time.monotonic() + 5
        while town.answers(ident)[0][1] != "failed" and time.monotonic() < deadline:
            time.sleep(0.02)
        status, html = get(chief, f"{PAGE}/{ident}")
        assert "失败" in html and "到达时已过有效时间" in html
        # The town's village page lists it with its answers counted.
        rev = Browser(town.url, "rev")
        status, fleet = get(rev, "/fleet")
        assert status == 200 and "河水上涨，请沿河村民立即转移。" in fleet and "失败 1" in fleet
    finally:
        east.close()
        west.close()


def test_to_every_village_by_default(town: TownPanel) -> None:
    chief = Browser(town.url, "chief")
    status, html = chief.post(PAGE, {**FORM, "to": "all"})
    assert status == 200
    ident = sent_id(html)
    assert town.answers(ident) == [("东村", "no answer", ""), ("西村", "no answer", "")]


@pytest.mark.parametrize(
    ("user", "page", "sends"),
    [
        pytest.param("chief", 200, 302, id="emergency-right"),
        pytest.param("rev", 200, 403, id="reviewer-watches-only"),
        pytest.param("op", 403, 403, id="operator-without-the-right"),
    ],
)
def test_only_the_emergency_right_sends(town: TownPanel, user: str, page: int, sends: int) -> None:
    browser = Browser(town.url, user)
    status, html = get(browser, PAGE)
    assert status == page
    assert ('id="town-emergency-form"' in html) is (sends == 302)
    no_redirect = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(browser.jar), NoRedirect()
    )
    data = urllib.parse.urlencode({**FORM, "to": "all", "csrf_token": browser.token()}).encode()
    try:
        with no_redirect.open(urllib.request.Request(town.url + PAGE, data=data)) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == sends
    assert bool(town.kept()) is (sends == 302)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_anonymous_visitors_are_sent_to_log_in(town: TownPanel) -> None:
    request = urllib.request.Request(town.url + PAGE)
    opener = urllib.request.build_opener(NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request)
    assert refused.value.code == 302 and "/login" in refused.value.headers["Location"]


def test_a_post_without_the_csrf_token_sends_nothing(town: TownPanel) -> None:
    chief = Browser(town.url, "chief")
    data = urllib.parse.urlencode({**FORM, "to": "all"}).encode()
    status, _ = chief.open(urllib.request.Request(town.url + PAGE, data=data))
    assert status == 400
    assert town.kept() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": "  "}, "请先填写紧急广播的内容"),
        ({"text": "撤" * 501}, "内容有 501 字，最多允许 500 字"),
        ({"title": "标" * 101}, "标题最多 100 字"),
        ({"repeat": "4"}, "紧急广播可播 1 到 3 遍。"),
        ({"repeat": "两"}, "紧急广播可播 1 到 3 遍。"),
        ({"minutes": "0"}, "紧急广播的有效时间为 1 到 1440 分钟。"),
        ({"minutes": "1441"}, "紧急广播的有效时间为 1 到 1440 分钟。"),
        ({"to": "chosen"}, "请至少勾选一个村，或发给所有村。"),
        ({"to": "chosen", "village": ["北村"]}, "所选的村中有一个已不再登记。"),
        ({"confirm": ""}, "请先勾选“我确认立即播出”"),
    ],
    ids=[
        "empty",
        "too-long",
        "title-too-long",
        "repeat-4",
        "repeat-not-a-number",
        "minutes-0",
        "minutes-over-a-day",
        "chosen-none",
        "unknown-village",
        "not-confirmed",
    ],
)
def test_bad_input_is_refused_plainly_and_nothing_is_sent(
    town: TownPanel, changes: dict[str, str | list[str]], message: str
) -> None:
    west = village(town.broker, WEST)
    try:
        chief = Browser(town.url, "chief")
        status, html = chief.post(PAGE, {**FORM, "to": "all", **changes})
        assert status == 400
        assert message in html and 'class="flash flash-error"' in html
        text = str(changes.get("text", FORM["text"]))
        if text.strip():
            assert f">{text}</textarea>" in html, "the text is kept to correct"
        assert town.kept() == []
        assert west.wait_messages(1, timeout=0.5) == []
    finally:
        west.close()


def test_with_the_broker_down_it_is_sent_by_sync_and_said_plainly(town: TownPanel) -> None:
    down = dataclasses.replace(
        town.settings, town=dataclasses.replace(town.settings.town, broker_port=free_port())
    )
    with serving(town_app(down, town.store)) as url:
        status, html = Browser(url, "chief").post(PAGE, {**FORM, "to": "all"})
    assert status == 200, html  # followed to the emergency's own page
    assert "镇里的消息服务器没有响应" in html and "下次与镇里同步时" in html
    ident = sent_id(html)
    assert ("东村", "no answer", "") in town.answers(ident)  # its row waits for the answer
    [kept] = emergency_relay.folder(town.settings.data_dir).glob("*/message.json")
    assert kept.parent.name == ident  # the villages' sync serves it


def test_a_station_without_villages_says_so_and_sends_nothing(town: TownPanel) -> None:
    with town.store.transaction() as conn:
        conn.execute("DELETE FROM villages")
    status, html = Browser(town.url, "chief").post(PAGE, {**FORM, "to": "all"})
    assert status == 400 and "这个站还没有登记任何村" in html
    assert town.kept() == []


def test_the_text_is_escaped_on_every_page(town: TownPanel) -> None:
    nasty = "<script>alert(1)</script>"
    chief = Browser(town.url, "chief")
    status, html = chief.post(PAGE, {**FORM, "to": "all", "text": nasty, "title": nasty})
    assert status == 200
    ident = sent_id(html)
    for path in (PAGE, f"{PAGE}/{ident}", "/fleet"):
        status, html = get(chief if path != "/fleet" else Browser(town.url, "rev"), path)
        assert status == 200, path
        assert nasty not in html and str(escape(nasty)) in html, path


def post_with_recording(
    browser: Browser, fields: dict[str, str], filename: str, data: bytes
) -> tuple[int, str]:
    """Send the form as a browser does with a file chosen (multipart)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in {**fields, "csrf_token": browser.token()}.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="recording"; '
        f'filename="{filename}"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        browser.url + PAGE,
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return browser.open(request)


def test_a_recording_goes_to_the_villages_instead_of_the_text_spoken(
    town: TownPanel, tmp_path: Path
) -> None:
    spoken = tmp_path / "chief.wav"
    EspeakEngine().synthesize("这是镇长的录音", spoken)
    west = village(town.broker, WEST)
    try:
        chief = Browser(town.url, "chief")
        fields = {**FORM, "to": "all", "text": "请听镇长讲话"}
        status, html = post_with_recording(chief, fields, "镇长.wav", spoken.read_bytes())
        assert status == 200, html
        assert "录音" in html
        [message] = west.wait_messages(1, timeout=10)
        public = load_signing_key(Path(town.settings.town.signing_key)).public
        heard = wire.decode(message.payload, [public])
        assert heard.text == "请听镇长讲话" and heard.audio.startswith(b"OggS")
        small = tmp_path / "heard.ogg"
        small.write_bytes(heard.audio)
        assert probe(small).duration == pytest.approx(probe(spoken).duration, abs=0.1)
    finally:
        west.close()


def test_a_file_that_is_not_a_recording_is_refused_and_nothing_is_sent(
    town: TownPanel,
) -> None:
    west = village(town.broker, WEST)
    try:
        chief = Browser(town.url, "chief")
        status, html = post_with_recording(chief, {**FORM, "to": "all"}, "x.wav", b"not audio")
        assert status == 400 and "录音没有收下" in html
        assert town.kept() == []
        assert west.wait_messages(1, timeout=0.5) == []
    finally:
        west.close()
