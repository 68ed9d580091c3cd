"""The ``/api/v1`` routers, gathered in :data:`router`."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import admin, cameras, declarations, events, exports, recognize, reports, search

router = APIRouter()
for module in (search, events, recognize, declarations, exports, cameras, reports, admin):
    router.include_router(module.router)
