"""Shapes shared by every route: the error body and paging."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ErrorOut(BaseModel):
    """Every 4xx/5xx body."""

    error: str = Field(description="Machine-readable code, e.g. invalid_input, not_found, payload_too_large.")
    detail: str = Field(description="Why the request was refused, in words.")


class PageOut(BaseModel, Generic[T]):
    """One page; pass ``next_cursor`` back as ``cursor`` for the next (null on the last page)."""

    items: list[T]
    next_cursor: str | None = None


class FromData(BaseModel):
    """Base of response bodies built from a read model of ``db`` (a frozen dataclass).

    ``Model.model_validate(view)`` takes each field from the view's attribute of the same name and
    ignores the others, so a schema lists only what the API shows and nothing is copied by hand.
    """

    model_config = ConfigDict(from_attributes=True)


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "Malformed request (e.g. body is not JSON)."},
    401: {"model": ErrorOut, "description": "Missing, unknown or revoked API key."},
    403: {"model": ErrorOut, "description": "The key's role may not do this."},
    413: {"model": ErrorOut, "description": "Body larger than the configured limit."},
    422: {"model": ErrorOut, "description": "Input that fails validation, with the reason."},
}
"""Error responses every authenticated route documents."""
