"""Cameras, lanes and gate-pipeline settings: the ``cameras.yaml`` file and ``ANPR_GATE_*`` variables.

Also what camera file names tell (:func:`file_stamp`): the time a frame was
taken and the camera it came from, for folders of stills and ``anpr pass``.

A camera has an id, a name, a source URL (or a file, folder or glob), a lane,
a role (what it looks at) and either a fixed direction or a virtual line
whose crossing by a tracked plate sets the direction. Credentials live in
``username`` / ``password`` (``${ENV_VAR}`` is expanded at load time) and are
put into the URL only when the stream is opened (user info written in the URL
itself also works); :func:`mask_url` hides them in every repr and log line. Bad files fail at start-up with
:class:`~anpr.errors.ConfigError` naming the field.

Example::

    lanes:
      - id: lane-1
        direction: in
    cameras:
      - id: l1-front
        url: rtsp://10.0.0.21:554/Streaming/Channels/101
        username: gate
        password: ${L1_FRONT_PASSWORD}
        lane: lane-1
        role: plate-front
      - id: l1-side
        url: rtsp://10.0.0.22/stream1
        lane: lane-1
        role: container-side
        line: {a: [0.5, 0.0], b: [0.5, 1.0], in_side: right}
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import quote, urlsplit, urlunsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from anpr.errors import ConfigError
from anpr.events import Direction

_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")
_SECRET_QUERY = re.compile(r"(?i)(?P<key>[?&;](?:password|passwd|pwd|pass|token|key|secret|auth)=)[^&;#\s]*")
_ENV_REF = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked (user info and secret query values)."""
    return _SECRET_QUERY.sub(r"\g<key>***", _USERINFO.sub(r"\g<scheme>***:***@", text))


def mask_url(url: str) -> str:
    """The URL as it may be shown: ``rtsp://user:pw@host/x`` -> ``rtsp://***:***@host/x``."""
    return redact(url)


# 20261127T031500123, 20261127_031500, 2026-11-27T03-15-00.123 (no digit may touch either end)
_CALENDAR = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})[T_ -]?(\d{2})[:.-]?(\d{2})[:.-]?(\d{2})(?:[.,_-]?(\d{3}|\d{6}))?(?!\d)"
)
_EPOCH = re.compile(r"(?<![\d.])(1\d{9})(?:\.(\d{1,6}))?(?!\d)")  # seconds since 1970, 2001-2033
_EPOCH_MS = re.compile(r"(?<!\d)(1\d{12})(?!\d)")  # milliseconds since 1970
# The gate dataset: 1-<pass id>-OCR-<camera>-<slot>, e.g. 1-153710001-OCR-AS-B01.jpg
_GATE_NAME = re.compile(
    r"^\d+-(?P<pass_id>\d+)-OCR-(?P<camera>[A-Za-z]{1,8})-(?P<slot>[A-Za-z0-9]{1,8})(?![A-Za-z0-9])"
)
_CAMERA_PREFIX = re.compile(r"^(?P<camera>[A-Za-z][A-Za-z0-9.-]{0,63})_")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What a file name tells: its time, camera, and pass id and slot (gate dataset names)."""

    name: str
    when: datetime | None = None
    camera: str | None = None
    pass_id: str | None = None
    slot: str | None = None

    @property
    def sort_key(self) -> tuple[int, float, str, str]:
        """Timed files first in time order, then gate-dataset names by pass and slot, then by name."""
        natural = _DIGITS.sub(lambda m: m.group(0).zfill(20), self.name.lower())
        if self.when is not None:
            return (0, self.when.timestamp(), "", natural)
        if self.pass_id is not None:
            return (1, 0.0, f"{self.pass_id.zfill(20)}/{self.slot}", natural)
        return (2, 0.0, "", natural)


def _calendar_time(text: str, tz: tzinfo) -> datetime | None:
    for m in _CALENDAR.finditer(text):
        year, month, day, hour, minute, second, fraction = m.groups()
        micros = int((fraction or "0").ljust(6, "0"))
        try:
            return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz)
        except ValueError:
            continue
    return None


def _epoch_time(text: str) -> datetime | None:
    m = _EPOCH_MS.search(text)
    if m:
        return datetime.fromtimestamp(int(m.group(1)) / 1000.0, UTC)
    m = _EPOCH.search(text)
    if m:
        seconds = int(m.group(1)) + int((m.group(2) or "0").ljust(6, "0")) / 1e6
        return datetime.fromtimestamp(seconds, UTC)
    return None


def file_stamp(path: str | Path, tz: tzinfo = UTC) -> FileStamp:
    """Read a file name: ``20261127T031500123`` (calendar time in ``tz``), ``1700000000.123`` (Unix
    seconds) or ``1700000000123`` (Unix ms); the camera from ``1-<pass>-OCR-<CAM>-<slot>`` or a
    ``<camera>_`` prefix."""
    name = Path(path).name
    stem = Path(path).stem
    gate = _GATE_NAME.match(stem)
    if gate:
        return FileStamp(name, None, gate["camera"], gate["pass_id"], gate["slot"])
    prefix = _CAMERA_PREFIX.match(stem)
    camera = prefix["camera"] if prefix else None
    return FileStamp(name, _calendar_time(stem, tz) or _epoch_time(stem), camera)


def camera_from_filename(path: str | Path) -> str | None:
    """The camera a file name names (``-OCR-AS-`` -> ``AS``, ``front_0001.jpg`` -> ``front``), else ``None``."""
    return file_stamp(path).camera


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """``url`` with ``username``/``password`` put in its user info (percent-encoded); unchanged if no user."""
    if not username:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    auth = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


class CameraRole(StrEnum):
    """What a camera looks at."""

    PLATE_FRONT = "plate-front"
    PLATE_REAR = "plate-rear"
    CONTAINER_SIDE = "container-side"
    CONTAINER_TOP = "container-top"
    CONTAINER_REAR = "container-rear"
    OVERVIEW = "overview"

    @property
    def reads_plates(self) -> bool:
        return self in (CameraRole.PLATE_FRONT, CameraRole.PLATE_REAR, CameraRole.OVERVIEW)


Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]


class VirtualLine(BaseModel):
    """A line from ``a`` to ``b`` in fractions of the frame (x right, y down).

    A plate track that crosses onto the ``in_side`` of the line, looking from
    ``a`` towards ``b``, is going in; crossing the other way is going out. For a
    horizontal line drawn left to right, ``right`` is below it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: Point
    b: Point
    in_side: Literal["left", "right"] = "right"

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.a == self.b:
            raise ValueError("a virtual line needs two distinct points")
        return self


