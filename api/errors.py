"""The one place where errors become HTTP responses.

Every error body is ``{"error": <code>, "detail": <reason>}``. Domain errors
(:mod:`anpr.errors`) map by type; request validation errors become 422 (400
for a body that is not JSON at all); HTTP errors raised by Starlette or the
routes keep their status. Anything else is a 500 with no internals in the
body (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from anpr.errors import (
    AnprError,
    ConfigError,
    ConflictError,
    ImageReadError,
    InvalidInputError,
    ModelLoadError,
    NotFoundError,
    PermissionDeniedError,
    SourceError,
)

log = logging.getLogger(__name__)

# Most specific first: ImageReadError is an InvalidInputError.
_DOMAIN: tuple[tuple[type[AnprError], int, str], ...] = (
    (ImageReadError, 415, "unsupported_media_type"),
    (InvalidInputError, 422, "invalid_input"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (PermissionDeniedError, 403, "forbidden"),
    (ModelLoadError, 503, "unavailable"),
    (SourceError, 503, "unavailable"),
    (ConfigError, 500, "server_misconfigured"),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    503: "unavailable",
}


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation(exc: RequestValidationError) -> tuple[int, dict[str, Any]]:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        reason = first.get("ctx", {}).get("error", "malformed JSON")
        return 400, error_body("malformed_json", f"request body is not valid JSON: {reason}")
    parts = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    return 422, error_body("invalid_input", "; ".join(parts) or "invalid request")


def _respond(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    if isinstance(exc, RequestValidationError):
        status, body = _validation(exc)
        return status, body, {}
    if isinstance(exc, StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return exc.status_code, error_body(code, exc.detail), dict(exc.headers or {})
    for kind, status, code in _DOMAIN:
        if isinstance(exc, kind):
            detail = str(exc) if status < 500 or status == 503 else "the server is misconfigured; see its log"
            return status, error_body(code, detail), {}
    return 500, error_body("internal_error", "unexpected server error; see the server log"), {}


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Turn any error into the JSON error body (registered for every error type in :func:`install`)."""
    status, body, headers = _respond(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register :func:`handle_error` for validation, HTTP and domain errors."""
    for kind in (RequestValidationError, StarletteHTTPException, AnprError):
        app.add_exception_handler(kind, handle_error)
