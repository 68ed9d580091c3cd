"""Symmetric encryption of stored secrets (camera credentials, webhook secrets) with Fernet.

The key is ``ANPR_DB_CREDENTIALS_KEY`` when set, else the key file
``ANPR_DB_CREDENTIALS_KEY_FILE`` (default ``var/credentials.key``), created with
mode 0600 on first use. Losing the key makes stored credentials unreadable
(they can be set again); it never affects events or evidence.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from anpr.errors import ConfigError
from db.config import DbSettings, get_db_settings

_LOCK = threading.Lock()
_CACHE: dict[str, Fernet] = {}


def _key_from_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def fernet(settings: DbSettings | None = None) -> Fernet:
    """The configured cipher, built once per key source."""
    settings = settings or get_db_settings()
    secret = settings.credentials_key.get_secret_value() if settings.credentials_key else None
    source = "env" if secret else str(settings.credentials_key_file.resolve())
    with _LOCK:
        if source not in _CACHE:
            try:
                key = secret.encode() if secret else _key_from_file(settings.credentials_key_file)
                _CACHE[source] = Fernet(key)
            except (ValueError, OSError) as exc:
                raise ConfigError(f"credentials key ({source}) is unusable: {exc}") from exc
        return _CACHE[source]


def encrypt(text: str, settings: DbSettings | None = None) -> bytes:
    return fernet(settings).encrypt(text.encode())


def decrypt(token: bytes, settings: DbSettings | None = None) -> str:
    """The plain text of ``token``; a token made with another key raises :class:`ConfigError`."""
    try:
        return fernet(settings).decrypt(token).decode()
    except InvalidToken as exc:
        raise ConfigError("stored secret cannot be decrypted with the configured credentials key") from exc