class CameraConfig(BaseModel):
    """One camera. ``direction`` fixes the direction; else ``line`` decides it per pass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, description="Short unique id; used in file names and events.")
    name: str = Field("", max_length=200, description="Human-readable name.")
    url: str = Field(min_length=1, description="RTSP/HTTP(S) URL, video file, image folder or glob.")
    username: str | None = Field(None, description="Stream user name, put into the URL when opening.")
    password: SecretStr | None = Field(None, description="Stream password; ${ENV_VAR} reads the environment.")
    lane: str = Field(pattern=_ID, description="The lane this camera watches.")
    role: CameraRole = Field(CameraRole.PLATE_FRONT, description="What the camera looks at.")
    direction: Direction | None = Field(None, description="Fixed direction of traffic seen by this camera.")
    line: VirtualLine | None = Field(None, description="Virtual line whose crossing sets the direction.")
    sample_fps: float | None = Field(None, gt=0.0, le=60.0, description="Overrides ANPR_GATE_SAMPLE_FPS.")
    enabled: bool = Field(True, description="Disabled cameras are not opened.")

    def open_url(self) -> str:
        """The URL with its credentials: pass it to the capture, never to a log."""
        password = self.password.get_secret_value() if self.password else None
        return with_credentials(self.url, self.username, password)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for key, value in super().__repr_args__():
            yield key, (mask_url(value) if key == "url" and isinstance(value, str) else value)


class LaneConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, description="Lane id, as the cameras name it.")
    name: str = Field("", max_length=200)
    direction: Direction | None = Field(None, description="Fixed direction for every camera of the lane.")
    fusion_window_s: float | None = Field(None, gt=0.0, le=600.0, description="Overrides the gate setting.")


class GateConfig(BaseModel):
    """The whole ``cameras.yaml``: lanes (optional; implied by cameras) and cameras."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lanes: tuple[LaneConfig, ...] = ()
    cameras: tuple[CameraConfig, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for kind, ids in (("camera", [c.id for c in self.cameras]), ("lane", [la.id for la in self.lanes])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} ids: {', '.join(dupes)}")
        for lane in self.lane_ids():
            fixed = {c.direction for c in self.cameras if c.lane == lane and c.direction is not None}
            if len(fixed) > 1:
                raise ValueError(f"cameras of lane {lane} fix different directions: {sorted(fixed)}")
        return self

    def lane_ids(self) -> list[str]:
        ids = [la.id for la in self.lanes]
        return ids + sorted({c.lane for c in self.cameras} - set(ids))

    def lane(self, lane_id: str) -> LaneConfig:
        for la in self.lanes:
            if la.id == lane_id:
                return la
        return LaneConfig(id=lane_id)

    def cameras_of(self, lane_id: str) -> list[CameraConfig]:
        return [c for c in self.cameras if c.lane == lane_id and c.enabled]

    def fixed_direction(self, lane_id: str) -> Direction | None:
        """The lane's configured direction, else one its cameras fix, else ``None``."""
        lane = self.lane(lane_id)
        if lane.direction is not None:
            return lane.direction
        fixed = [c.direction for c in self.cameras_of(lane_id) if c.direction is not None]
        return fixed[0] if fixed else None


def _expand_env(value: object, where: str) -> object:
    """``${NAME}`` in a string value -> the environment variable (missing ones are errors)."""
    if isinstance(value, dict):
        return {k: _expand_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        m = _ENV_REF.match(value.strip())
        if m:
            if m["name"] not in os.environ:
                raise ConfigError(f"{where}: environment variable {m['name']} is not set")
            return os.environ[m["name"]]
    return value


def parse_config(data: object, source: str = "config") -> GateConfig:
    """Validate an already-loaded mapping; errors name the field but never echo secrets."""
    try:
        return GateConfig.model_validate(_expand_env(data, source))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_input=False)
        )
        raise ConfigError(f"{source}: {problems}") from None


