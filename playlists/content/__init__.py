"""Content and its life: ingest, the catalog, playlists, editing and review."""
