"""Playlist bundles: a round trip between two stations, signatures, and a generated corpus of
hostile or broken bundles, each refused whole with its own error and leaving no trace."""

from __future__ import annotations

import dataclasses
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from playlists.bundles.bundle import export_bundle, import_bundle, read_bundle
from playlists.bundles.keys import SigningKey, generate_keys, load_signing_key
from playlists.content import playlist_table
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import parse_playlist
from playlists.errors import (
    BundleChecksumError,
    BundleDuplicateError,
    BundleError,
    BundleFormatError,
    BundleLinkError,
    BundleManifestError,
    BundleMediaError,
    BundlePathError,
    BundlePlaylistError,
    BundleSignatureError,
    BundleTooLargeError,
    BundleUntrustedError,
)
from playlists.model import ItemKind, Review
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.bundle_kit import (
    bundle_entries,
    declare_size,
    files_under,
    good_files,
    make_png,
    make_wav,
    manifest_of,
    mark_encrypted,
    playlist_yaml,
    special,
    store_fingerprint,
    symlink,
    write_bundle,
    write_zip,
)
from tests.conftest import make_settings


@dataclasses.dataclass(frozen=True)
class Kit:
    """What the bundle builders need: media bytes, a trusted and a stranger's key, a folder."""

    wav: bytes
    png: bytes
    town: SigningKey
    stranger: SigningKey
    folder: Path


@pytest.fixture(scope="module")
def media() -> tuple[bytes, bytes]:
    return make_wav(), make_png()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, SigningKey]:
    folder = tmp_path_factory.mktemp("keys")
    town, _ = generate_keys(folder, "赤溪镇")
    stranger, _ = generate_keys(folder, "stranger")
    return load_signing_key(town), load_signing_key(stranger)


@pytest.fixture
def kit(media: tuple[bytes, bytes], keys: tuple[SigningKey, SigningKey], tmp_path: Path) -> Kit:
    folder = tmp_path / "made"
    folder.mkdir()
    return Kit(media[0], media[1], keys[0], keys[1], folder)


def trusting(settings: Settings, key: SigningKey, **changes: object) -> Settings:
    bundles = dataclasses.replace(settings.bundles, trusted_keys=(key.public.line,), **changes)
    return dataclasses.replace(settings, bundles=bundles)


def import_file(ingest: Ingest, path: Path, review: Review = Review.DRAFT) -> int:
    with read_bundle(path, ingest.settings) as bundle:
        return import_bundle(ingest, bundle, "村广播员", review)


# -- the corpus: each builder writes one bad bundle and returns its path -------------------

Builder = Callable[[Kit], Path]


def entries(*extra: tuple[str | zipfile.ZipInfo, bytes]) -> Builder:
    """A good bundle plus extra raw entries."""
    return lambda k: write_zip(
        k.folder / "b.zip", [*bundle_entries(good_files(k.wav, k.png)), *extra]
    )


def with_files(**changes: bytes) -> Builder:
    """A bundle whose manifest matches its files, some of them changed."""
    return lambda k: write_bundle(k.folder / "b.zip", good_files(k.wav, k.png, **_names(changes)))


def _names(changes: dict[str, bytes]) -> dict[str, bytes]:
    return {name.replace("__", "/").replace("_dot_", "."): data for name, data in changes.items()}


def yaml_of(items: str = "", schedule: str = "", text: bytes | None = None) -> Builder:
    def build(k: Kit) -> Path:
        data = text if text is not None else playlist_yaml(items or "  - pause: 1\n", schedule)
        return write_bundle(k.folder / "b.zip", {"playlist.yaml": data})

    return build


def manifest_says(change: Callable[[dict[str, object]], object]) -> Builder:
    def build(k: Kit) -> Path:
        files = good_files(k.wav, k.png)
        document = json.loads(manifest_of(files))
        change(document)
        manifest = json.dumps(document).encode("utf-8")
        return write_zip(k.folder / "b.zip", bundle_entries(files, manifest=manifest))

    return build


def without(name: str, key: bool = False) -> Builder:
    def build(k: Kit) -> Path:
        made = bundle_entries(good_files(k.wav, k.png), k.town if key else None)
        return write_zip(k.folder / "b.zip", [e for e in made if e[0] != name])

    return build


