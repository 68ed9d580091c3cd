"""``anpr demo``: a short synthetic gate scenario, run through the real pipeline into SQLite, then served.

Steps (each a function, so the lead or a test can run them one by one):

1. :func:`render_scenario` draws every pass of :data:`PASSES` with
   :func:`anpr.synth.demo.render_pass_frames` (a plate camera and a container
   camera per lane; an ``in`` lane and an ``out`` lane) and writes the frames as
   time-stamped JPEG folders, one per camera, plus ``cameras.yaml``.
2. :func:`run_pipeline` runs :class:`anpr.gate.GateRunner` (motion, detector,
   tracking, OCR, fusion, evidence) over those folders and stores each event
   through :func:`db.services.store_event`.
3. :func:`import_sample_declarations` writes ``declarations.json`` (some passes
   declared, one with another plate, one never seen, one half seen), imports it
   with the storage layer's importer and runs the cross-check.
4. :func:`register_cameras` records the cameras and their heartbeat, and
   :func:`run_demo` creates an officer key, prints it and serves the API and
   console with uvicorn.

The recogniser is the shipped one (``models/gate-detector.onnx`` and the OCR
weights). Until those weights exist, ``--recognizer auto`` falls back, with a
warning, to :class:`TruthDetector`/:class:`TruthOcr`, which answer from the
renderer's ground truth, so the rest of the pipeline still runs for real.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import cv2

from anpr import containers, plates
from anpr.cameras import CameraConfig, CameraRole, GateConfig, GateSettings, LaneConfig
from anpr.config import AnprSettings
from anpr.events import Direction
from anpr.recognition import Recognizer
from anpr.sources import read_image
from anpr.synth.demo import CAMERAS, render_pass_frames
from anpr.synth.scenes import SynthObject
from anpr.types import DetClass, Detection, ImageArray, Reading

log = logging.getLogger(__name__)

RecognizerMode = Literal["auto", "models", "truth"]
FRAME_STEP = timedelta(milliseconds=200)
"""Frames are 0.2 s apart: the pipeline's default sampling rate of 5 per second."""


@dataclass(frozen=True, slots=True)
class DemoPass:
    """One truck through the gate: what it carries, which way, and how long ago."""

    plate: str
    containers: tuple[str, ...]
    direction: Direction
    minutes_ago: int
    story: str
    plate_hidden: bool = False
    """The plate is caked in mud: no camera can read it, and the pass goes to the officers' review."""


PASSES: tuple[DemoPass, ...] = (
    DemoPass("51C-123.45", ("MSCU1234566",), Direction.IN, 180, "declared on C11 106012345670: matched"),
    DemoPass("29H-123.45", ("TGHU1234567",), Direction.IN, 150, "no declaration: undeclared"),
    DemoPass("15C-234.56", ("HLXU8765430",), Direction.IN, 120, "declared for another truck: plate mismatch"),
    DemoPass("43C-567.89", ("OOLU4567896",), Direction.IN, 90, "one of two declared containers: partial"),
    DemoPass("51C-123.45", ("CSQU3054383",), Direction.OUT, 45, "declared on C12 306012345670: matched"),
    DemoPass(
        "60C-246.80",
        ("BMOU2468137",),
        Direction.IN,
        20,
        "plate under mud: unreadable, in the review list; corrected to 60C-246.80 it matches C11 106012345710",
        plate_hidden=True,
    ),
)


