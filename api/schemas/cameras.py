"""Cameras: credentials go in, never come out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, StrictBool

from api.schemas.common import FromData, Input
from db.repositories.cameras import CameraHealth, CameraView, CredentialChange


class CameraIn(Input):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    lane: str = Field(min_length=1, max_length=64)
    role: str = Field("plate", min_length=1, max_length=32, description="What the camera looks at, e.g. plate.")
    direction: Literal["in", "out", "unknown"] = "unknown"
    url: str | None = Field(None, max_length=1024, description="Stream URL without user/password in it.")
    username: SecretStr | None = Field(None, description="Write-only; stored encrypted.")
    password: SecretStr | None = Field(None, description="Write-only; stored encrypted.")
    enabled: StrictBool = True


class CameraPatchIn(Input):
    """Only the fields sent change; an empty string clears url, username or password."""

    name: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    lane: str | None = Field(None, min_length=1, max_length=64)
    role: str | None = Field(None, min_length=1, max_length=32)
    direction: Literal["in", "out", "unknown"] | None = None
    url: str | None = Field(None, max_length=1024)
    username: SecretStr | None = None
    password: SecretStr | None = None
    enabled: StrictBool | None = None


class CameraOut(FromData):
    id: int
    name: str
    lane: str
    role: str
    direction: str
    url: str | None
    has_username: bool = Field(description="Whether a user name is stored (it is never returned).")
    has_password: bool = Field(description="Whether a password is stored (it is never returned).")
    enabled: bool
    frames_processed: int
    last_frame_at: datetime | None
    last_heartbeat_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: CameraView) -> CameraOut:
        return cls.model_validate(c)


class CameraHealthOut(BaseModel):
    camera: CameraOut
    start: datetime
    end: datetime
    samples: int
    up_samples: int
    frames: int
    uptime: float | None = Field(description="Share of heartbeats that were up; null without heartbeats.")

    @classmethod
    def of(cls, h: CameraHealth, start: datetime, end: datetime) -> CameraHealthOut:
        return cls(
            camera=CameraOut.of(h.camera),
            start=start,
            end=end,
            samples=h.samples,
            up_samples=h.up_samples,
            frames=h.frames,
            uptime=h.uptime,
        )


class CredentialChangeOut(FromData):
    id: int
    camera_id: int | None
    camera_name: str
    changed_at: datetime
    changed_by: str
    fields: list[str] = Field(description="Which of url, username, password changed (values never shown).")
    old_url: str | None
    new_url: str | None
    notified_at: datetime | None

    @classmethod
    def of(cls, c: CredentialChange) -> CredentialChangeOut:
        return cls.model_validate(c)
