"""Importing a shared playlist on the panel: who may, what is refused and what the user reads."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.bundles.keys import SigningKey, generate_keys, load_signing_key
from playlists.content import playlist_table
from playlists.settings import Settings
from playlists.store import Store
from tests.bundle_kit import (
    bundle_entries,
    files_under,
    make_png,
    playlist_yaml,
    store_fingerprint,
    write_bundle,
    write_zip,
)
from tests.web_fixtures import client_as, fresh_token, make_app

ENGLISH = {"Accept-Language": "en"}
PICTURE_ITEMS = "  - image: media/poster.png\n    duration: 5\n  - pause: 1\n"


@pytest.fixture(scope="module")
def town_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    private, _ = generate_keys(tmp_path_factory.mktemp("keys"), "赤溪镇")
    return load_signing_key(private)


def picture_files() -> dict[str, bytes]:
    return {"playlist.yaml": playlist_yaml(PICTURE_ITEMS), "media/poster.png": make_png()}


def post(
    client: FlaskClient,
    content: bytes,
    name: str,
    token: str | None = "fresh",
    headers: dict[str, str] = ENGLISH,
) -> object:
    data: dict[str, object] = {"bundle": (io.BytesIO(content), name)}
    if token is not None:
        data["csrf_token"] = fresh_token(client) if token == "fresh" else token
    return client.post("/bundles/import", data=data, headers=headers)


def shown(client: FlaskClient, content: bytes, name: str = "shared.zip") -> str:
    response = post(client, content, name)
    assert response.status_code == 302  # type: ignore[attr-defined]
    return client.get("/playlists", headers=ENGLISH).get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "token", "status", "goes_to"),
    [
        pytest.param(None, "fresh", 302, "/login", id="anonymous-to-login"),
        pytest.param("reviewer", "fresh", 403, None, id="reviewer-forbidden"),
        pytest.param("operator", None, 400, None, id="no-csrf"),
        pytest.param("operator", "forged", 400, None, id="forged-csrf"),
    ],
)
def test_only_operators_with_the_form_may_import(
    settings: Settings,
    store: Store,
    tmp_path: Path,
    role: str | None,
    token: str | None,
    status: int,
    goes_to: str | None,
) -> None:
    app = make_app(settings, store)
    client = client_as(app, store, role)
    bundle = write_bundle(tmp_path / "b.zip", picture_files())
    before = store_fingerprint(store)
    response = post(client, bundle.read_bytes(), "b.zip", token)
    assert response.status_code == status  # type: ignore[attr-defined]
    if goes_to:
        assert goes_to in response.headers["Location"]  # type: ignore[attr-defined]
    assert store_fingerprint(store) == before


def test_a_bad_bundle_is_refused_with_its_problem(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app = make_app(settings, store)
    client = client_as(app, store, "operator")
    files = picture_files()
    changed = [(n, b"x" + d if n == "media/poster.png" else d) for n, d in bundle_entries(files)]
    before, on_disk = store_fingerprint(store), files_under(settings.data_dir)
    html = shown(client, write_zip(tmp_path / "b.zip", changed).read_bytes())
    assert "The bundle was not imported: a file in it was changed or damaged." in html
    assert str(escape("media/poster.png: ")) in html and "but manifest.json says" in html
    assert store_fingerprint(store) == before
    assert files_under(settings.data_dir) == on_disk


def test_a_path_out_of_the_bundle_is_named_in_chinese_too(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app = make_app(settings, store)
    client = client_as(app, store, "operator")
    bundle = write_zip(tmp_path / "b.zip", [*bundle_entries(picture_files()), ("../evil", b"x")])
    post(client, bundle.read_bytes(), "b.zip", headers={})  # the panel's default: Chinese
    html = client.get("/playlists").get_data(as_text=True)
    assert "节目包未导入：包里有文件名指向包的文件夹之外。" in html
    assert str(escape("entry '../evil': '..' leaves the bundle's folder")) in html


def test_an_unsigned_bundle_becomes_a_draft(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app = make_app(settings, store)
    client = client_as(app, store, "operator")
    html = shown(client, write_bundle(tmp_path / "b.zip", picture_files()).read_bytes())
    assert "Imported 镇共享节目 as a draft; send it for review." in html
    (row,) = playlist_table.list_playlists(store)
    assert (row["name"], row["review"], row["changed_by"]) == ("镇共享节目", "draft", "operator")


def test_a_signed_bundle_counts_as_approval_where_config_says_so(
    settings: Settings, store: Store, tmp_path: Path, town_key: SigningKey
) -> None:
    bundles = dataclasses.replace(
        settings.bundles, trusted_keys=(town_key.public.line,), signed_counts_as_approval=True
    )
    app = make_app(dataclasses.replace(settings, bundles=bundles), store)
    client = client_as(app, store, "operator")
    bundle = write_bundle(tmp_path / "b.zip", picture_files(), town_key)
    html = shown(client, bundle.read_bytes())
    assert "Imported 镇共享节目, approved by town key 赤溪镇." in html
    (row,) = playlist_table.list_playlists(store)
    assert (row["review"], row["reviewed_by"]) == ("approved", "town key 赤溪镇")


def test_a_bare_yaml_file_is_imported_as_a_draft(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    client = client_as(app, store, "operator")
    html = shown(client, playlist_yaml("  - pause: 3\n", "", "只有停顿"), "pause.yaml")
    assert "Imported 只有停顿 as a draft" in html
    assert [row["review"] for row in playlist_table.list_playlists(store)] == ["draft"]


def test_a_bundle_over_the_limit_is_refused_before_it_is_read(
    settings: Settings, store: Store
) -> None:
    small = dataclasses.replace(settings.bundles, max_bytes=1_000_000)
    app = make_app(dataclasses.replace(settings, bundles=small), store)
    client = client_as(app, store, "operator")
    html = shown(client, bytes(2_500_000))
    assert "The bundle is too big: at most 1 MB." in html
    assert playlist_table.list_playlists(store) == []
