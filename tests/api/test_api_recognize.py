"""POST /recognize returns exactly the ``anpr recognize --json`` object; limits hold while streaming."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from api_builders import FakeDetector, FakeOcr, Keys, jpeg_bytes
from fastapi.testclient import TestClient
from PIL import Image
from starlette.types import Message, Receive, Scope, Send

from anpr.recognition import Recognizer
from api.middleware import BodyLimit
from api.state import LazyRecognizer


def _upload(client: TestClient, keys: Keys, data: bytes, name: str = "gate.jpg", kind: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/recognize", files={"file": (name, data, kind)}, headers=keys.headers("integration"))


def test_recognize_returns_the_cli_json(client: TestClient, keys: Keys) -> None:
    data = jpeg_bytes(400, 200)
    answer = _upload(client, keys, data, name="C:\\photos\\lane 1.jpg")
    assert answer.status_code == 200, answer.text
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    image = decoded.astype(np.uint8)
    expected = Recognizer(FakeDetector(), FakeOcr()).recognize([image])[0].to_json("lane 1.jpg")
    assert answer.json() == expected
    assert answer.json()["plates"][0]["formatted"] == "51C-123.45"


@pytest.mark.parametrize("fmt", [".png", ".bmp", ".webp"])
def test_other_image_types_are_read(client: TestClient, keys: Keys, fmt: str) -> None:
    ok, buf = cv2.imencode(fmt, np.full((60, 90, 3), 128, np.uint8))
    assert ok
    answer = _upload(client, keys, buf.tobytes(), name=f"x{fmt}", kind="application/octet-stream")
    assert answer.status_code == 200, answer.text


def test_a_pixel_bomb_is_refused_from_its_header(client: TestClient, keys: Keys) -> None:
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, format="PNG")  # 81 Mpx, a few kB compressed
    answer = _upload(client, keys, buffer.getvalue(), name="bomb.png", kind="image/png")
    assert answer.status_code == 413 and "pixels" in answer.json()["detail"]


def test_missing_weights_answer_503_without_retrying_each_call() -> None:
    calls = []

    def broken() -> Recognizer:
        calls.append(1)
        raise OSError("models/gate-detector.onnx: no such file")

    lazy = LazyRecognizer(broken)
    for _ in range(3):
        with pytest.raises(Exception, match="cannot be loaded"):
            lazy.get()
    assert len(calls) == 1


def test_the_recognizer_is_not_built_until_first_use(client: TestClient, keys: Keys) -> None:
    state = client.app.state.anpr  # type: ignore[attr-defined]
    assert not state.recognizer.loaded
    client.get("/api/v1/events", headers=keys.headers("officer"))
    assert not state.recognizer.loaded
    _upload(client, keys, jpeg_bytes())
    assert state.recognizer.loaded


def test_body_limit_stops_reading_a_stream_as_soon_as_it_passes_the_limit() -> None:
    pulled: list[int] = []
    seen: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def receive() -> Message:
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": len(pulled) < 100}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "path": "/api/v1/recognize", "headers": [], "method": "POST"}
    with pytest.raises(Exception, match="413"):
        asyncio.run(BodyLimit(app, lambda path: 2500)(scope, receive, send))
    assert len(pulled) == 3  # 3000 bytes > 2500: stopped at the third chunk of a hundred
    assert not sent


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    pulled: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Message:
        pulled.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "path": "/x", "headers": [(b"content-length", b"999999")], "method": "POST"}
    asyncio.run(BodyLimit(app, lambda path: 1000)(scope, receive, send))
    assert not pulled
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"] == "payload_too_large"


def test_chunked_upload_over_the_limit_is_413(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"y" * 10_000

    answer = client.post(
        "/api/v1/recognize", content=chunks(),
        headers={**keys.headers("integration"), "Content-Type": "multipart/form-data; boundary=xyz"},
    )  # fmt: skip
    assert answer.status_code == 413 and answer.json()["error"] == "payload_too_large"
