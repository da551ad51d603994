"""Playlist bundles: keys, manifest, unpacking, reading and export."""