def sample_declarations(now: datetime) -> list[dict[str, Any]]:
    """Declarations for :data:`PASSES` (JSON rows for :mod:`db.declarations`)."""

    def row(
        number: str, code: str, plate: list[str], boxes: list[str], start: timedelta, end: timedelta
    ) -> dict[str, Any]:
        return {
            "number": number, "type_code": code, "office_code": "02CI", "location_code": "02CIKNQ01",
            "plates": plate, "containers": boxes, "valid_from": (now - start).isoformat(),
            "valid_to": (now + end).isoformat(),
        }  # fmt: skip

    day = timedelta(days=1)
    return [
        row("106012345670", "C11", ["51C-123.45"], ["MSCU1234566:VN0001"], day, 2 * day),
        row("106012345680", "C11", ["60C-111.22"], ["HLXU8765430:VN0002"], day, 2 * day),
        row("106012345690", "C11", ["43C-567.89"], ["OOLU4567896", "TCNU1122333"], day, -timedelta(minutes=30)),
        row("106012345700", "C11", ["51D-678.90"], ["MAEU9988774"], 3 * day, -day),
        row("306012345670", "C12", ["51C-123.45"], ["CSQU3054383:VN0003"], day, 2 * day),
        row("106012345710", "C11", ["60C-246.80"], ["BMOU2468137:VN0004"], day, 2 * day),
    ]


# --- the ground-truth recogniser (fallback until the trained weights exist) ---------------------


def fingerprint(image: ImageArray) -> bytes:
    """Identity of a decoded frame (the same file always decodes to the same pixels)."""
    return hashlib.sha1(image.tobytes()).digest() + repr(image.shape).encode()


class TruthDetector:
    """A :class:`~anpr.detector.Detector` that returns the renderer's boxes for frames it has seen."""

    def __init__(self, truth: dict[bytes, tuple[SynthObject, ...]]) -> None:
        self.truth = truth
        self._last: dict[int, tuple[SynthObject, ...]] = {}
        self._lock = threading.Lock()

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        out = []
        for image in images:
            objects = self.truth.get(fingerprint(image), ())
            with self._lock:
                if len(self._last) > 64:
                    self._last.clear()
                self._last[id(image)] = objects
            out.append([Detection(o.cls, o.bbox, 0.99) for o in objects])
        return out

    def objects(self, image: ImageArray) -> tuple[SynthObject, ...]:
        with self._lock:
            return self._last.get(id(image), ())


class TruthOcr:
    """An :class:`~anpr.recognition.OcrEngine` reading the renderer's text in :class:`TruthDetector` boxes."""

    def __init__(self, detector: TruthDetector) -> None:
        self.detector = detector

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        known = {(o.cls, o.bbox): o for o in self.detector.objects(image)}
        return [_reading(d, known.get((d.cls, d.bbox))) for d in detections]


TRUTH_CONFIDENCE = 0.995
"""What the ground-truth recogniser reports: sure, as the recognisers are on a clean rendered plate
(they read the demo's plates at 1.0), so only what the scenario hides goes to the review list."""


def _reading(det: Detection, obj: SynthObject | None) -> Reading | None:
    if obj is None:
        return None
    text, formatted, valid = obj.text, obj.text, True
    if obj.cls is DetClass.PLATE:
        plate = plates.parse(obj.text, rows=obj.rows)
        text, valid = (plate.text, True) if plate else (plates.normalize(obj.text), False)
        formatted = plate.formatted if plate else text
    elif obj.cls is DetClass.CONTAINER_NUMBER:
        valid = containers.parse(obj.text) is not None
    elif obj.cls is DetClass.SIZE_TYPE:
        valid = containers.parse_size_type(obj.text) is not None
    return Reading(
        det.cls,
        text,
        formatted,
        TRUTH_CONFIDENCE,
        valid,
        rows=obj.rows,
        bbox=det.bbox,
        orientation=obj.orientation,
        detection_confidence=det.confidence,
    )


def choose_recognizer(
    mode: RecognizerMode, settings: AnprSettings, truth: dict[bytes, tuple[SynthObject, ...]]
) -> tuple[Recognizer, str]:
    """The recogniser the demo runs and its name (``models`` or ``truth``)."""
    weights = settings.detector_path()
    if mode == "models" or (mode == "auto" and weights.exists()):
        from anpr.detector import load_detector
        from anpr.ocr import load_ocr

        return Recognizer(load_detector(settings), load_ocr(settings)), "models"
    if mode == "auto":
        log.warning("%s is missing: the demo reads the renderer's ground truth instead of running the models", weights)
    detector = TruthDetector(truth)
    return Recognizer(detector, TruthOcr(detector)), "truth"


