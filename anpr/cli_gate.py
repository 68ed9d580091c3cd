"""``anpr pass`` (fuse the frames of one vehicle pass) and ``anpr watch`` (run the gate pipeline).

:func:`register` adds both commands to a Typer app. The recogniser comes from
a factory (default :func:`build_recognizer`, which loads the detector and the
OCR engine on first use), so tests pass their own at this seam. Events go to
an :class:`~anpr.gate.EventSink`: JSON lines on stdout by default, or the
database when ``--db``/``DATABASE_URL`` is given and ``db.services`` offers
``store_event(session, event)``.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import typer

from anpr.cameras import (
    CameraRole,
    GateConfig,
    camera_from_filename,
    file_stamp,
    get_gate_settings,
    load_config,
    parse_config,
)
from anpr.consensus import Observation
from anpr.errors import InvalidInputError
from anpr.event_json import event_to_json
from anpr.events import ContainerResult, Direction, GateEvent, ObservedRead, PlateResult
from anpr.fusion import FusionSettings, fuse
from anpr.gate import EventSink, GateRunner
from anpr.recognition import ImageResult, Recognizer
from anpr.sources import SourceState, expand_images, read_image
from anpr.tracking import TrackResult
from anpr.types import Reading

log = logging.getLogger(__name__)

RecognizerFactory = Callable[[], Recognizer]
_BATCH = 8


def build_recognizer() -> Recognizer:
    """The real detector + OCR engine, loaded now (weights from ``models/``; nothing is downloaded)."""
    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.ocr import load_ocr

    settings = get_settings()
    return Recognizer(load_detector(settings), load_ocr(settings))


# --- anpr pass ---------------------------------------------------------------------------------------


def parse_camera_map(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["AS=/data/*-AS-*.jpg", ...]`` -> ``[("AS", "/data/*-AS-*.jpg"), ...]``."""
    out = []
    for item in items:
        name, sep, pattern = item.partition("=")
        if not sep or not name.strip() or not pattern.strip():
            raise InvalidInputError(f"--camera expects NAME=GLOB, got {item!r}")
        out.append((name.strip(), pattern.strip()))
    return out


