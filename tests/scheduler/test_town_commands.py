"""`villagecast village add|list|remove` and `share`/`unshare`, run as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from playlists.bundles.keys import generate_keys
from playlists.content import playlist_table
from playlists.model import ItemKind, Review
from playlists.record import audit
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.town import broker_passwords, broker_setup, emergency_relay, sharing, villages
from tests.broker_kit import free_port
from tests.scheduler.test_cli import villagecast, write_config
from tests.web_fixtures import NOW

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


def test_village_add_prints_the_token_once_and_list_and_remove(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    added = villagecast("village", "add", "东村", config=config)
    assert added.returncode == 0, added.stderr
    token = re.search(r"device token: (vcd_\S+)", added.stdout)
    assert token
    store = Store.open(tmp_path / "data" / "villagecast.db")
    assert villages.verify(store, token[1]) == villages.Device(1, "东村")

    listed = villagecast("village", "list", config=config)
    assert "东村" in listed.stdout and "never" in listed.stdout
    assert token[1] not in listed.stdout

    twice = villagecast("village", "add", "东村", config=config)
    assert (twice.returncode, twice.stderr.count("\n")) == (1, 1)
    assert "already exists" in twice.stderr

    removed = villagecast("village", "remove", "东村", config=config)
    assert removed.returncode == 0, removed.stderr
    assert villages.verify(store, token[1]) is None
    gone = villagecast("village", "remove", "东村", config=config)
    assert gone.returncode == 1 and "no village is named" in gone.stderr
    actions = [(r.action, r.username.startswith("cli:")) for r in audit.rows(store)]
    assert actions.count(("create", True)) == 1 and actions.count(("delete", True)) == 1


def test_broker_init_then_village_add_and_remove_keep_the_password_file(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    files = broker_setup.BrokerFiles.in_data_dir(tmp_path / "data")
    made = villagecast("broker", "init", "--host", "town.example", config=config)
    assert made.returncode == 0, made.stderr
    assert str(files.ca_cert) in made.stdout
    assert "listener 8883\n" in files.config.read_text()
    again = villagecast("broker", "init", "--host", "town.example", config=config)
    assert again.returncode == 1 and "already exists" in again.stderr

    added = villagecast("village", "add", "东村", config=config)
    token = re.search(r"device token: (vcd_\S+)", added.stdout)
    user = re.search(r"broker user: (village-[0-9a-f]{16})", added.stdout)
    assert token and user and user[1] == broker_topics.user_for_token(token[1])
    entries = broker_passwords.read_entries(files.passwords)
    assert sorted(entries) == sorted(["town", user[1]])
    assert broker_passwords.check_password(token[1], entries[user[1]])

    removed = villagecast("village", "remove", "东村", config=config)
    assert removed.returncode == 0, removed.stderr
    assert list(broker_passwords.read_entries(files.passwords)) == ["town"]


def test_share_and_unshare_by_name_only_approved_playlists(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = Store.open(tmp_path / "data" / "villagecast.db")
    for name, review in (("宣传", Review.APPROVED), ("草稿", Review.DRAFT)):
        playlist_table.add_playlist(
            store,
            name,
            "",
            [playlist_table.NewItem(ItemKind.PAUSE, 5.0)],
            NOW,
            review=review,
            created_by="test",
        )
    shared = villagecast("share", "宣传", config=config)
    assert shared.returncode == 0, shared.stderr
    assert sharing.shared_ids(store) == {1}
    draft = villagecast("share", "草稿", config=config)
    assert draft.returncode == 1 and "not approved" in draft.stderr
    unshared = villagecast("unshare", "1", config=config)
    assert unshared.returncode == 0, unshared.stderr
    assert sharing.shared_ids(store) == set()
    unknown = villagecast("unshare", "没有", config=config)
    assert unknown.returncode == 1 and "no playlist is named" in unknown.stderr


@pytest.mark.parametrize(
    ("engines", "voice"),
    [
        pytest.param("[espeak-ng]", "", id="villages-speak-it"),
        pytest.param("[fastspeech2, espeak-ng]", "fastspeech2", id="spoken-at-the-town"),
    ],
)
def test_emergency_with_the_broker_down_goes_by_sync_and_says_so(
    tmp_path: Path, engines: str, voice: str
) -> None:
    private, _ = generate_keys(tmp_path / "keys", "赤溪镇")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"tts: {{engines: {engines}}}\naudio: {{sink: recording}}\n"
        f"town: {{signing_key: {private}, broker_port: {free_port()}}}\n",
        encoding="utf-8",
    )
    assert villagecast("broker", "init", "--host", "127.0.0.1", config=config).returncode == 0
    assert villagecast("village", "add", "东村", config=config).returncode == 0
    sent = villagecast("emergency", "河水上涨。", "--watch", "0", config=config)  # no broker runs
    assert sent.returncode == 1, sent.stderr  # 东村 has not answered (yet)
    assert "the town's broker is down" in sent.stdout
    assert [line.split()[:2] for line in sent.stdout.splitlines()[-1:]] == [["东村", "no"]]
    said = f"spoken at the town by {voice}; the villages play that speech"
    assert (said in sent.stdout) is bool(voice), sent.stdout
    [kept] = emergency_relay.folder(tmp_path / "data").glob("*/message.json")
    payload = json.loads(kept.read_text(encoding="utf-8"))["payload"]
    assert "河水上涨。" in payload
    assert ('\\"audio\\"' in payload) is bool(voice), "the town's speech travels with it"
    store = Store.open(tmp_path / "data" / "villagecast.db")
    [row] = audit.rows(store, action="play")
    assert "(broker down: by sync)" in row.detail


def test_an_emergency_with_a_file_that_is_not_a_recording_sends_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    bad = tmp_path / "speech.mp3"
    bad.write_text("not audio", encoding="utf-8")
    result = villagecast("emergency", "请听广播", "--recording", str(bad), config=config)
    assert result.returncode == 1 and "not an audio file" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