# --- rendering, pipeline, storage ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderedScenario:
    config: GateConfig
    truth: dict[bytes, tuple[SynthObject, ...]]
    frames: int


def _stamp(at: datetime) -> str:
    utc = at.astimezone(UTC)
    return utc.strftime("%Y%m%dT%H%M%S") + f"{utc.microsecond // 1000:03d}"


def _camera_id(direction: Direction, camera: str) -> str:
    return f"{direction.value}-{'plate' if camera == 'plate-front' else 'side'}"


def render_scenario(
    root: Path, now: datetime, passes: Sequence[DemoPass] = PASSES, *, n_frames: int = 12,
    size: tuple[int, int] = (1280, 720),
) -> RenderedScenario:  # fmt: skip
    """Write each camera's frames to ``root/frames/<camera>/<UTC time>.jpg`` and return the gate config."""
    truth: dict[bytes, tuple[SynthObject, ...]] = {}
    count = 0
    for i, p in enumerate(passes):
        sequence = render_pass_frames(
            p.plate, p.containers, CAMERAS, n_frames=n_frames, seed=100 + i, size=size, plate_hidden=p.plate_hidden
        )
        start = now - timedelta(minutes=p.minutes_ago)
        for cam in sequence.cameras:
            folder = root / "frames" / _camera_id(p.direction, cam.camera)
            folder.mkdir(parents=True, exist_ok=True)
            for k, (image, objects) in enumerate(zip(cam.frames, cam.truth, strict=True)):
                path = folder / f"{_stamp(start + k * FRAME_STEP)}.jpg"
                cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
                decoded = read_image(path)
                if decoded is not None:
                    truth[fingerprint(decoded)] = objects
                count += 1
    cameras = [
        CameraConfig(id=_camera_id(d, cam), url=str(root / "frames" / _camera_id(d, cam)), lane=f"lane-{d.value}",
                     role=CameraRole(cam))
        for d in sorted({p.direction for p in passes}) for cam in CAMERAS
        if (root / "frames" / _camera_id(d, cam)).is_dir()
    ]  # fmt: skip
    lanes = tuple(LaneConfig(id=f"lane-{d.value}", direction=d) for d in sorted({p.direction for p in passes}))
    return RenderedScenario(GateConfig(lanes=lanes, cameras=tuple(cameras)), truth, count)


def run_pipeline(scenario: RenderedScenario, recognizer: Recognizer, database_url: str, evidence_dir: Path) -> Any:
    """Run the gate pipeline over the rendered folders, storing every event; returns its health."""
    from sqlalchemy.orm import sessionmaker

    from anpr.cli_gate import DbSink
    from anpr.gate import GateRunner
    from db.config import DbSettings
    from db.services import store_event
    from db.session import build_engine

    settings = DbSettings(database_url=database_url)
    engine = build_engine(database_url, settings)
    try:
        sink = DbSink(partial(store_event, settings=settings), sessionmaker(engine, expire_on_commit=False))
        runner = GateRunner(scenario.config, GateSettings(health_log_s=3600.0), recognizer, sink, evidence_dir)
        return runner.run(threading.Event())
    finally:
        engine.dispose()


def import_sample_declarations(root: Path, database_url: str, now: datetime) -> dict[str, Any]:
    """Write ``declarations.json``, import it and run the cross-check; returns the import report."""
    from sqlalchemy.orm import Session

    from db.checks import recheck_due
    from db.config import DbSettings
    from db.declaration_service import import_declarations
    from db.declarations import load_file
    from db.session import build_engine

    path = root / "declarations.json"
    path.write_text(json.dumps(sample_declarations(now), indent=2), encoding="utf-8")
    settings = DbSettings(database_url=database_url)
    engine = build_engine(database_url, settings)
    try:
        with Session(engine, expire_on_commit=False) as session:
            report = import_declarations(
                session, load_file(path, settings.zone), source="demo", settings=settings, now=now
            )
            recheck_due(session, now, settings=settings)
            session.commit()
    finally:
        engine.dispose()
    return report.as_dict()


