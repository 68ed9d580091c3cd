"""Who may do what: API-key roles and the permissions each grants (a pure table).

| role        | may                              |
| ----------- | -------------------------------- |
| officer     | read, export, review             |
| operator    | cameras, declarations            |
| integration | declarations, events, webhooks   |
| admin       | everything                       |

Each route names the permissions that admit a caller (any one suffices);
:func:`api.deps.require` checks them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    OPERATOR = "operator"
    INTEGRATION = "integration"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    """Search events, vehicles, containers, declarations, discrepancies, camera health and reports."""
    EXPORT = "export"
    REVIEW = "review"
    """Record a look at a pass's reads: confirm them, correct the truck's plate, or mark them illegible."""
    CAMERAS = "cameras"
    DECLARATIONS = "declarations"
    EVENTS = "events"
    """Ingest gate events from edge workers and recognise uploaded images."""
    WEBHOOKS = "webhooks"
    AUDIT = "audit"
    KEYS = "keys"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset({Permission.READ, Permission.EXPORT, Permission.REVIEW}),
    Role.OPERATOR: frozenset({Permission.CAMERAS, Permission.DECLARATIONS}),
    Role.INTEGRATION: frozenset({Permission.DECLARATIONS, Permission.EVENTS, Permission.WEBHOOKS}),
    Role.ADMIN: frozenset(Permission),
}


def allows(role: Role, needed: frozenset[Permission]) -> bool:
    """Whether ``role`` holds at least one of ``needed``."""
    return bool(GRANTS[role] & needed)