def load_config(path: Path) -> GateConfig:
    """Read and validate a ``cameras.yaml`` file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read camera config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    return parse_config(data, str(path))


class GateSettings(BaseSettings):
    """Gate pipeline settings; each field can be set as ``ANPR_GATE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ANPR_GATE_", extra="forbid", frozen=True)

    sample_fps: float = Field(5.0, gt=0.0, le=60.0, description="Frames per second analysed per camera.")
    motion_threshold: float = Field(
        0.004, ge=0.0, le=1.0, description="Share of downscaled pixels that must change to count as motion."
    )
    motion_pixel_delta: int = Field(24, ge=1, le=255, description="Grey-level change that marks a pixel.")
    motion_width: int = Field(160, ge=16, le=1920, description="Width of the grey image motion is computed on.")
    motion_hold_s: float = Field(2.0, ge=0.0, le=60.0, description="Keep analysing this long after motion.")
    idle_sample_fps: float = Field(
        2.0, ge=0.0, le=60.0, description="Live cameras idle for idle_after_s sample this slowly (0: never slow down)."
    )
    idle_after_s: float = Field(
        10.0, ge=0.0, le=3600.0, description="Seconds without motion or open track before idle sampling."
    )
    decode_threads: int = Field(1, ge=0, le=64, description="FFmpeg decoder threads per camera (0: one per core).")
    fusion_window_s: float = Field(
        6.0, gt=0.0, le=600.0, description="A pass closes when no track was seen for this many seconds."
    )
    track_iou: float = Field(0.2, gt=0.0, lt=1.0, description="IoU that continues a track.")
    track_max_shift: float = Field(
        1.5, ge=0.0, le=20.0, description="Centre jump, in box diagonals, still matched when IoU is 0."
    )
    track_max_age_s: float = Field(1.5, gt=0.0, le=60.0, description="A track unseen this long is finished.")
    ocr_reads_per_track: int = Field(6, ge=1, le=100, description="Most OCR reads spent on one track.")
    ocr_every_n: int = Field(2, ge=1, le=100, description="Read a track at most every n-th sampled frame.")
    reconnect_min_s: float = Field(0.5, gt=0.0, le=600.0, description="First reconnect delay, seconds.")
    reconnect_max_s: float = Field(30.0, gt=0.0, le=3600.0, description="Largest reconnect delay, seconds.")
    frame_queue_size: int = Field(4, ge=1, le=1000, description="Sampled frames buffered per camera.")
    event_queue_size: int = Field(256, ge=1, le=100000, description="Track results buffered per lane.")
    stale_camera_s: float = Field(
        10.0, gt=0.0, le=3600.0, description="A camera silent this long no longer holds passes open."
    )
    max_corrupt_in_row: int = Field(50, ge=1, le=100000, description="Corrupt frames before a reconnect.")
    jpeg_quality: int = Field(90, ge=30, le=100, description="Evidence JPEG quality.")
    crop_margin: float = Field(0.15, ge=0.0, le=2.0, description="Evidence crops grow by this share per side.")
    health_log_s: float = Field(60.0, gt=0.0, le=86400.0, description="How often counters are logged.")

    @model_validator(mode="after")
    def _backoff_order(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self


@lru_cache(maxsize=1)
def get_gate_settings() -> GateSettings:
    """The process-wide gate settings, read from the environment on first use."""
    try:
        return GateSettings()
    except ValidationError as exc:
        raise ConfigError(f"ANPR_GATE_* settings: {exc}") from None
