"""Errors raised by the domain core.

VillagecastError
├── ConfigError          config.yaml is missing, unreadable or has a bad key (one line)
├── PlaylistFormatError  a playlist YAML names the item and field that is wrong
├── NotFoundError        a playlist, announcement or schedule id that does not exist
└── ContentError         content that cannot be saved (empty text, unknown media, ...)
"""


class VillagecastError(Exception):
    """Base of every error villagecast reports to a user."""


class ConfigError(VillagecastError):
    """config.yaml cannot be used."""


class PlaylistFormatError(VillagecastError):
    """A playlist file is not a valid villagecast/playlist@1 document."""


class NotFoundError(VillagecastError):
    """A thing named by id does not exist."""


class ContentError(VillagecastError):
    """Content cannot be saved as given."""
