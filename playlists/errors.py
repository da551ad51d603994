"""Errors raised by the domain core.

VillagecastError
├── ConfigError          config.yaml is missing, unreadable or has a bad key (one line)
├── PlaylistFormatError  a playlist YAML names the item and field that is wrong
├── NotFoundError        a playlist, announcement or schedule id that does not exist
├── ContentError         content that cannot be saved (empty text, unknown media, ...)
│   ├── EmergencyRightError  priority: emergency from someone without the emergency right
│   └── ScheduleLimitError   a schedule over a cap of playlists/schedule/limits.py
├── EvidenceError        an evidence photo or video refused (bad file, field or limit)
├── KeyFileError         a bundle signing key file that is missing, malformed or in the way
└── BundleError          a playlist bundle (zip) refused whole; the subclass names the problem
    ├── BundleFormatError     not a zip villagecast reads (damaged, encrypted, odd compression)
    ├── BundlePathError       an entry's name leaves the folder (../, /, C:, backslash)
    ├── BundleLinkError       an entry is a symbolic link or another special file
    ├── BundleDuplicateError  two entries share a name (also when they differ only in case)
    ├── BundleTooLargeError   over bundles.max_bytes, max_files or max_ratio (a zip bomb)
    ├── BundleManifestError   manifest.json missing, malformed, or not listing exactly the files
    ├── BundleChecksumError   a file's size or SHA-256 differs from manifest.json
    ├── BundleSignatureError  signature missing where required, malformed, or not matching
    ├── BundleUntrustedError  signed by a key that is not in bundles.trusted_keys
    ├── BundlePlaylistError   playlist.yaml is not a valid playlist@1 (a PlaylistFormatError too)
    └── BundleMediaError      a media file named but absent, present but unused, or unreadable
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


class EmergencyRightError(ContentError):
    """An emergency priority brought in by someone who does not hold the emergency right."""


class ScheduleLimitError(ContentError):
    """A schedule over one of the caps; `limit` names it, so the panel can say it."""

    def __init__(self, limit: str, message: str, maximum: int, found: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.found = found


class EvidenceError(VillagecastError):
    """An evidence photo or video is refused; nothing of it is stored."""


class KeyFileError(VillagecastError):
    """A signing key file cannot be read or written."""


class BundleError(VillagecastError):
    """A playlist bundle is refused whole; nothing of it is stored."""


class BundleFormatError(BundleError):
    """The file is not a zip archive villagecast can read."""


class BundlePathError(BundleError):
    """An entry's name would land outside the bundle's folder."""


class BundleLinkError(BundleError):
    """An entry is a symbolic link, hard link or device instead of a plain file."""


class BundleDuplicateError(BundleError):
    """Two entries would be written to the same file."""


class BundleTooLargeError(BundleError):
    """The bundle is over a size, count or compression-ratio limit."""


class BundleManifestError(BundleError):
    """manifest.json is missing, malformed or does not list exactly the bundle's files."""


class BundleChecksumError(BundleError):
    """A file differs from what manifest.json says about it."""


class BundleSignatureError(BundleError):
    """The signature is missing where required, malformed, or does not match the manifest."""


class BundleUntrustedError(BundleError):
    """The bundle is signed by a key this station does not trust."""


class BundlePlaylistError(BundleError, PlaylistFormatError):
    """playlist.yaml inside a bundle is not a valid villagecast/playlist@1 document."""


class BundleMediaError(BundleError):
    """A media file is missing, unused by the playlist, or not the sound or picture it claims."""
