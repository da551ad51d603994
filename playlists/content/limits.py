"""How long content may be, declared once for every door.

The panel's forms and API, the YAML format (and so bundles and the town's sync) and
the core's own checks all read these; schedule caps are in playlists/schedule/limits.py.
"""

from __future__ import annotations

MAX_TITLE = 100  # an announcement's title, as the slides show it
MAX_ANNOUNCEMENT_TEXT = 2000  # the words an announcement speaks (and shows)
MAX_EMERGENCY_TEXT = 500  # an emergency alert: about two minutes spoken, not a programme
MAX_PLAYLIST_NAME = 100
MAX_DESCRIPTION = 500  # a playlist's description, in the editor
MAX_SLIDE_TITLE = 100
# A slide written in the editor; a slide that shows an announcement's own words (and one
# in a YAML file or bundle) holds up to MAX_ANNOUNCEMENT_TEXT.
MAX_SLIDE_BODY = 500
MAX_ITEMS = 200  # items in one playlist from a YAML file or bundle
MAX_REPEAT = 20  # times one item plays in a row
MAX_ITEM_SECONDS = 600.0  # a pause or a picture on the screens