def too_many_files(k: Kit) -> Path:
    tiny = [(f"media/{n}.txt", b"x") for n in range(10_000)]
    return write_zip(k.folder / "b.zip", [*bundle_entries(good_files(k.wav, k.png)), *tiny])


def ratio_bomb(k: Kit) -> Path:
    return write_bundle(
        k.folder / "b.zip", good_files(k.wav, k.png, **{"media/chime.wav": bytes(10 << 20)})
    )


def declared_gigabyte(k: Kit) -> Path:
    """1 GiB of zeros as the zip's directory declares it; only 1 MiB is really packed."""
    path = write_bundle(
        k.folder / "b.zip", good_files(k.wav, k.png, **{"media/chime.wav": bytes(1 << 20)})
    )
    declare_size(path, "media/chime.wav", 1 << 30)
    return path


def size_lie(k: Kit) -> Path:
    """An entry that unpacks to more than it declares."""
    path = write_bundle(k.folder / "b.zip", good_files(k.wav, k.png))
    declare_size(path, "media/chime.wav", 100)
    return path


def encrypted(k: Kit) -> Path:
    path = write_bundle(k.folder / "b.zip", good_files(k.wav, k.png))
    mark_encrypted(path, "media/poster.png")
    return path


def not_a_zip(k: Kit) -> Path:
    path = k.folder / "b.zip"
    path.write_bytes("这不是压缩包".encode() * 100)
    return path


def signed_by(key_of: Callable[[Kit], SigningKey]) -> Builder:
    return lambda k: write_bundle(k.folder / "b.zip", good_files(k.wav, k.png), key_of(k))


def bad_signature(document: Callable[[Kit], bytes]) -> Builder:
    def build(k: Kit) -> Path:
        made = bundle_entries(good_files(k.wav, k.png))
        return write_zip(k.folder / "b.zip", [*made, ("manifest.sig", document(k))])

    return build


def signature_of_other_manifest(k: Kit) -> bytes:
    from playlists.bundles.manifest import build_signature

    return build_signature(k.town, b"{}")


def short_signature(k: Kit) -> bytes:
    document = {
        "format": "villagecast/signature@1",
        "key": k.town.public.line,
        "signature": "AAAA",
    }
    return json.dumps(document).encode()


ALIAS_BOMB = (
    "  - pause: 1\n"
    "schedule:\n"
    "  - {start: 2023-03-28, end: 2023-04-07, times: &a [[1, 1], [1, 1]], weekdays: *a}\n"
)
LONG_TEXT = "  - announcement: " + "长" * 2001 + "\n"

GBK_YAML = "format: villagecast/playlist@1\nname: 广播\nitems:\n  - announcement: 你好\n"
BACKWARDS = "schedule:\n  - {start: 2023-04-07, end: 2023-03-28, times: ['08:00']}\n"
ABSENT = {"media/gone.wav": {"sha256": "0" * 64, "size": 1}}
BUNDLE_2 = "villagecast/bundle@2"


def case(name: str, build: Builder, error: type[BundleError], message: str) -> object:
    return pytest.param(build, error, message, id=name)


def files_of(document: dict[str, object]) -> dict[str, dict[str, object]]:
    files = document["files"]
    assert isinstance(files, dict)
    return files


