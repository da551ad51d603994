"""The town's side: sharing playlists, its villages, their as-run rows and the fleet view."""
