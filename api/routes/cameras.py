"""Cameras: register and change them (credentials write-only), read their health and credential changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import AuditNote, SessionDep, Window, require
from api.roles import Permission
from api.schemas.cameras import CameraHealthOut, CameraIn, CameraOut, CameraPatchIn, CredentialChangeOut
from api.schemas.common import ERRORS
from db.models import utcnow
from db.repositories import cameras as repo

router = APIRouter(prefix="/cameras", tags=["cameras"], responses=ERRORS)
Manager = Annotated[AuditNote, Depends(require(Permission.CAMERAS))]
Viewer = Annotated[AuditNote, Depends(require(Permission.CAMERAS, Permission.READ))]
CameraId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _secret(value: object) -> str | None:
    get = getattr(value, "get_secret_value", None)
    return str(get()) if get is not None else None


@router.post("", response_model=CameraOut, status_code=201)
def create_camera(body: CameraIn, session: SessionDep, audit: Manager) -> CameraOut:
    """Register a camera. User and password are stored encrypted and never returned; setting a URL
    or credentials writes a credential-change record for the notice to Customs."""
    view = repo.create_camera(
        session, name=body.name, lane=body.lane, role=body.role, direction=body.direction, actor=audit.actor,
        now=utcnow(), url=body.url, username=_secret(body.username), password=_secret(body.password),
        enabled=body.enabled,
    )  # fmt: skip
    audit.note(camera_id=view.id)
    return CameraOut.of(view)


@router.get("", response_model=list[CameraOut])
def list_cameras(session: SessionDep, audit: Viewer) -> list[CameraOut]:
    return [CameraOut.of(c) for c in repo.list_cameras(session)]


@router.get("/{camera_id}", response_model=CameraOut)
def get_camera(camera_id: CameraId, session: SessionDep, audit: Viewer) -> CameraOut:
    return CameraOut.of(repo.get_camera(session, camera_id))


@router.patch("/{camera_id}", response_model=CameraOut)
def update_camera(camera_id: CameraId, body: CameraPatchIn, session: SessionDep, audit: Manager) -> CameraOut:
    """Change the fields sent. A change of URL, user or password writes a credential-change record."""
    patch = repo.CameraPatch(
        name=body.name, lane=body.lane, role=body.role, direction=body.direction, url=body.url,
        username=_secret(body.username), password=_secret(body.password), enabled=body.enabled,
    )  # fmt: skip
    view = repo.update_camera(session, camera_id, patch, actor=audit.actor, now=utcnow())
    audit.note(fields=sorted(body.model_fields_set))
    return CameraOut.of(view)


@router.get("/{camera_id}/health", response_model=CameraHealthOut)
def camera_health(camera_id: CameraId, session: SessionDep, audit: Viewer, window: Window) -> CameraHealthOut:
    """Uptime (share of heartbeats up), frames and last frame over ``[from, to]`` (default: last 24 h)."""
    end = window.end or utcnow()
    start = window.start or end - timedelta(days=1)
    return CameraHealthOut.of(repo.camera_health(session, camera_id, start, end), start, end)


@router.get("/{camera_id}/credential-changes", response_model=list[CredentialChangeOut])
def credential_changes(camera_id: CameraId, session: SessionDep, audit: Manager) -> list[CredentialChangeOut]:
    """Every change of the camera's URL, user or password (which fields, who, when; never the values)."""
    repo.get_camera(session, camera_id)
    return [CredentialChangeOut.of(c) for c in repo.credential_changes(session, camera_id=camera_id)]
