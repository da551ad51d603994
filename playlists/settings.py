"""Deployment settings: declared once, loaded from config.yaml into frozen dataclasses.

Every setting is a dataclass field with a default and a help text (``_doc``). The
loader walks the YAML against the fields, so an unknown key or a bad value is a
``ConfigError`` whose message is one line naming the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from playlists.bundles.keys import key_problem
from playlists.errors import ConfigError
from playlists.model import QuietHours
from playlists.sync.wire import MAX_ASRUN_ROWS

T = TypeVar("T")

SINKS = ("aplay", "mpv", "command", "recording")
# kokoro: the optional neural extra.
TTS_ENGINES = ("gtts", "edge-tts", "fastspeech2", "mbrola", "espeak-ng", "kokoro")
DEFAULT_TTS_ENGINES = ("gtts", "fastspeech2", "mbrola", "espeak-ng")
MBROLA_VOICES = ("cn1",)
GTTS_LANGS = ("zh-CN", "zh-TW", "zh", "yue")
SLIDE_THEMES = ("led-red", "led-amber", "color", "high-contrast")
# The five topics of the sample campaign (seed/000_764db24b36885519.txt).
DEFAULT_TOPICS = ("社会工作知识", "社会工作体系", "人才政策", "社会工作服务", "五社联动")


def _doc(help_text: str, check: Callable[[Any], str | None] | None = None) -> dict[str, Any]:
    return {"help": help_text, "check": check}


def _range(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be from {low:g} to {high:g}"

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of: {', '.join(choices)}"

    return check


def _timezone(value: Any) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone name such as Asia/Shanghai"
    return None


def _engines(value: Any) -> str | None:
    if not value:
        return "must list at least one engine"
    unknown = [name for name in value if name not in TTS_ENGINES]
    if unknown:
        return f"unknown engine {unknown[0]!r}; allowed: {', '.join(TTS_ENGINES)}"
    return None


def _edge_voice(value: Any) -> str | None:
    voice = re.compile(r"[a-z]{2,3}-[A-Z]{2}(?:-[a-z]+)?-[A-Za-z]+Neural")
    if voice.fullmatch(str(value)):
        return None
    return "must be a Microsoft voice name such as zh-CN-XiaoxiaoNeural or zh-CN-YunxiNeural"


def _quiet(value: Any) -> str | None:
    clock = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
    if value == () or (len(value) == 2 and all(clock.fullmatch(t) for t in value)):
        return None
    return 'must be [] or two times like ["22:00", "06:30"]'


def _non_empty(value: Any) -> str | None:
    return None if str(value).strip() else "must not be empty"


def _topics(value: Any) -> str | None:
    if not value or not all(str(topic).strip() for topic in value):
        return "must list at least one topic, none empty"
    if len(set(value)) != len(value):
        return "must not list a topic twice"
    return None


@dataclasses.dataclass(frozen=True)
class StationSettings:
    name: str = dataclasses.field(
        default="示范村广播站", metadata=_doc("station name shown in the panel", _non_empty)
    )
    timezone: str = dataclasses.field(
        default="Asia/Shanghai",
        metadata=_doc("IANA time zone of every schedule; the machine's TZ is ignored", _timezone),
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclasses.dataclass(frozen=True)
class CampaignSettings:
    name: str = dataclasses.field(
        default="2023年社会工作主题宣传活动", metadata=_doc("campaign name", _non_empty)
    )
    start: dt.date = dataclasses.field(
        default=dt.date(2023, 3, 28), metadata=_doc("first day of the campaign window")
    )
    end: dt.date = dataclasses.field(
        default=dt.date(2023, 4, 7), metadata=_doc("last day of the campaign window (inclusive)")
    )
    topics: tuple[str, ...] = dataclasses.field(
        default=DEFAULT_TOPICS,
        metadata=_doc("the campaign's topics; every evidence photo or video shows one", _topics),
    )
    report_by: dt.date = dataclasses.field(
        default=dt.date(2023, 4, 9),
        metadata=_doc("day by which each village reports its evidence to the town"),
    )


@dataclasses.dataclass(frozen=True)
class TtsSettings:
    engines: tuple[str, ...] = dataclasses.field(
        default=DEFAULT_TTS_ENGINES, metadata=_doc("speech engines, tried in order", _engines)
    )
    gtts_lang: str = dataclasses.field(
        default="zh-CN", metadata=_doc("gTTS language", _one_of(GTTS_LANGS))
    )
    gtts_timeout: float = dataclasses.field(
        default=10.0, metadata=_doc("seconds before gTTS gives up", _range(1, 60))
    )
    edge_voice: str = dataclasses.field(
        default="zh-CN-XiaoxiaoNeural",
        metadata=_doc("Microsoft neural voice for edge-tts", _edge_voice),
    )
    edge_timeout: float = dataclasses.field(
        default=10.0, metadata=_doc("seconds before edge-tts gives up", _range(1, 60))
    )
    espeak_voice: str = dataclasses.field(
        default="cmn-latn-pinyin", metadata=_doc("espeak-ng voice", _non_empty)
    )
    espeak_speed: int = dataclasses.field(
        default=150, metadata=_doc("espeak-ng words per minute", _range(80, 450))
    )
    mbrola_voice: str = dataclasses.field(
        default="cn1", metadata=_doc("MBROLA voice", _one_of(MBROLA_VOICES))
    )
    mbrola_pace: float = dataclasses.field(
        default=4.0, metadata=_doc("MBROLA syllables per second", _range(2.5, 6))
    )
    fastspeech2_speed: float = dataclasses.field(
        default=1.0,
        metadata=_doc("fastspeech2 duration scale: above 1 is slower", _range(0.7, 1.5)),
    )


@dataclasses.dataclass(frozen=True)
class AudioSettings:
    sink: str = dataclasses.field(
        default="aplay", metadata=_doc("how audio is played", _one_of(SINKS))
    )
    device: str = dataclasses.field(
        default="default", metadata=_doc("ALSA device for aplay and mpv", _non_empty)
    )
    command: tuple[str, ...] = dataclasses.field(
        default=(), metadata=_doc("player command for sink 'command', with {file} and {offset}")
    )
    volume: int = dataclasses.field(
        default=100, metadata=_doc("output volume in percent", _range(0, 100))
    )
    max_upload_mb: int = dataclasses.field(
        default=200, metadata=_doc("largest recording that may be uploaded", _range(1, 2000))
    )
    max_recording_minutes: int = dataclasses.field(
        default=90, metadata=_doc("longest recording that may be uploaded", _range(1, 600))
    )
    target_lufs: float = dataclasses.field(
        default=-16.0, metadata=_doc("loudness every clip is normalized to", _range(-40, -5))
    )
    true_peak: float = dataclasses.field(
        default=-1.5, metadata=_doc("true-peak ceiling in dBTP", _range(-9, 0))
    )


@dataclasses.dataclass(frozen=True)
class ScreenSettings:
    name: str = dataclasses.field(default="screen", metadata=_doc("screen name", _non_empty))
    width: int = dataclasses.field(default=960, metadata=_doc("pixels", _range(16, 7680)))
    height: int = dataclasses.field(default=576, metadata=_doc("pixels", _range(16, 4320)))
    theme: str = dataclasses.field(
        default="auto", metadata=_doc("slide colours", _one_of(("auto", *SLIDE_THEMES)))
    )
    min_glyph_px: int = dataclasses.field(
        default=0, metadata=_doc("smallest text height in pixels; 0 = automatic", _range(0, 400))
    )
    fit: str = dataclasses.field(
        default="letterbox",
        metadata=_doc("how pictures fill the screen", _one_of(("letterbox", "crop"))),
    )
    label: str = dataclasses.field(
        default="", metadata=_doc("the screen's name on the panel; empty shows `name`")
    )

    @property
    def display_name(self) -> str:
        """Return the name the panel shows: the label, else the technical name."""
        return self.label.strip() or self.name


@dataclasses.dataclass(frozen=True)
class StorageSettings:
    min_free_mb: int = dataclasses.field(
        default=200,
        metadata=_doc(
            "below this much free space, uploads and new speech are refused", _range(1, 100_000)
        ),
    )
    cache_days: int = dataclasses.field(
        default=30,
        metadata=_doc(
            "unused cached speech and slides are deleted after this many days", _range(1, 3650)
        ),
    )


@dataclasses.dataclass(frozen=True)
class EvidenceSettings:
    max_photo_mb: int = dataclasses.field(
        default=20, metadata=_doc("largest evidence photo that may be uploaded", _range(1, 200))
    )
    max_photo_megapixels: int = dataclasses.field(
        default=16,
        metadata=_doc(
            "most pixels of an evidence photo (4 times as many for a JPEG)", _range(1, 100)
        ),
    )
    max_video_mb: int = dataclasses.field(
        default=300, metadata=_doc("largest evidence video that may be uploaded", _range(1, 4000))
    )
    max_video_seconds: int = dataclasses.field(
        default=300, metadata=_doc("longest evidence video, in seconds", _range(1, 3600))
    )
    max_video_pixels: int = dataclasses.field(
        default=3840 * 2160,
        metadata=_doc("most pixels of a video frame (3840×2160 = 4K)", _range(16, 7680 * 4320)),
    )
    keep_gps: bool = dataclasses.field(
        default=False,
        metadata=_doc("keep the GPS position in photos; off strips it before storing"),
    )


@dataclasses.dataclass(frozen=True)
class ReviewSettings:
    self_approval: bool = dataclasses.field(
        default=False,
        metadata=_doc(
            "let a reviewer approve content they wrote or changed themselves "
            "(a one-person village); off means a second person reviews everything"
        ),
    )


def _whole(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be from {low} to {high}"

    return check


@dataclasses.dataclass(frozen=True)
class BundleSettings:
    trusted_keys: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata=_doc(
            "public keys (villagecast-ed25519 lines) whose signed bundles are accepted",
            key_problem,
        ),
    )
    require_signature: bool = dataclasses.field(
        default=False, metadata=_doc("refuse bundles that no trusted key signed")
    )
    signed_counts_as_approval: bool = dataclasses.field(
        default=False,
        metadata=_doc("a bundle signed by a trusted key is approved on import, without review"),
    )
    max_bytes: int = dataclasses.field(
        default=500_000_000,
        metadata=_doc("largest bundle, unpacked and as a file", _whole(1_000_000, 1_000_000_000)),
    )
    max_files: int = dataclasses.field(
        default=300, metadata=_doc("most files a bundle may hold", _whole(3, 10_000))
    )
    max_ratio: int = dataclasses.field(
        default=100,
        metadata=_doc("most a file in a bundle may be compressed (zip bombs)", _whole(2, 10_000)),
    )


@dataclasses.dataclass(frozen=True)
class BroadcastSettings:
    chime: bool = dataclasses.field(
        default=True, metadata=_doc("open every broadcast with a two-tone chime")
    )
    lead_in_seconds: float = dataclasses.field(
        default=1.0,
        metadata=_doc(
            "faint tone before the chime that wakes amplifiers; 0 for none", _range(0, 5)
        ),
    )
    gap_seconds: float = dataclasses.field(
        default=0.5, metadata=_doc("silence between the items of a broadcast", _range(0, 30))
    )


@dataclasses.dataclass(frozen=True)
class SlidesSettings:
    font: str = dataclasses.field(
        default="", metadata=_doc("CJK font file or fontconfig pattern; empty = Noto Sans CJK SC")
    )
    idle_seconds: float = dataclasses.field(
        default=10.0, metadata=_doc("seconds per slide of the idle rotation", _range(2, 600))
    )


DEFAULT_SCREENS = (
    ScreenSettings("led-bar", 352, 80, label="村口条屏"),
    ScreenSettings("led-wall", 960, 576, label="广场大屏"),
    ScreenSettings("tv", 1920, 1080, label="活动室电视"),
)


@dataclasses.dataclass(frozen=True)
class PlayerSettings:
    grace_seconds: float = dataclasses.field(
        default=60.0,
        metadata=_doc(
            "a broadcast may start this late; later it is logged missed", _range(1, 3600)
        ),
    )
    horizon_hours: float = dataclasses.field(
        default=48.0, metadata=_doc("how far ahead jobs are armed", _range(1, 24 * 14))
    )
    poll_seconds: float = dataclasses.field(
        default=0.1, metadata=_doc("how often the store is checked", _range(0.05, 5))
    )
    quiet_hours: tuple[str, ...] = dataclasses.field(
        default=("22:00", "06:30"),
        metadata=_doc("from, to: only emergencies play in between; [] for none", _quiet),
    )

    @property
    def quiet(self) -> QuietHours | None:
        if not self.quiet_hours:
            return None
        start, end = (dt.time.fromisoformat(t) for t in self.quiet_hours)
        return QuietHours(start, end)


@dataclasses.dataclass(frozen=True)
class PanelSettings:
    host: str = dataclasses.field(
        default="127.0.0.1", metadata=_doc("address the panel listens on", _non_empty)
    )
    port: int = dataclasses.field(
        default=8080, metadata=_doc("TCP port; 0 takes any free one (logged)", _range(0, 65535))
    )
    language: str = dataclasses.field(
        default="zh_CN", metadata=_doc("default language", _one_of(("zh_CN", "en")))
    )
    max_connections: int = dataclasses.field(
        default=100,
        metadata=_doc("most open connections; each costs up to 3 file handles", _whole(10, 300)),
    )
    connections_per_client: int = dataclasses.field(
        default=16,
        metadata=_doc(
            "most open connections from one address (a browser opens up to 6)", _whole(2, 100)
        ),
    )
    header_timeout: int = dataclasses.field(
        default=10,
        metadata=_doc(
            "seconds a request's head may take to arrive, and a connection may stay idle",
            _whole(1, 300),
        ),
    )
    failed_login_days: int = dataclasses.field(
        default=90,
        metadata=_doc("days the audit log keeps its rows of failed log-ins", _range(1, 3650)),
    )


@dataclasses.dataclass(frozen=True)
class TownSettings:
    signing_key: str = dataclasses.field(
        default="",
        metadata=_doc(
            "private key file (.key of `villagecast keys generate`) that signs the bundles "
            "shared with villages, relative to config.yaml's folder; empty = unsigned"
        ),
    )
    village_requests_per_minute: int = dataclasses.field(
        default=600,
        metadata=_doc(
            "requests one village may make to /town/v1 a minute (bursts up to as many)",
            _range(10, 100_000),
        ),
    )
    village_asrun_rows_per_hour: int = dataclasses.field(
        default=2000,
        metadata=_doc(
            "as-run rows one village may send an hour (at least one batch of 500)",
            _range(MAX_ASRUN_ROWS, 1_000_000),
        ),
    )
    broker_port: int = dataclasses.field(
        default=8883,
        metadata=_doc(
            "TCP port of the town's MQTT broker (TLS), written into its mosquitto.conf",
            _range(1, 65535),
        ),
    )
    broker_bind: str = dataclasses.field(
        default="",
        metadata=_doc("address the town's broker listens on; empty = every address"),
    )
    speak_emergencies: bool = dataclasses.field(
        default=True,
        metadata=_doc(
            "speak a text emergency with the town's engines and send that speech, when it "
            "is clearer than the villages' instant voice; off: each village speaks the text"
        ),
    )


def _town_url(value: Any) -> str | None:
    """Accept "" (no town) or an http(s) address without query, fragment or password."""
    if value == "":
        return None
    parts = urllib.parse.urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "must be an address like http://town.example:8080 (the port is not a number)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return 'must be an address like http://town.example:8080, or "" for no town'
    if parts.query or parts.fragment or parts.username or parts.password:
        return "must be the town panel's address only, without ?, # or user:password@"
    return None


@dataclasses.dataclass(frozen=True)
class SyncSettings:
    town_url: str = dataclasses.field(
        default="",
        metadata=_doc(
            "address of the town's panel this village takes shared playlists from; empty = no town",
            _town_url,
        ),
    )
    device_token: str = dataclasses.field(
        default="", metadata=_doc("this village's device token from `villagecast village add`")
    )
    poll_seconds: float = dataclasses.field(
        default=300.0, metadata=_doc("seconds between two syncs with the town", _range(1, 86400))
    )
    max_backoff_seconds: float = dataclasses.field(
        default=3600.0,
        metadata=_doc(
            "longest wait between attempts while the town is unreachable", _range(1, 86400)
        ),
    )
    timeout_seconds: float = dataclasses.field(
        default=10.0,
        metadata=_doc("seconds a request to the town may stay silent", _range(1, 300)),
    )
    broker_host: str = dataclasses.field(
        default="",
        metadata=_doc(
            "host name or address of the town's MQTT broker (town emergencies); empty = none"
        ),
    )
    broker_port: int = dataclasses.field(
        default=8883, metadata=_doc("TCP port of the town's MQTT broker", _range(1, 65535))
    )
    broker_ca: str = dataclasses.field(
        default="",
        metadata=_doc(
            "the town's ca.crt (from `villagecast broker init`), relative to config.yaml's folder"
        ),
    )
    poll_now_jitter_seconds: float = dataclasses.field(
        default=30.0,
        metadata=_doc(
            "when the town asks every village to sync now, wait a random part of this first",
            _range(0, 3600),
        ),
    )


@dataclasses.dataclass(frozen=True)
class Settings:
    station: StationSettings = dataclasses.field(default_factory=StationSettings)
    campaign: CampaignSettings = dataclasses.field(default_factory=CampaignSettings)
    data_dir: Path = dataclasses.field(
        default=Path("data"), metadata=_doc("runtime data, relative to config.yaml's folder")
    )
    tts: TtsSettings = dataclasses.field(default_factory=TtsSettings)
    audio: AudioSettings = dataclasses.field(default_factory=AudioSettings)
    screens: tuple[ScreenSettings, ...] = dataclasses.field(
        default=DEFAULT_SCREENS, metadata=_doc("LED screens and TVs")
    )
    slides: SlidesSettings = dataclasses.field(default_factory=SlidesSettings)
    broadcast: BroadcastSettings = dataclasses.field(default_factory=BroadcastSettings)
    storage: StorageSettings = dataclasses.field(default_factory=StorageSettings)
    player: PlayerSettings = dataclasses.field(default_factory=PlayerSettings)
    panel: PanelSettings = dataclasses.field(default_factory=PanelSettings)
    review: ReviewSettings = dataclasses.field(default_factory=ReviewSettings)
    evidence: EvidenceSettings = dataclasses.field(default_factory=EvidenceSettings)
    bundles: BundleSettings = dataclasses.field(default_factory=BundleSettings)
    sync: SyncSettings = dataclasses.field(default_factory=SyncSettings)
    town: TownSettings = dataclasses.field(default_factory=TownSettings)

    @property
    def tz(self) -> ZoneInfo:
        return self.station.tz

    @property
    def db_path(self) -> Path:
        return self.data_dir / "villagecast.db"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


def load_settings(path: Path | None) -> Settings:
    """Load settings from a YAML file; None or a missing default file means the defaults."""
    if path is None:
        return _resolve(Settings(), Path.cwd())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return _resolve(parse_settings(text, str(path)), path.resolve().parent)


def parse_settings(text: str, source: str = "config.yaml") -> Settings:
    """Parse config.yaml text into Settings, naming the key of the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}:{where} is not valid YAML") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: must be a mapping of settings")
    try:
        return _build(Settings, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _resolve(settings: Settings, base: Path) -> Settings:
    data_dir = settings.data_dir.expanduser()
    if not data_dir.is_absolute():
        data_dir = base / data_dir
    town = settings.town
    if town.signing_key:
        key = Path(town.signing_key).expanduser()
        town = dataclasses.replace(town, signing_key=str(key if key.is_absolute() else base / key))
    sync = settings.sync
    if sync.broker_ca:
        ca = Path(sync.broker_ca).expanduser()
        sync = dataclasses.replace(sync, broker_ca=str(ca if ca.is_absolute() else base / ca))
    return dataclasses.replace(settings, data_dir=data_dir, town=town, sync=sync)


def _build(cls: type[T], data: Mapping[str, Any], prefix: str) -> T:
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields)
            raise ConfigError(f"unknown key '{prefix}{key}' (allowed here: {allowed})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in data:
            continue
        key = f"{prefix}{name}"
        values[name] = _convert(hints[name], data[name], key)
        check = field.metadata.get("check")
        problem = check(values[name]) if check else None
        if problem:
            raise ConfigError(f"key '{key}' {problem} (got {data[name]!r})")
    result = cls(**values)
    _check_together(result, prefix)
    return result


def _check_together(result: object, prefix: str) -> None:
    """Check rules that tie several keys of one section together."""
    if isinstance(result, CampaignSettings) and result.end < result.start:
        raise ConfigError(f"key '{prefix}end' must not be before '{prefix}start'")
    if (
        isinstance(result, AudioSettings)
        and result.sink == "command"
        and not any("{file}" in part for part in result.command)
    ):
        raise ConfigError(
            f"key '{prefix}command' must list the player command with a {{file}} argument "
            "when audio.sink is 'command'"
        )
    if isinstance(result, SyncSettings):
        _check_sync(result, prefix)
    if isinstance(result, Settings):
        names = [screen.name for screen in result.screens]
        if len(set(names)) != len(names):
            raise ConfigError("key 'screens' has two screens with the same name")


def _check_sync(sync: SyncSettings, prefix: str) -> None:
    if sync.town_url and not sync.device_token.strip():
        raise ConfigError(
            f"key '{prefix}device_token' must be set when '{prefix}town_url' is: "
            "run `villagecast village add NAME` at the town and copy the token it prints"
        )
    if sync.broker_host and not (sync.device_token.strip() and sync.broker_ca):
        raise ConfigError(
            f"keys '{prefix}device_token' and '{prefix}broker_ca' must be set when "
            f"'{prefix}broker_host' is: the token is the village's broker password, "
            "the town's ca.crt proves the broker is the town's"
        )
    if sync.max_backoff_seconds < sync.poll_seconds:
        raise ConfigError(
            f"key '{prefix}max_backoff_seconds' must not be below '{prefix}poll_seconds'"
        )


def _convert(hint: Any, value: Any, key: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"key '{key}' must be a mapping")
        return _build(hint, value, f"{key}.")
    if hint == tuple[ScreenSettings, ...]:
        if not isinstance(value, list) or not value:
            raise ConfigError(f"key '{key}' must be a non-empty list of screens")
        return tuple(_convert(ScreenSettings, item, f"{key}[{i}]") for i, item in enumerate(value))
    if hint == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"key '{key}' must be a list of strings")
        return tuple(value)
    scalar = _SCALARS.get(hint)
    if scalar is None:  # pragma: no cover - a field type without a converter is a bug here
        raise TypeError(f"no converter for {hint!r}")
    try:
        return scalar(value)
    except (TypeError, ValueError):
        kind = _SCALAR_NAMES[hint]
        raise ConfigError(f"key '{key}' must be {kind} (got {value!r})") from None


def _as_str(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise TypeError
    return str(value)


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    raise ValueError


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _as_path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise TypeError
    return Path(value)


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _as_str,
    int: _as_int,
    float: _as_float,
    dt.date: _as_date,
    Path: _as_path,
    bool: _as_bool,
}
_SCALAR_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    dt.date: "a date like 2023-03-28",
    Path: "a folder path",
    bool: "true or false",
}


def iter_setting_keys(cls: type[Any] = Settings, prefix: str = "") -> list[str]:
    """List every dotted setting key, for documentation checks."""
    keys: list[str] = []
    hints = get_type_hints(cls)
    for field in dataclasses.fields(cls):
        key = f"{prefix}{field.name}"
        keys.append(key)
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            keys.extend(iter_setting_keys(hint, f"{key}."))  # type: ignore[arg-type]
        elif hint == tuple[ScreenSettings, ...]:
            keys.extend(iter_setting_keys(ScreenSettings, f"{key}[]."))
    return keys
