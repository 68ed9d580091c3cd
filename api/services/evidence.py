"""Evidence files on disk: resolve a stored relative path safely inside the evidence folder."""

from __future__ import annotations

from pathlib import Path

from anpr.errors import NotFoundError


def evidence_file(evidence_dir: Path, relative: str) -> Path:
    """The file of a stored evidence path; never a path outside ``evidence_dir`` (``NotFoundError``)."""
    root = evidence_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise NotFoundError("evidence path is outside the evidence folder")
    if not target.is_file():
        raise NotFoundError("the evidence file is no longer on disk (purged after its retention period?)")
    return target
