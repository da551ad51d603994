"""`villagecast keys generate`, `export` and `import` of bundles, run as a user runs them."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from playlists.content import playlist_table
from playlists.schedule import entry_table
from playlists.store import Store
from tests.bundle_kit import make_png
from tests.scheduler.test_cli import villagecast, write_config

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

PLAYLIST = (
    "format: villagecast/playlist@1\n"
    "name: 镇宣传画\n"
    "items:\n"
    "  - image: media/poster.png\n"
    "    duration: 4\n"
    "  - pause: 1\n"
    "schedule:\n"
    "  - {start: 2023-03-28, end: 2023-04-07, times: ['12:00']}\n"
)


def site(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True)
    config = write_config(folder)
    if extra:
        config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


def playlists_of(config: Path) -> list[dict[str, object]]:
    db = config.parent / "data" / "villagecast.db"
    if not db.exists():
        return []
    return [dict(row) for row in playlist_table.list_playlists(Store.open(db))]


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A town site with one playlist, its signing key, and the key's public line."""
    folder = tmp_path_factory.mktemp("town")
    config = site(folder / "site")
    source = folder / "source"
    (source / "media").mkdir(parents=True)
    (source / "media" / "poster.png").write_bytes(make_png())
    (source / "playlist.yaml").write_text(PLAYLIST, encoding="utf-8")
    imported = villagecast("import", str(source / "playlist.yaml"), config=config)
    assert imported.returncode == 0, imported.stderr
    made = villagecast("keys", "generate", "--out", str(folder / "keys"), "--name", "town")
    assert made.returncode == 0, made.stderr
    line = (folder / "keys" / "town.pub").read_text(encoding="utf-8").strip()
    return config, folder / "keys" / "town.key", line


def test_keys_generate_writes_a_secret_key_and_never_overwrites(
    town: tuple[Path, Path, str],
) -> None:
    _, private, line = town
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert line.startswith("villagecast-ed25519 ") and line.endswith(" town")
    before = private.read_bytes()
    again = villagecast("keys", "generate", "--out", str(private.parent), "--name", "town")
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "already exists" in again.stderr
    assert private.read_bytes() == before


def test_signed_bundle_travels_from_town_to_village(
    town: tuple[Path, Path, str], tmp_path: Path
) -> None:
    config, private, line = town
    bundle = tmp_path / "shared.zip"
    exported = villagecast(
        "export", "镇宣传画", "--out", str(bundle), "--sign", str(private), config=config
    )
    assert exported.returncode == 0, exported.stderr
    assert "1 media files" in exported.stdout and "signed by key town" in exported.stdout
    with zipfile.ZipFile(bundle) as archive:
        assert "manifest.sig" in archive.namelist()

    extra = f'bundles:\n  trusted_keys: ["{line}"]\n  signed_counts_as_approval: true\n'
    village = site(tmp_path / "village", extra)
    result = villagecast("import", str(bundle), config=village)
    assert result.returncode == 0, result.stderr
    assert "signed by town key town, approved by its signature" in result.stdout
    (row,) = playlists_of(village)
    assert (row["name"], row["review"], row["reviewed_by"]) == (
        "镇宣传画",
        "approved",
        "town key town",
    )


def test_export_by_id_without_a_key_is_unsigned(
    town: tuple[Path, Path, str], tmp_path: Path
) -> None:
    config, _, _ = town
    bundle = tmp_path / "plain.zip"
    result = villagecast("export", "1", "--out", str(bundle), config=config)
    assert result.returncode == 0, result.stderr
    assert "not signed" in result.stdout
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "manifest.sig" not in names
    assert set(manifest["files"]) == set(names) - {"manifest.json"}


def tampered(bundle: Path, out: Path) -> Path:
    """Copy a bundle with one byte of its picture changed."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith(".png"):
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            target.writestr(name, data)
    return out


@pytest.mark.parametrize(
    ("trusted", "change", "message"),
    [
        pytest.param(True, True, "its SHA-256 is", id="one-byte-changed"),
        pytest.param(False, False, "which is not in bundles.trusted_keys", id="untrusted"),
    ],
)
def test_refused_bundle_is_one_line_and_imports_nothing(
    town: tuple[Path, Path, str], tmp_path: Path, trusted: bool, change: bool, message: str
) -> None:
    config, private, line = town
    bundle = tmp_path / "shared.zip"
    exported = villagecast(
        "export", "镇宣传画", "--out", str(bundle), "--sign", str(private), config=config
    )
    assert exported.returncode == 0, exported.stderr
    if change:
        bundle = tampered(bundle, tmp_path / "changed.zip")
    village = site(
        tmp_path / "village", f'bundles: {{trusted_keys: ["{line}"]}}\n' if trusted else ""
    )
    result = villagecast("import", str(bundle), config=village)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert playlists_of(village) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("export", "没有这个", "--out", "x.zip"), "no playlist is named", id="unknown"
        ),
        pytest.param(
            ("export", "镇宣传画", "--out", "x.zip", "--sign", "config.yaml"),
            "is not a 'villagecast-ed25519-private' key file",
            id="not-a-key",
        ),
    ],
)
def test_export_errors_are_one_line(
    town: tuple[Path, Path, str], args: tuple[str, ...], message: str
) -> None:
    config, _, _ = town
    argv = [str(config.parent / a) if a in ("x.zip", "config.yaml") else a for a in args]
    result = villagecast(*argv, config=config)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (config.parent / "x.zip").exists()


@pytest.mark.parametrize("as_bundle", [False, True], ids=["yaml", "unsigned-bundle"])
def test_the_station_shell_holds_the_emergency_right(tmp_path: Path, as_bundle: bool) -> None:
    """Whoever runs commands on the station is trusted like an admin (emergency_right.py)."""
    config = site(tmp_path / "site")
    source = tmp_path / "source"
    (source / "media").mkdir(parents=True)
    (source / "media" / "poster.png").write_bytes(make_png())
    emergency = PLAYLIST.replace("times: ['12:00']", "times: ['03:00'], priority: emergency")
    (source / "playlist.yaml").write_text(emergency, encoding="utf-8")
    path = source / "playlist.yaml"
    if as_bundle:
        maker = site(tmp_path / "maker")
        plain = villagecast("import", str(path), config=maker)
        assert plain.returncode == 0, plain.stderr
        path = tmp_path / "alert.zip"
        made = villagecast("export", "1", "--out", str(path), config=maker)
        assert made.returncode == 0, made.stderr
    result = villagecast("import", str(path), config=config)
    assert result.returncode == 0, result.stderr
    store = Store.open(config.parent / "data" / "villagecast.db")
    assert [e.priority.value for e in entry_table.schedule_entries(store)] == ["emergency"]