CORPUS = [
    case("dotdot", entries(("../x", b"x")), BundlePathError, r"'\.\./x': '\.\.' leaves"),
    case("dotdot-inside", entries(("media/../../x", b"x")), BundlePathError, r"'\.\.' leaves"),
    case("absolute", entries(("/etc/x", b"x")), BundlePathError, "'/etc/x': an absolute path"),
    case("drive-letter", entries(("C:\\x", b"x")), BundlePathError, "drive letter"),
    case("backslash", entries(("a\\..\\..\\x", b"x")), BundlePathError, "backslashes"),
    case("control-char", entries(("media/a\x01.wav", b"x")), BundlePathError, "control char"),
    case(
        "symlink",
        entries((symlink("media/link.wav"), b"/etc/passwd")),
        BundleLinkError,
        "'media/link.wav': is a symbolic link",
    ),
    case("fifo", entries((special("media/p", stat.S_IFIFO), b"")), BundleLinkError, "special"),
    case(
        "duplicate",
        entries(("media/chime.wav", b"other")),
        BundleDuplicateError,
        "already has 'media/chime.wav'",
    ),
    case(
        "duplicate-case",
        entries(("MEDIA/Chime.WAV", b"other")),
        BundleDuplicateError,
        "'MEDIA/Chime.WAV': the bundle already has",
    ),
    case(
        "file-and-folder",
        entries(("media/chime.wav/x", b"x")),
        BundleDuplicateError,
        "both a file and its folder",
    ),
    case(
        "manifest-twice",
        entries(("manifest.json", b"{}")),
        BundleDuplicateError,
        "already has 'manifest.json'",
    ),
    case("10000-files", too_many_files, BundleTooLargeError, "holds 10004 files; at most 300"),
    case("zip-bomb-ratio", ratio_bomb, BundleTooLargeError, r"compressed \d+:1; at most 100:1"),
    case("zip-bomb-1gb", declared_gigabyte, BundleTooLargeError, "would be over 500000000 bytes"),
    case("size-lie", size_lie, BundleFormatError, "'media/chime.wav': is damaged"),
    case("encrypted", encrypted, BundleFormatError, "'media/poster.png': is encrypted"),
    case("not-a-zip", not_a_zip, BundleFormatError, "not a zip file"),
    case("no-manifest", without("manifest.json"), BundleManifestError, "has no manifest.json"),
    case(
        "manifest-version",
        manifest_says(lambda d: d.update(format=BUNDLE_2)),
        BundleManifestError,
        "'format' must be 'villagecast/bundle@1'",
    ),
    case(
        "manifest-malformed",
        manifest_says(lambda d: d.update(files=[])),
        BundleManifestError,
        "'files' must map",
    ),
    case(
        "file-not-in-manifest",
        manifest_says(lambda d: files_of(d).pop("media/poster.png")),
        BundleManifestError,
        "'media/poster.png' is in the bundle but not in manifest.json",
    ),
    case(
        "manifest-lists-absent-file",
        manifest_says(lambda d: files_of(d).update(ABSENT)),
        BundleManifestError,
        "lists 'media/gone.wav', which is not in the bundle",
    ),
    case(
        "checksum",
        manifest_says(lambda d: files_of(d)["media/chime.wav"].update(sha256="0" * 64)),
        BundleChecksumError,
        "media/chime.wav: its SHA-256 is",
    ),
    case(
        "size-mismatch",
        manifest_says(lambda d: files_of(d)["media/chime.wav"].update(size=1)),
        BundleChecksumError,
        r"media/chime.wav: \d+ bytes, but manifest.json says 1",
    ),
    case(
        "yaml-not-utf8",
        yaml_of(text=GBK_YAML.encode("gbk")),
        BundlePlaylistError,
        "playlist.yaml: is not UTF-8 text",
    ),
    case(
        "yaml-version",
        yaml_of(text=b"format: villagecast/playlist@2\nname: x\nitems: [{pause: 1}]\n"),
        BundlePlaylistError,
        "'format' must be 'villagecast/playlist@1'",
    ),
    case(
        "unknown-kind",
        yaml_of("  - video: media/a.mp4\n"),
        BundlePlaylistError,
        "item 1: must have exactly one of: announcement, audio, image, pause",
    ),
    case(
        "text-too-long",
        yaml_of(LONG_TEXT),
        BundlePlaylistError,
        "'announcement' has 2001 characters; at most 2000",
    ),
    case(
        "schedule-ends-first",
        yaml_of(schedule=BACKWARDS),
        BundlePlaylistError,
        "'end' 2023-03-28 is before 'start' 2023-04-07",
    ),
    case(
        "yaml-alias",
        yaml_of(text=playlist_yaml(schedule=ALIAS_BOMB)),
        BundlePlaylistError,
        r"line 12: YAML aliases \(\*a\) are not allowed",
    ),
    case(
        "missing-media",
        with_files(playlist_dot_yaml=playlist_yaml("  - audio: media/gone.wav\n")),
        BundleMediaError,
        r"item 1 \(audio\): media file 'media/gone.wav' is not in the bundle",
    ),
    case(
        "extra-media",
        with_files(media__extra_dot_png=b"x"),
        BundleMediaError,
        "'media/extra.png' is in the bundle but no item",
    ),
    case(
        "not-audio",
        with_files(media__chime_dot_wav="这不是声音".encode()),
        BundleMediaError,
        r"item 2 \(audio\): chime.wav: not an audio file",
    ),
    case(
        "not-an-image",
        with_files(media__poster_dot_png=b"GIF89a"),
        BundleMediaError,
        r"item 3 \(image\): poster.png",
    ),
    case(
        "untrusted-key",
        signed_by(lambda k: k.stranger),
        BundleUntrustedError,
        r"signed by key [0-9a-f]{16} \(stranger\), which is not in bundles.trusted_keys",
    ),
    case(
        "signature-garbage",
        bad_signature(lambda k: b"not json"),
        BundleSignatureError,
        "manifest.sig: is not valid JSON",
    ),
    case(
        "signature-short",
        bad_signature(short_signature),
        BundleSignatureError,
        "'signature' must be 64 bytes, not 3",
    ),
    case(
        "signature-wrong",
        bad_signature(signature_of_other_manifest),
        BundleSignatureError,
        "does not match manifest.json",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), CORPUS)
