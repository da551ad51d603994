"""Every error villagecast reports to a person: one tree, rooted at ``VillagecastError``.

Each class names a situation; its message says what is wrong and what to do. Edges
catch a branch and show the message (forms flash it, the JSON API answers
``{"error": ...}``, the player logs and records it and goes on, ``main()`` prints one
line); a few carry a code (``rule``, ``code``, ``limit``) so the panel can say it in
the operator's language. Declared here, whoever raises them::

    VillagecastError
    ├── ConfigError          config.yaml is missing, unreadable or has a bad key (one line)
    ├── PlaylistFormatError  a playlist YAML names the item and field that is wrong
    ├── NotFoundError        a playlist, announcement or schedule id that does not exist
    ├── ContentError         content that cannot be saved (empty text, unknown media, ...)
    │   ├── EmergencyRightError  priority: emergency from someone without the emergency right
    │   ├── ScheduleLimitError   a schedule over a cap of playlists/schedule/limits.py
    │   ├── EditError            a change the playlist rules refuse; `rule` names the rule
    │   ├── ReviewError          a review step that does not apply now; `code` names why
    │   ├── ShareError           a playlist the town cannot share or unshare; `code` names why
    │   ├── ArchiveError         content that cannot be archived or used archived; `code` names why
    │   ├── NameTakenError       a town playlist whose name a playlist of this station holds
    │   ├── HeartbeatError       a village heartbeat not as the protocol says (names the field)
    │   ├── AsRunBatchError      a village's batch of as-run rows, refused whole
    │   ├── VillageEvidenceError an evidence item or piece a village sent, refused
    │   └── EvidenceReviewError  a town's review of an evidence item it cannot record
    ├── CommandFormatError   a command row whose request or answer is not the contract's
    ├── EvidenceError        an evidence photo or video refused (bad file, field or limit)
    ├── StoreError           the database cannot be opened or written
    │   └── StoreVersionError    the database was written by a newer villagecast
    ├── KeyFileError         a bundle signing key file that is missing, malformed or in the way
    ├── BundleError          a playlist bundle (zip) refused whole; the subclass names the problem
    │   ├── BundleFormatError     not a zip villagecast reads (damaged, encrypted, odd compression)
    │   ├── BundlePathError       an entry's name leaves the folder (../, /, C:, backslash)
    │   ├── BundleLinkError       an entry is a symbolic link or another special file
    │   ├── BundleDuplicateError  two entries share a name (also when they differ only in case)
    │   ├── BundleTooLargeError   over bundles.max_bytes, max_files or max_ratio (a zip bomb)
    │   ├── BundleManifestError   manifest.json missing, malformed, or not listing exactly the files
    │   ├── BundleChecksumError   a file's size or SHA-256 differs from manifest.json
    │   │   └── MediaDownloadError  a media file fetched from the town is not what it should be
    │   ├── BundleSignatureError  signature missing where required, malformed, or not matching
    │   ├── BundleUntrustedError  signed by a key that is not in bundles.trusted_keys
    │   ├── BundlePlaylistError   playlist.yaml not a valid playlist@1 (a PlaylistFormatError too)
    │   └── BundleMediaError      a media file named but absent, present but unused, or unreadable
    ├── SyncError            anything that stops a village's sync cycle or one playlist in it
    │   ├── TownUnreachableError  no answer: no route, refused, timed out, cut off midway
    │   └── TownAnswerError       an answer the village cannot use
    │       └── TownRefusedError  the town said no: 401 (device token), 404, 5xx, ...
    │           └── TownBusyError the town said 429: wait `retry_after` seconds, then again
    ├── SinkError            the player's audio output could not start a clip
    ├── BrokerError          the town's MQTT broker files cannot be made, read or changed
    └── TownEmergencyError   a town emergency message refused by a village; `code` names why

The media package (speech, audio, pictures, slides) keeps its own tree in
media/errors.py, rooted at ``MediaError``: media is the lower layer (playlists imports
media, media imports nothing of villagecast), so its root cannot derive from this one
without media importing playlists. Edges that show both catch
``(VillagecastError, MediaError)``.
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


class EditError(ContentError):
    """A change the rules refuse; `rule` and `values` let the panel say so in its language."""

    def __init__(self, rule: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.rule = rule
        self.values = values


class ReviewError(ContentError):
    """A review step that does not apply to the content as it is now.

    `code` names the situation and `names` the titles it concerns, so the panel can say
    it in the user's language: NOT_DRAFT, NOT_PENDING, OWN_CHANGE, SUBMIT_ITEMS_FIRST,
    NO_COMMENT, LONG_COMMENT, NOT_APPROVED, EMPTY.
    """

    def __init__(self, message: str, code: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.names = names


class ArchiveError(ContentError):
    """Archiving refused while scheduled, or archived content used; `code` names which.

    SCHEDULED carries `uses` (the schedule entries that play it, by playlist name);
    ARCHIVED names the archived content in `names`.
    """

    def __init__(
        self, message: str, code: str, names: tuple[str, ...] = (), uses: tuple[object, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.names = names
        self.uses = uses


class ShareError(ContentError):
    """A playlist that cannot be shared or unshared as asked; `code` names why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code  # NOT_PLAYABLE, ALREADY_SHARED, NOT_SHARED, BUNDLE


class NameTakenError(ContentError):
    """A playlist of this station has the town playlist's name; taken once it is renamed."""


class HeartbeatError(ContentError):
    """A heartbeat body that is not as the protocol says; the message names the field."""


class AsRunBatchError(ContentError):
    """A batch of as-run rows that is refused whole; the message names row and field."""


class VillageEvidenceError(ContentError):
    """An item or piece a village sent is refused; the message says why."""


class EvidenceReviewError(ContentError):
    """A review the town cannot record as given."""


class StoreError(VillagecastError):
    """The database cannot be opened or written."""


class StoreVersionError(StoreError):
    """The database was written by a newer villagecast."""


class CommandFormatError(VillagecastError):
    """A command row's request or result does not follow playlists/commands.py."""


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


class MediaDownloadError(BundleChecksumError):
    """A file from the town is not what the manifest says; it is fetched again next time."""


class BundleSignatureError(BundleError):
    """The signature is missing where required, malformed, or does not match the manifest."""


class BundleUntrustedError(BundleError):
    """The bundle is signed by a key this station does not trust."""


class BundlePlaylistError(BundleError, PlaylistFormatError):
    """playlist.yaml inside a bundle is not a valid villagecast/playlist@1 document."""


class BundleMediaError(BundleError):
    """A media file is missing, unused by the playlist, or not the sound or picture it claims."""


class SyncError(VillagecastError):
    """Something stopped a sync with the town."""


class TownUnreachableError(SyncError):
    """The town did not answer: the village keeps playing and tries again later."""


class TownAnswerError(SyncError):
    """The town answered something the village cannot use."""


class TownRefusedError(TownAnswerError):
    """The town answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class TownBusyError(TownRefusedError):
    """The town asked this village to slow down (429); nothing sent since is lost."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message, 429)
        self.retry_after = retry_after  # seconds, None when the town did not say


class SinkError(VillagecastError):
    """The sink could not start playing a clip."""


class BrokerError(VillagecastError):
    """The town's broker files (CA, certificates, passwords, ACL) cannot be made or changed."""


class TownEmergencyError(VillagecastError):
    """A town emergency message a village refuses: malformed, unsigned or wrongly signed."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code  # malformed, untrusted or bad-signature
