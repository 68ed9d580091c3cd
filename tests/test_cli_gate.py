"""``anpr pass`` and ``anpr watch`` through Typer's runner, with a colour-blob recogniser at the seam."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import types
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import typer
from blob_fakes import BLUE, GREEN, MAGENTA, RED, BlobDetector, Colour, blob_colour
from typer.testing import CliRunner

from anpr.cli_gate import DbSink, JsonLinesSink, make_sink, register, stop_on_signals
from anpr.consensus import validate
from anpr.errors import ConfigError, InvalidInputError
from anpr.event_json import event_from_json
from anpr.events import Direction, GateEvent
from anpr.recognition import Recognizer
from anpr.synth.demo import write_video
from anpr.types import DetClass, Detection, ImageArray, Reading


class TextOcr:
    """Reads ``texts[colour]`` in a blob of that colour."""

    def __init__(self, texts: dict[Colour, str]) -> None:
        self.texts = texts

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        out: list[Reading | None] = []
        for d in detections:
            b = d.bbox
            text = self.texts[blob_colour(image, b, self.texts)]
            if d.cls is DetClass.SIZE_TYPE:
                out.append(Reading(d.cls, "22G1", "22G1", 0.9, True, bbox=b))
                continue
            valid = validate(d.cls, text) is not None
            out.append(Reading(d.cls, text, text, 0.85, valid, bbox=b))
        return out


TEXTS = {RED: "51C12345", BLUE: "MSCU1234566", GREEN: "TGHU9876542", MAGENTA: "22G1"}


def app_with(texts: dict[Colour, str] = TEXTS) -> typer.Typer:
    app = typer.Typer()
    register(app, recognizer_factory=lambda: Recognizer(BlobDetector(), TextOcr(texts)))
    return app


def still(path: Path, blobs: list[tuple[Colour, int]]) -> str:
    """A grey 640x360 frame with a 100x36 blob of each colour at x (and y = 150)."""
    img = np.full((360, 640, 3), 90, np.uint8)
    for colour, x in blobs:
        cv2.rectangle(img, (x, 150), (x + 100, 186), colour, -1)
    cv2.imwrite(str(path), img)
    return str(path)


def run(app: typer.Typer, args: list[str]) -> Any:
    return CliRunner().invoke(app, args)


def gate_pass(tmp_path: Path) -> list[str]:
    """One pass in the gate dataset's naming: AS sees both containers, LF one, RF the plate."""
    return [
        still(tmp_path / "1-154400001-OCR-AS-B01.jpg", [(BLUE, 50), (GREEN, 400), (MAGENTA, 200)]),
        still(tmp_path / "1-154400001-OCR-LF-C01.jpg", [(GREEN, 300)]),
        still(tmp_path / "1-154400001-OCR-RF-D01.jpg", [(RED, 250)]),
    ]