def test_bad_bundle_is_refused_whole_and_leaves_no_trace(
    kit: Kit,
    store: Store,
    settings: Settings,
    tmp_path: Path,
    build: Builder,
    error: type[BundleError],
    message: str,
) -> None:
    ingest = Ingest(store, trusting(settings, kit.town))
    ingest.import_playlist(parse_playlist(playlist_yaml("  - pause: 1\n", "", "已有")), None, "x")
    path = build(kit)
    before, files = store_fingerprint(store), files_under(settings.data_dir)
    with pytest.raises(error, match=message):
        import_file(ingest, path)
    assert store_fingerprint(store) == before
    assert files_under(settings.data_dir) == files
    assert not (tmp_path / "x").exists() and not Path("/etc/x").exists()
    assert not (tmp_path / "made" / "x").exists()


def test_the_corpus_covers_every_problem() -> None:
    classes = {param.values[1] for param in CORPUS}  # type: ignore[attr-defined]
    assert len(CORPUS) >= 20
    assert set(BundleError.__subclasses__()) <= classes


def test_unsigned_bundle_refused_when_a_signature_is_required(
    kit: Kit, store: Store, settings: Settings
) -> None:
    ingest = Ingest(store, trusting(settings, kit.town, require_signature=True))
    path = write_bundle(kit.folder / "b.zip", good_files(kit.wav, kit.png))
    before = store_fingerprint(store)
    with pytest.raises(BundleSignatureError, match=r"not signed .* bundles\.require_signature"):
        import_file(ingest, path)
    assert store_fingerprint(store) == before


def test_limits_come_from_config(kit: Kit, store: Store, settings: Settings) -> None:
    small = dataclasses.replace(settings.bundles, max_bytes=1_000_000)
    ingest = Ingest(store, dataclasses.replace(settings, bundles=small))
    path = write_bundle(
        kit.folder / "b.zip", good_files(kit.wav, kit.png, **{"media/chime.wav": make_wav(30)})
    )
    with pytest.raises(BundleTooLargeError, match="bytes; at most 1000000"):
        import_file(ingest, path)


# -- signed bundles -----------------------------------------------------------------------


