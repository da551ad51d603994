"""Content and its life: ingest, the media, announcement and playlist tables, editing and review."""
