"""Still-image recognition: the same JSON as ``anpr recognize --json``, for one uploaded image."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from api.deps import AuditNote, State, require
from api.roles import Permission
from api.schemas.common import ERRORS, ErrorOut
from api.schemas.events import RecognizeOut
from api.services.uploads import TooManyPixelsError, decode_image

router = APIRouter(tags=["recognition"], responses=ERRORS)


def _name(filename: str | None) -> str:
    base = PurePosixPath(PureWindowsPath(filename or "upload").name).name
    return "".join(c for c in base if c.isprintable())[:255] or "upload"


@router.post(
    "/recognize",
    response_model=None,
    responses={
        200: {"model": RecognizeOut, "description": "Plates and container numbers read in the image."},
        415: {"model": ErrorOut, "description": "Not an image of an allowed type."},
        503: {"model": ErrorOut, "description": "The detector or OCR weights cannot be loaded."},
    },
)
def recognize(
    file: Annotated[UploadFile, File(description="One JPEG/PNG/BMP/WebP image.")],
    state: State,
    audit: Annotated[AuditNote, Depends(require(Permission.EVENTS))],
) -> JSONResponse:
    """Detect and read plates and container numbers in one image (multipart field ``file``)."""
    settings = state.settings
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"image is larger than the limit of {settings.max_upload_bytes} bytes")
    try:
        image = decode_image(data, file.content_type, settings.allowed_image_types, settings.max_image_pixels)
    except TooManyPixelsError as exc:
        raise HTTPException(413, str(exc)) from exc
    result = state.recognizer.recognize([image])[0]
    body: dict[str, Any] = result.to_json(_name(file.filename))
    audit.note(plates=len(body["plates"]), containers=len(body["containers"]))
    return JSONResponse(body)