def test_pass_json_fuses_cameras_named_in_the_file_names(tmp_path: Path) -> None:
    result = run(app_with(), ["pass", "--json", *gate_pass(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"plates", "containers", "cameras"}
    (plate,) = data["plates"]
    assert (plate["text"], plate["formatted"], plate["valid"], plate["role"]) == (
        "51C12345",
        "51C-123.45",
        True,
        "truck",
    )
    assert plate["cameras"] == ["RF"] and plate["camera"] == "RF"
    assert plate["bbox"] == pytest.approx([250, 150, 351, 187], abs=2)
    numbers = {c["number"]: c for c in data["containers"]}
    assert set(numbers) == {"MSCU1234566", "TGHU9876542"}
    assert all(c["check_digit_ok"] for c in numbers.values())
    assert numbers["TGHU9876542"]["cameras"] == ["AS", "LF"] and numbers["TGHU9876542"]["reads"] == 2
    assert numbers["MSCU1234566"]["size_type"] == "22G1"
    assert sorted(data["cameras"]) == ["AS", "LF", "RF"]
    (as_image,) = data["cameras"]["AS"]  # the ``anpr recognize --json`` object of that image
    assert as_image["image"].endswith("1-154400001-OCR-AS-B01.jpg")
    assert {c["number"] for c in as_image["containers"]} == {"MSCU1234566", "TGHU9876542"}


def test_pass_never_reports_a_failing_check_digit_as_valid(tmp_path: Path) -> None:
    texts = {**TEXTS, BLUE: "MSCU1234567"}
    result = run(app_with(texts), ["pass", "--json", *gate_pass(tmp_path)])
    numbers = {c["number"]: c["check_digit_ok"] for c in json.loads(result.stdout)["containers"]}
    assert numbers == {"MSCU1234567": False, "TGHU9876542": True}


def test_camera_map_and_prefix_names(tmp_path: Path) -> None:
    a = still(tmp_path / "front_0001.jpg", [(RED, 100)])
    b = still(tmp_path / "x0002.jpg", [(BLUE, 100)])
    result = run(app_with(), ["pass", "--json", "--camera", f"side={tmp_path}/x*.jpg", a])
    assert result.exit_code == 0, result.output
    cameras = json.loads(result.stdout)["cameras"]
    assert sorted(cameras) == ["front", "side"] and cameras["side"][0]["image"] == b


def test_unreadable_image_is_reported_and_the_rest_still_fused(tmp_path: Path) -> None:
    good = still(tmp_path / "cam_1.jpg", [(RED, 100)])
    broken = tmp_path / "cam_2.jpg"
    broken.write_bytes(b"junk")
    result = run(app_with(), ["pass", "--json", good, str(broken), str(tmp_path / "cam_3.jpg")])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [p["text"] for p in data["plates"]] == ["51C12345"]
    errors = [e for e in data["cameras"]["cam"] if "error" in e]
    assert len(errors) == 2


def test_pass_text_output_and_bad_arguments(tmp_path: Path) -> None:
    result = run(app_with(), ["pass", *gate_pass(tmp_path)])
    assert result.exit_code == 0
    assert "plate 51C-123.45" in result.stdout and "container MSCU1234566" in result.stdout
    assert isinstance(run(app_with(), ["pass"]).exception, InvalidInputError)
    assert isinstance(run(app_with(), ["pass", "--camera", "nonsense", "x.jpg"]).exception, InvalidInputError)


def moving_video(path: Path) -> str:
    frames = []
    for i in range(60):
        img = np.full((360, 640, 3), 80, np.uint8)
        if 10 <= i < 46:
            x = 640 - (i - 10) * 25
            cv2.rectangle(img, (x - 40, 120), (x + 150, 300), (225, 225, 225), -1)
            cv2.rectangle(img, (x, 220), (x + 100, 256), RED, -1)
        frames.append(img)
    return str(write_video(frames, path, fps=10.0))


def test_watch_prints_events_as_json_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ANPR_GATE_FUSION_WINDOW_S", "2")
    from anpr.cameras import get_gate_settings

    get_gate_settings.cache_clear()
    video = moving_video(tmp_path / "front_20261127T031500000.avi")
    args = ["watch", video, "--camera", "front", "--lane", "g1", "--direction", "out", "--evidence-dir", str(tmp_path)]
    result = run(app_with(), args)
    get_gate_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    event = event_from_json(json.loads(line))
    assert (event.lane, event.direction.value) == ("g1", "out")
    assert event.plate is not None and event.plate.text == "51C12345"
    assert event.evidence and all((tmp_path / e.path).is_file() for e in event.evidence)


def test_watch_argument_errors(tmp_path: Path) -> None:
    assert isinstance(run(app_with(), ["watch"]).exception, InvalidInputError)
    both = run(app_with(), ["watch", "x.mp4", "--config", str(tmp_path / "c.yaml")])
    assert isinstance(both.exception, InvalidInputError)
    bad_id = run(app_with(), ["watch", "rtsp://cam/1", "--camera", "no spaces please", "--no-evidence"])
    assert isinstance(bad_id.exception, ConfigError)


class RecordingSession:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("closed")

    def commit(self) -> None:
        self.log.append("commit")


def test_db_sink_when_storage_offers_store_event(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[str] = []
    services = types.ModuleType("db.services")

    def store_event(session: RecordingSession, event: GateEvent) -> None:
        session.log.append(f"store {event.event_id}")

    services.store_event = store_event  # type: ignore[attr-defined]
    session_mod = types.ModuleType("db.session")
    session_mod.get_sessionmaker = lambda url: lambda: RecordingSession(stored)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "db.services", services)
    monkeypatch.setitem(sys.modules, "db.session", session_mod)
    sink = make_sink("sqlite:///var/test.db")
    assert isinstance(sink, DbSink)
    at = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
    sink.emit(GateEvent("lane-1-x", "lane-1", Direction.IN, at, at))
    assert stored == ["store lane-1-x", "commit", "closed"]  # one session and transaction per event


def test_sink_falls_back_to_json_without_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "db.services", None)  # importing it raises ImportError
    assert isinstance(make_sink("sqlite:///var/test.db"), JsonLinesSink)
    assert isinstance(make_sink(None), JsonLinesSink)


def test_signals_set_stop_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    with stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(2.0)
    assert signal.getsignal(signal.SIGTERM) is before
