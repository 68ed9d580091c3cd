"""Who am I, the audit log (admins), API keys (admins) and webhook subscriptions (integrations)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import AuditNote, Paging, PrincipalDep, SessionDep, State, Window, require
from api.roles import GRANTS, Permission
from api.schemas.admin import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    AuditOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WhoAmIOut,
)
from api.schemas.common import ERRORS, PageOut
from api.services.apikeys import create_api_key
from db.models import utcnow
from db.repositories import admin as repo

router = APIRouter(responses=ERRORS)
Admin = Annotated[AuditNote, Depends(require(Permission.KEYS))]
Hooks = Annotated[AuditNote, Depends(require(Permission.WEBHOOKS))]


@router.get("/me", response_model=WhoAmIOut, tags=["auth"])
def who_am_i(principal: PrincipalDep) -> WhoAmIOut:
    """The caller's key, role and permissions (the console calls it to sign in)."""
    granted = sorted(p.value for p in GRANTS[principal.role])
    return WhoAmIOut(key_id=principal.key_id, name=principal.name, role=principal.role.value, permissions=granted)


@router.get("/audit", response_model=PageOut[AuditOut], tags=["auth"])
def audit_log(
    session: SessionDep,
    state: State,
    audit: Annotated[AuditNote, Depends(require(Permission.AUDIT))],
    window: Window,
    page: Paging,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> PageOut[AuditOut]:
    """Every query, export and change: who, what and when, newest first."""
    if state.audit is not None:
        state.audit.flush()  # this process's queued rows of reads first (other workers' within a second)
    found = repo.list_audit(
        session, actor=actor, action=action, start=window.start, end=window.end, limit=page.limit, cursor=page.cursor
    )
    return PageOut(items=[AuditOut.of(a) for a in found.items], next_cursor=found.next_cursor)


@router.post("/apikeys", response_model=ApiKeyCreatedOut, status_code=201, tags=["auth"])
def create_key(body: ApiKeyIn, session: SessionDep, audit: Admin) -> ApiKeyCreatedOut:
    """Create a key; the response holds the key itself, this once."""
    new = create_api_key(session, body.role, body.name)
    audit.note(key_id=new.key.id, role=new.key.role)
    return ApiKeyCreatedOut(**ApiKeyOut.of(new.key).model_dump(), key=new.secret)


@router.get("/apikeys", response_model=list[ApiKeyOut], tags=["auth"])
def list_keys(session: SessionDep, audit: Admin) -> list[ApiKeyOut]:
    return [ApiKeyOut.of(k) for k in repo.list_api_keys(session)]


@router.delete("/apikeys/{key_id}", response_model=ApiKeyOut, tags=["auth"])
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, state: State, audit: Admin
) -> ApiKeyOut:
    """Revoke a key; it stops working at once on this server."""
    revoked = repo.revoke_api_key(session, key_id, utcnow())
    session.commit()  # before the cache is dropped, so no request can cache the key again meanwhile
    state.key_cache.clear()
    return ApiKeyOut.of(revoked)


@router.post("/webhooks", response_model=WebhookCreatedOut, status_code=201, tags=["webhooks"])
def create_webhook(body: WebhookIn, session: SessionDep, audit: Hooks) -> WebhookCreatedOut:
    """Subscribe a URL to discrepancy notifications. Each POST carries ``X-Anpr-Signature:
    sha256=<hex>``, the HMAC-SHA256 of ``<X-Anpr-Timestamp>.<body>`` under the secret."""
    secret = body.secret or secrets.token_urlsafe(32)
    view = repo.create_webhook(
        session, url=body.url, secret=secret, events=list(body.events), actor=audit.actor, now=utcnow()
    )
    audit.note(webhook_id=view.id)
    return WebhookCreatedOut(**WebhookOut.of(view).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[WebhookOut], tags=["webhooks"])
def list_webhooks(session: SessionDep, audit: Hooks) -> list[WebhookOut]:
    return [WebhookOut.of(w) for w in repo.list_webhooks(session)]


@router.delete("/webhooks/{webhook_id}", response_model=WebhookOut, tags=["webhooks"])
def disable_webhook(
    webhook_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, audit: Hooks
) -> WebhookOut:
    """Stop deliveries to a subscriber (kept, inactive, for the record)."""
    return WebhookOut.of(repo.set_webhook_active(session, webhook_id, False))
