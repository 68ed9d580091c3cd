"""Audit log, API keys and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import FromData, Input
from db.repositories.admin import ApiKeyView, AuditEntry, WebhookView

WebhookEvent = Literal["undeclared", "plate_mismatch", "unreadable", "missing", "partial", "reviewed", "*"]


def _default_events() -> list[WebhookEvent]:
    return ["undeclared", "plate_mismatch", "missing", "partial"]


class AuditOut(FromData):
    id: int
    at: datetime
    actor: str = Field(description="key:<id>:<name> of the caller.")
    action: str = Field(description="HTTP method and route, e.g. GET /api/v1/vehicles/{plate}/entries.")
    target: str = Field(description="The path and query asked for.")
    details: dict[str, Any]

    @classmethod
    def of(cls, a: AuditEntry) -> AuditOut:
        return cls.model_validate(a)


class ApiKeyIn(Input):
    role: Literal["officer", "operator", "integration", "admin"]
    name: str = Field("", max_length=128)


class ApiKeyOut(FromData):
    id: int
    name: str
    role: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, k: ApiKeyView) -> ApiKeyOut:
        return cls.model_validate(k)


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The API key. Shown this once; only its hash is stored.")


class WhoAmIOut(BaseModel):
    key_id: int
    name: str
    role: str
    permissions: list[str]


class WebhookIn(Input):
    url: str = Field(min_length=8, max_length=2048, description="http(s) URL that receives the POSTs.")
    events: list[WebhookEvent] = Field(default_factory=_default_events, min_length=1)
    secret: str | None = Field(
        None, min_length=16, max_length=256, description="HMAC-SHA256 key; generated and returned once if omitted."
    )


class WebhookOut(FromData):
    id: int
    url: str
    events: list[str]
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, w: WebhookView) -> WebhookOut:
        return cls.model_validate(w)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret, returned this once. Verify X-Anpr-Signature with it.")
