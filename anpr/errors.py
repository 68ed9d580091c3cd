"""The one domain exception tree.

Third-party errors are converted at the boundary (``raise ... from exc``).
The CLI maps these to exit codes in :mod:`anpr.cli`; the API maps them to
HTTP responses in one handler in :mod:`api`.
"""

from __future__ import annotations


class AnprError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code: int = 1


class InvalidInputError(AnprError, ValueError):
    """Input (text, file, request field) that cannot be used as given."""

    exit_code = 2


class ImageReadError(InvalidInputError):
    """A file that is missing or is not a decodable image."""


class ConfigError(AnprError):
    """Bad settings or configuration files, detected at start-up."""

    exit_code = 3


class ModelLoadError(AnprError):
    """Model weights that are missing or cannot be loaded (never downloaded)."""

    exit_code = 4


class SourceError(AnprError):
    """A camera or video source that cannot be opened or has dropped."""


class NotFoundError(AnprError):
    """A record that does not exist."""


class ConflictError(AnprError):
    """A write that conflicts with what is already stored."""


class PermissionDeniedError(AnprError):
    """The caller may not do this."""
