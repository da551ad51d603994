"""`villagecast export`, `keys generate` and bundle imports: shared playlists from the town.

Whoever runs commands on the station is trusted like an admin: a bundle imported here
is approved to air unless --draft asks for a reviewer, and the import is audited as
``cli:<login name>``.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from playlists.bundles.bundle import export_bundle, import_bundle, read_bundle
from playlists.bundles.keys import generate_keys, load_signing_key, parse_public_key
from playlists.content import playlist_table
from playlists.content.ingest import Ingest
from playlists.errors import NotFoundError
from playlists.model import Review
from playlists.settings import Settings
from playlists.store import Store


def find_playlist(store: Store, name_or_id: str) -> int:
    """Return the id of the playlist with this name or, failing that, this id."""
    found = playlist_table.playlist_id_by_name(store, name_or_id)
    if found is not None:
        return found
    if name_or_id.isdigit() and store.query_one(
        "SELECT 1 FROM playlists WHERE id = ?", (int(name_or_id),)
    ):
        return int(name_or_id)
    raise NotFoundError(
        f"no playlist is named or numbered {name_or_id!r}; the playlists page lists them"
    )


def export(settings: Settings, playlist: str, out: Path, sign: Path | None) -> int:
    """Write a playlist, its media and schedule as a bundle; sign it with a town key."""
    key = load_signing_key(sign) if sign is not None else None
    store = Store.open(settings.db_path)
    summary = export_bundle(store, settings, find_playlist(store, playlist), out, key)
    signed = f", signed by key {summary.signed_by}" if summary.signed_by else ", not signed"
    print(
        f"exported {summary.name!r} ({summary.items} items, {summary.files - 1} media files) "
        f"to {out}: {summary.bytes} bytes{signed}"
    )
    return 0


def keys_generate(folder: Path, name: str) -> int:
    """Make a signing key pair; print the public line villages put in config.yaml."""
    private, public = generate_keys(folder, name)
    key = parse_public_key(public.read_text(encoding="utf-8"))
    print(f"private key: {private} (keep it secret; it signs bundles with --sign)")
    print(f"public key:  {public} (fingerprint {key.fingerprint})")
    print("villages trust it with this line under bundles.trusted_keys in config.yaml:")
    print(f'  - "{key.line}"')
    return 0


def import_bundle_file(settings: Settings, path: Path, *, draft: bool) -> int:
    """Check a bundle whole, then import it; approved unless draft (or the town approves)."""
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    review = Review.DRAFT if draft else Review.APPROVED
    with read_bundle(path, settings) as bundle:
        playlist_id = import_bundle(
            ingest,
            bundle,
            f"cli:{getpass.getuser()}",
            review,
            town_may_approve=not draft,
            may_emergency=True,  # the station's shell is trusted like an admin
        )
        spec, signer = bundle.spec, bundle.signer
    if draft:
        state = ", as a draft for review in the panel"
    elif signer and settings.bundles.signed_counts_as_approval:
        state = ", approved by its signature"
    else:
        state = ", approved"
    signed = f", signed by town key {signer.label}" if signer else ", unsigned"
    print(
        f"imported bundle {spec.name!r} (id {playlist_id}) with {len(spec.items)} items "
        f"and {len(spec.schedule)} schedule entries{signed}{state}"
    )
    return 0
