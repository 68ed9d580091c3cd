"""Storing validated declarations: one transaction per row, amendments kept as history.

For each good row of :class:`db.declarations.ParsedRows`:

* a new base number is stored as the current version (``created``);
* a higher amendment (same first 11 digits, larger 12th) becomes current and
  the previous version is kept with ``superseded_at`` (``amended``);
* the same number with identical content is a no-op (``unchanged``), with
  different content an error (send it as the next amendment);
* a lower amendment than the current one is an error.

Each stored row commits on its own and then triggers the cross-check of the
declaration and of the events it may concern (a second transaction, so a
failing cross-check never loses the declaration). Rows that fail never touch
stored data.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from anpr.errors import ConflictError, InvalidInputError
from db import checks
from db.config import DbSettings, get_db_settings
from db.declarations import DeclarationInput, ParsedRows
from db.fuzzy_index import register as register_plates
from db.models import DeclarationContainerRow, DeclarationPlateRow, DeclarationRow, utcnow
from db.plate_keys import fold

log = logging.getLogger(__name__)

Outcome = Literal["created", "amended", "unchanged", "error"]


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    outcome: Outcome
    number: str | None = None
    reason: str = ""
    status: str | None = None


@dataclass(slots=True)
class ImportReport:
    """Per-row outcome of an import; ``ok`` is False when any row failed."""

    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.outcome != "error" for r in self.rows)

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "amended": 0, "unchanged": 0, "error": 0}
        for r in self.rows:
            out[r.outcome] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(), "rows": [asdict(r) for r in self.rows]}


def _new_row(decl: DeclarationInput, source: str, now: datetime) -> DeclarationRow:
    return DeclarationRow(
        number=decl.number,
        base_number=decl.base_number,
        amendment=decl.amendment,
        type_code=decl.type_code,
        direction=decl.direction,
        office_code=decl.office_code,
        location_code=decl.location_code,
        valid_from=decl.valid_from,
        valid_to=decl.valid_to,
        is_current=True,
        status="pending",
        status_reason="",
        content_hash=decl.content_hash(),
        source=source,
        imported_at=now,
        plates=[
            DeclarationPlateRow(position=i, text=p.text, folded=fold(p.text), formatted=p.formatted)
            for i, p in enumerate(decl.plates)
        ],
        containers=[
            DeclarationContainerRow(position=i, number=c.number, seal=c.seal) for i, c in enumerate(decl.containers)
        ],
    )


def store_declaration(
    session: Session, decl: DeclarationInput, *, source: str, now: datetime
) -> tuple[Outcome, DeclarationRow, int | None]:
    """Store one version (no commit): the outcome, the current row, and the superseded row's id.

    Raises :class:`~anpr.errors.ConflictError` for a stale or conflicting amendment.
    """
    same = session.scalar(select(DeclarationRow).where(DeclarationRow.number == decl.number))
    if same is not None:
        if same.content_hash == decl.content_hash():
            return "unchanged", same, None
        raise ConflictError(
            f"{decl.number} is already stored with different content; send it as amendment "
            f"{decl.amendment + 1} ({decl.base_number}{decl.amendment + 1})"
            if decl.amendment < 9
            else f"{decl.number} is already stored with different content and no amendment number is left"
        )
    current = session.scalar(
        select(DeclarationRow)
        .where(DeclarationRow.base_number == decl.base_number, DeclarationRow.is_current)
        .with_for_update()
    )
    if current is not None and current.amendment > decl.amendment:
        raise ConflictError(f"amendment {decl.amendment} is older than the stored current version {current.number}")
    previous_id = None
    if current is not None:
        current.is_current, current.superseded_at, previous_id = False, now, current.id
        session.flush()  # the partial unique index allows one current version per base number
    row = _new_row(decl, source, now)
    session.add(row)
    session.flush()
    register_plates(session.connection(), (p.folded for p in row.plates))
    return ("amended" if current is not None else "created"), row, previous_id


def _import_row(
    session: Session, row_no: int, decl: DeclarationInput, source: str, settings: DbSettings, now: datetime
) -> RowOutcome:
    try:
        outcome, row, previous_id = store_declaration(session, decl, source=source, now=now)
        session.commit()
    except (ConflictError, InvalidInputError) as exc:
        session.rollback()
        return RowOutcome(row_no, "error", decl.number, str(exc))
    except (IntegrityError, DataError) as exc:
        session.rollback()
        return RowOutcome(row_no, "error", decl.number, f"rejected by the database: {exc.orig}")
    if outcome == "unchanged":
        return RowOutcome(row_no, outcome, decl.number, "identical to the stored version", row.status)
    try:
        checks.after_declaration_stored(session, row.id, previous_id, settings=settings, now=now)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("cross-check after storing %s failed; `anpr db recheck` will retry", decl.number)
    return RowOutcome(row_no, outcome, decl.number, "", row.status)


def import_declarations(
    session: Session,
    parsed: ParsedRows,
    *,
    source: str = "api",
    settings: DbSettings | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Store every good row of ``parsed`` and report every row, good or bad, in input order."""
    settings = settings or get_db_settings()
    now = now or utcnow()
    session.rollback()
    outcomes = [RowOutcome(e.row, "error", e.number, e.reason) for e in parsed.errors]
    for row_no, decl in parsed.good:
        outcomes.append(_import_row(session, row_no, decl, source[:16], settings, now))
    return ImportReport(sorted(outcomes, key=lambda r: r.row))