def register_cameras(config: GateConfig, health: Any, database_url: str, now: datetime) -> None:
    """Record the demo cameras and one heartbeat each with the frames the pipeline processed."""
    from sqlalchemy.orm import Session

    from db.repositories.cameras import create_camera, record_heartbeat
    from db.session import build_engine

    engine = build_engine(database_url)
    try:
        with Session(engine) as session:
            for cam in config.cameras:
                lane = config.lane(cam.lane)
                direction = lane.direction.value if lane.direction else "unknown"
                create_camera(
                    session,
                    name=cam.id,
                    lane=cam.lane,
                    role=cam.role.value,
                    direction=direction,
                    actor="anpr demo",
                    now=now - timedelta(hours=4),
                    url=Path(cam.url).resolve().as_uri(),
                )
                stats = health.workers.get(cam.id) if health is not None else None
                source = health.sources.get(cam.id) if health is not None else None
                record_heartbeat(
                    session,
                    cam.id,
                    at=now,
                    up=True,
                    frames=stats.frames if stats else 0,
                    last_frame_at=source.last_frame_at if source else None,
                )
            session.commit()
    finally:
        engine.dispose()


def create_officer_key(database_url: str) -> str:
    from sqlalchemy.orm import Session

    from api.services.apikeys import create_api_key
    from db.session import build_engine

    engine = build_engine(database_url)
    try:
        with Session(engine) as session:
            key = create_api_key(session, "officer", "demo officer").secret
            session.commit()
    finally:
        engine.dispose()
    return key


@dataclass(frozen=True, slots=True)
class DemoResult:
    database_url: str
    evidence_dir: Path
    officer_key: str
    recognizer: str
    frames: int
    events: int
    declarations: dict[str, Any]


def prepare_demo(
    root: Path, *, mode: RecognizerMode = "auto", n_frames: int = 12, size: tuple[int, int] = (1280, 720),
    now: datetime | None = None, say: Callable[[str], None] = print,
) -> DemoResult:  # fmt: skip
    """Steps 1-4 on a fresh ``root`` (it is deleted first): everything but serving."""
    from db.migrate import upgrade

    now = now or datetime.now(UTC)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    database_url = f"sqlite:///{(root / 'anpr.db').resolve()}"
    evidence_dir = (root / "evidence").resolve()
    upgrade(database_url)
    say(f"rendering {len(PASSES)} passes into {root / 'frames'} ...")
    scenario = render_scenario(root, now, n_frames=n_frames, size=size)
    settings = AnprSettings(evidence_dir=evidence_dir)
    recognizer, used = choose_recognizer(mode, settings, scenario.truth)
    say(f"running the gate pipeline on {scenario.frames} frames (recogniser: {used}) ...")
    health = run_pipeline(scenario, recognizer, database_url, evidence_dir)
    events = sum(lane.events for lane in health.lanes.values())
    say(f"stored {events} gate events; importing sample declarations and cross-checking ...")
    report = import_sample_declarations(root, database_url, now)
    register_cameras(scenario.config, health, database_url, now)
    return DemoResult(
        database_url, evidence_dir, create_officer_key(database_url), used, scenario.frames, events, report
    )


def serve(result: DemoResult, host: str, port: int) -> None:
    """Serve the API and console on the demo database (blocks until Ctrl-C)."""
    import uvicorn

    from api.config import ApiSettings
    from api.main import create_app
    from db.config import DbSettings

    app = create_app(
        ApiSettings(),
        db_settings=DbSettings(database_url=result.database_url),
        anpr_settings=AnprSettings(evidence_dir=result.evidence_dir),
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