def assign_cameras(images: Sequence[str], camera_map: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(path, camera)`` for the given images and every file the map's globs match, each path once.

    A path takes the camera of the first glob it matches, else the one its file
    name names (``-OCR-AS-`` or ``<camera>_``), else ``"camera"``.
    """
    paths = list(images)
    for _, pattern in camera_map:
        paths += [str(p) for p in expand_images(pattern)]
    out: list[tuple[str, str]] = []
    for path in dict.fromkeys(paths):
        name = next((n for n, pat in camera_map if fnmatch.fnmatch(path, pat) or Path(path).match(pat)), None)
        out.append((path, name or camera_from_filename(path) or "camera"))
    return out


def _tracks_of(path: str, camera: str, index: int, at: datetime, result: ImageResult) -> list[TrackResult]:
    """Each reading of one still image as a one-read track (stills have nothing to track). No image
    is kept (``anpr pass`` writes no evidence), so thousands of paths fit in memory."""
    out = []
    readings: list[Reading] = [*result.plates, *result.containers]
    for k, reading in enumerate(readings):
        if reading.text:
            obs = Observation(reading, camera, at, index, f"{path}#{k}")
            out.append(TrackResult(camera, index * 1000 + k, reading.target, at, at, (obs,)))
    return out


def _read_json(reads: tuple[ObservedRead, ...]) -> dict[str, Any]:
    best = reads[0] if reads else None
    return {
        "bbox": best.bbox.as_list() if best and best.bbox else None,
        "camera": best.camera if best else None,
        "cameras": sorted({r.camera for r in reads}),
        "reads": len(reads),
    }


def plate_json(p: PlateResult) -> dict[str, Any]:
    """A fused plate in the ``anpr recognize`` plate shape, plus its role and the cameras behind it."""
    fields = {"text": p.text, "formatted": p.formatted, "confidence": round(p.confidence, 4)}
    return {**fields, **_read_json(p.reads), "rows": p.rows, "valid": p.valid, "role": p.role.value}


def container_json(c: ContainerResult) -> dict[str, Any]:
    """A fused container in the ``anpr recognize`` container shape, plus the cameras behind it."""
    return {
        "number": c.number,
        "check_digit_ok": c.check_digit_ok,
        "size_type": c.size_type,
        **_read_json(c.reads),
        "orientation": c.orientation.value,
        "confidence": round(c.confidence, 4),
    }


def pass_json(event: GateEvent | None, cameras: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The ``anpr pass --json`` object: ``{"plates": [...], "containers": [...], "cameras": {...}}``."""
    plates = [] if event is None else [p for p in (event.plate, event.trailer_plate) if p is not None]
    boxes = [] if event is None else list(event.containers)
    return {
        "plates": [plate_json(p) for p in plates],
        "containers": [container_json(c) for c in boxes],
        "cameras": cameras,
    }


def run_pass(
    assigned: Sequence[tuple[str, str]], recognizer: Recognizer, lane: str = "pass"
) -> tuple[dict[str, Any], int]:
    """Recognise and fuse one pass; returns the JSON object and how many images could not be read."""
    start = datetime.now(UTC)
    cameras: dict[str, list[dict[str, Any]]] = {}
    tracks: list[TrackResult] = []
    failed = 0
    for offset in range(0, len(assigned), _BATCH):
        chunk = list(enumerate(assigned[offset : offset + _BATCH], start=offset))
        loaded = [(i, path, cam, read_image(Path(path))) for i, (path, cam) in chunk]
        good = [(i, path, cam, img) for i, path, cam, img in loaded if img is not None]
        for _, path, cam, img in loaded:
            if img is None:
                failed += 1
                cameras.setdefault(cam, []).append({"image": path, "error": "missing or not a decodable image"})
        results = recognizer.recognize([img for *_, img in good]) if good else []
        for (i, path, cam, _), result in zip(good, results, strict=True):
            cameras.setdefault(cam, []).append(result.to_json(path))
            at = file_stamp(path).when or start + timedelta(milliseconds=i)
            tracks += _tracks_of(path, cam, i, at, result)
    # Stills give one read per camera: an invalid number read once is still shown (flagged invalid).
    event = fuse(tracks, lane, settings=FusionSettings(min_invalid_support=1)) if tracks else None
    return pass_json(event, cameras), failed


def _print_summary(data: dict[str, Any]) -> None:
    for p in data["plates"]:
        state = "valid" if p["valid"] else "not a valid plate"
        typer.echo(f"plate {p['formatted']}  {p['role']}  conf {p['confidence']:.2f}  {state}  {p['cameras']}")
    for c in data["containers"]:
        state = "check digit ok" if c["check_digit_ok"] else "CHECK DIGIT FAILS"
        typer.echo(f"container {c['number']}  {c['size_type'] or '-'}  conf {c['confidence']:.2f}  {state}")
    if not data["plates"] and not data["containers"]:
        typer.echo("nothing read")


# --- anpr watch --------------------------------------------------------------------------------------


class JsonLinesSink:
    """Prints each event as one JSON line (``anpr watch``'s default)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def emit(self, event: GateEvent) -> None:
        line = json.dumps(event_to_json(event), ensure_ascii=False, sort_keys=False)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class DbSink:
    """Stores events through ``db.services.store_event`` in one session and transaction each."""

    def __init__(self, store_event: Callable[[Any, GateEvent], Any], sessionmaker: Callable[[], Any]) -> None:
        self.store_event = store_event
        self.sessionmaker = sessionmaker

    def emit(self, event: GateEvent) -> None:
        try:
            self._store(event)
        except Exception as exc:
            # A pooled connection the database dropped (restart, idle timeout) fails the statement
            # that finds it, and SQLAlchemy then discards the pool's older connections: store again
            # once on a new one (store_event is idempotent on the event id).
            if not getattr(exc, "connection_invalidated", False):
                raise
            log.warning("database connection lost; storing event %s again: %s", event.event_id, exc)
            self._store(event)
        log.info("stored event %s", event.event_id)

    def _store(self, event: GateEvent) -> None:
        with self.sessionmaker() as session:
            self.store_event(session, event)
            session.commit()

    def close(self) -> None:
        return None


def make_sink(db_url: str | None) -> EventSink:
    """The database sink when ``db_url`` is set and the storage layer offers it, else JSON lines on stdout."""
    if db_url:
        try:
            from db.services import store_event  # type: ignore[import-not-found,unused-ignore]
            from db.session import get_sessionmaker

            return DbSink(store_event, get_sessionmaker(db_url))
        except (ImportError, AttributeError) as exc:
            log.warning("database storage is not available (%s); printing events as JSON lines", exc)
    return JsonLinesSink(sys.stdout)


def single_camera_config(
    source: str, camera: str, lane: str, direction: Direction | None, role: CameraRole
) -> GateConfig:
    """The config of ``anpr watch SOURCE --camera ... --lane ...`` (validated like a YAML file)."""
    cam = {"id": camera, "url": source, "lane": lane, "role": role.value}
    if direction is not None:
        cam["direction"] = direction.value
    return parse_config({"cameras": [cam]}, "command line")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM (the pipeline then closes its open passes and returns)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: finishing the current events", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def register(app: typer.Typer, recognizer_factory: RecognizerFactory = build_recognizer) -> None:
    """Add ``pass`` and ``watch`` to ``app``."""

    @app.command("pass")
    def pass_command(
        images: list[str] = typer.Argument(None, help="Frames of one vehicle pass, from one or more cameras."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
        camera: list[str] = typer.Option([], "--camera", help="NAME=GLOB: frames matching GLOB are camera NAME."),
        lane: str = typer.Option("pass", help="Lane name used for the fused event."),
    ) -> None:
        """Fuse the frames of one pass into plates and container numbers (camera from the file name)."""
        assigned = assign_cameras(images or [], parse_camera_map(camera))
        if not assigned:
            raise InvalidInputError("no images given (pass IMAGE... or --camera NAME=GLOB)")
        data, failed = run_pass(assigned, recognizer_factory(), lane)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            _print_summary(data)
        if failed:
            raise typer.Exit(code=1)

    @app.command("watch")
    def watch_command(
        source: str | None = typer.Argument(None, help="Stream URL, video file, image folder or glob."),
        config: Path | None = typer.Option(None, "--config", help="cameras.yaml with lanes and cameras."),
        camera: str = typer.Option("camera-1", "--camera", help="Camera id for SOURCE."),
        lane: str = typer.Option("lane-1", "--lane", help="Lane id for SOURCE."),
        direction: Direction | None = typer.Option(None, "--direction", help="Fixed direction for SOURCE."),
        role: CameraRole = typer.Option(CameraRole.PLATE_FRONT, "--role", help="What SOURCE looks at."),
        db: str | None = typer.Option(None, "--db", envvar="DATABASE_URL", help="Store events in this database."),
        evidence_dir: Path | None = typer.Option(None, "--evidence-dir", help="Default: ANPR_EVIDENCE_DIR."),
        no_evidence: bool = typer.Option(False, "--no-evidence", help="Do not write evidence images."),
    ) -> None:
        """Run the gate pipeline until the sources end or SIGINT/SIGTERM; events are JSON lines or DB rows."""
        if (config is None) == (source is None):
            raise InvalidInputError("give either SOURCE or --config cameras.yaml")
        if config is not None:
            gate = load_config(config)
        else:
            assert source is not None
            gate = single_camera_config(source, camera, lane, direction, role)
        if not no_evidence and evidence_dir is None:
            from anpr.config import get_settings

            evidence_dir = get_settings().evidence_dir
        runner = GateRunner(
            gate, get_gate_settings(), recognizer_factory(), make_sink(db), None if no_evidence else evidence_dir
        )
        stop = threading.Event()
        with stop_on_signals(stop):
            health = runner.run(stop)
        if health.sources and all(h.state is SourceState.FAILED for h in health.sources.values()):
            raise typer.Exit(code=1)