def test_signed_bundle_imports_and_a_flipped_byte_is_refused(
    kit: Kit, store: Store, settings: Settings
) -> None:
    ingest = Ingest(store, trusting(settings, kit.town, signed_counts_as_approval=True))
    files = good_files(kit.wav, kit.png)
    entries = bundle_entries(files, kit.town)
    flipped = bytearray(kit.wav)
    flipped[len(flipped) // 2] ^= 0x01
    tampered = [(n, bytes(flipped) if n == "media/chime.wav" else d) for n, d in entries]
    before = store_fingerprint(store)
    with pytest.raises(BundleChecksumError, match=r"media/chime\.wav: its SHA-256"):
        import_file(ingest, write_zip(kit.folder / "tampered.zip", tampered))
    assert store_fingerprint(store) == before

    playlist_id = import_file(ingest, write_zip(kit.folder / "good.zip", entries))
    row = next(r for r in playlist_table.list_playlists(store) if r["id"] == playlist_id)
    assert (row["review"], row["reviewed_by"], row["playable"]) == (
        "approved",
        "town key 赤溪镇",
        1,
    )
    (logged,) = [r for r in audit.rows(store) if r.action == "import"]
    assert "approved by town key 赤溪镇" in logged.detail
    assert "bundle signed by town key 赤溪镇" in logged.detail


def test_signed_bundle_is_a_draft_unless_the_signature_counts(
    kit: Kit, store: Store, settings: Settings
) -> None:
    ingest = Ingest(store, trusting(settings, kit.town))
    playlist_id = import_file(
        ingest, write_bundle(kit.folder / "b.zip", good_files(kit.wav, kit.png), kit.town)
    )
    row = next(r for r in playlist_table.list_playlists(store) if r["id"] == playlist_id)
    assert (row["review"], row["playable"]) == ("draft", 0)


# -- round trip ---------------------------------------------------------------------------


@pytest.mark.slow
def test_export_then_import_on_another_station_gives_the_same_playlist(
    kit: Kit, tmp_path: Path
) -> None:
    town = make_settings(tmp_path / "town")
    town_store = Store.open(town.db_path)
    source = tmp_path / "source"
    (source / "media").mkdir(parents=True)
    (source / "media" / "chime.wav").write_bytes(kit.wav)
    (source / "media" / "poster.png").write_bytes(kit.png)
    spec = parse_playlist(playlist_yaml())
    playlist_id = Ingest(town_store, town).import_playlist(
        spec, source, "town", review=Review.APPROVED
    )
    bundle = tmp_path / "out" / "shared.zip"
    bundle.parent.mkdir()
    summary = export_bundle(town_store, town, playlist_id, bundle, kit.town)
    assert (summary.items, summary.files, summary.signed_by) == (4, 3, "赤溪镇")
    again = tmp_path / "again.zip"
    export_bundle(town_store, town, playlist_id, again, kit.town)
    assert again.read_bytes() == bundle.read_bytes()  # reproducible, signature included

    village = trusting(make_settings(tmp_path / "village"), kit.town)
    village_store = Store.open(village.db_path)
    imported = import_file(Ingest(village_store, village), bundle)

    mine = playlist_table.get_playlist(town_store, playlist_id, town.media_dir)
    theirs = playlist_table.get_playlist(village_store, imported, village.media_dir)
    assert theirs.name == mine.name
    assert _shape(theirs.items) == _shape(mine.items)
    by_kind = {item.kind: item for item in theirs.items}
    original = {item.kind: item for item in mine.items}
    # Speech is made again from the same text by the same engine; pictures are copied.
    for kind in (ItemKind.ANNOUNCEMENT, ItemKind.IMAGE):
        assert by_kind[kind].media_sha256 == original[kind].media_sha256
    # A recording is leveled again on import, which is not bit-exact: it sounds the same
    # length, and the bundle carried the town's stored bytes.
    assert by_kind[ItemKind.AUDIO].duration == pytest.approx(
        original[ItemKind.AUDIO].duration, abs=0.05
    )
    with zipfile.ZipFile(bundle) as archive:
        listed = json.loads(archive.read("manifest.json"))["files"]
    assert {entry["sha256"] for entry in listed.values()} >= {
        original[ItemKind.AUDIO].media_sha256,
        original[ItemKind.IMAGE].media_sha256,
    }
    assert _schedules(village_store) == _schedules(town_store)


def _shape(items: tuple[object, ...]) -> list[tuple[object, ...]]:
    return [
        (i.kind, i.text, i.slide, i.repeat, round(i.duration, 1))  # type: ignore[attr-defined]
        for i in items
    ]


def _schedules(store: Store) -> list[tuple[object, ...]]:
    return [
        (e.start, e.end, e.times, e.weekdays, e.priority, e.on_interrupt, e.wait_seconds)
        for e in entry_table.schedule_entries(store)
    ]


def test_export_writes_a_readable_manifest_and_playlist(
    kit: Kit, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = Ingest(store, settings).import_playlist(
        parse_playlist(playlist_yaml("  - pause: 2.5\n", "")), None, "x"
    )
    out = tmp_path / "pause.zip"
    export_bundle(store, settings, playlist_id, out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "playlist.yaml"]
        spec = parse_playlist(archive.read("playlist.yaml"))
        manifest = json.loads(archive.read("manifest.json"))
    assert [item.duration for item in spec.items] == [2.5]
    assert manifest["format"] == "villagecast/bundle@1"
    assert set(manifest["files"]) == {"playlist.yaml"}
