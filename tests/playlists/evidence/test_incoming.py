"""Uploads in chunks: in order, resumable, owned by one user, bounded, pruned when stale."""

import datetime as dt

import pytest

from playlists.errors import EvidenceError, NotFoundError
from playlists.evidence import incoming
from playlists.settings import Settings

NOW = dt.datetime(2023, 4, 2, 4, 0, tzinfo=dt.UTC)


def test_an_upload_resumes_where_it_stood(settings: Settings) -> None:
    upload = incoming.start(settings, "cun", 10, NOW)
    incoming.append(settings, upload.id, "cun", 0, b"01234")
    # The connection dropped: the client asks where it stands and goes on from there.
    again = incoming.find(settings, upload.id, "cun")
    assert again.received == 5 and not again.complete
    done = incoming.append(settings, upload.id, "cun", again.received, b"56789")
    assert done.complete
    assert incoming.part_path(settings, done).read_bytes() == b"0123456789"


@pytest.mark.parametrize(
    ("offset", "data", "message"),
    [
        pytest.param(0, b"abc", "stands at byte 5, not 0", id="repeated-chunk"),
        pytest.param(7, b"abc", "stands at byte 5, not 7", id="gap"),
        pytest.param(5, b"abcdefgh", "more bytes", id="over-size"),
    ],
)
def test_out_of_order_chunks_are_refused(
    settings: Settings, offset: int, data: bytes, message: str
) -> None:
    upload = incoming.start(settings, "cun", 10, NOW)
    incoming.append(settings, upload.id, "cun", 0, b"01234")
    with pytest.raises(EvidenceError, match=message):
        incoming.append(settings, upload.id, "cun", offset, data)
    assert incoming.find(settings, upload.id, "cun").received == 5


@pytest.mark.parametrize(
    ("upload_id", "owner"),
    [
        pytest.param(None, "other", id="someone-elses"),
        pytest.param("../../villagecast.db-x", "cun", id="path"),
        pytest.param("A" * 22, "cun", id="unknown"),
    ],
)
def test_only_the_owner_finds_an_upload(
    settings: Settings, upload_id: str | None, owner: str
) -> None:
    upload = incoming.start(settings, "cun", 10, NOW)
    with pytest.raises(NotFoundError):
        incoming.find(settings, upload_id or upload.id, owner)


@pytest.mark.parametrize("size", [0, -1, 300_000_001], ids=["empty", "negative", "over-limit"])
def test_sizes_outside_the_limits_are_refused(settings: Settings, size: int) -> None:
    with pytest.raises(EvidenceError, match="from 1 byte to 300 MB"):
        incoming.start(settings, "cun", size, NOW)


def test_unfinished_uploads_are_bounded_and_pruned(settings: Settings) -> None:
    for _ in range(incoming.MAX_OPEN_PER_USER):
        incoming.start(settings, "cun", 10, NOW)
    with pytest.raises(EvidenceError, match="too many unfinished"):
        incoming.start(settings, "cun", 10, NOW)
    later = NOW + incoming.STALE_AFTER + dt.timedelta(minutes=1)
    incoming.start(settings, "cun", 10, later)
    assert len(list(incoming.incoming_dir(settings).glob("*.part"))) == 1


def test_an_incomplete_upload_cannot_be_stored(settings: Settings) -> None:
    upload = incoming.start(settings, "cun", 10, NOW)
    with pytest.raises(EvidenceError, match="incomplete: 0 of 10"):
        incoming.part_path(settings, upload)
