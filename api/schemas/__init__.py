"""Pydantic request and response models of the API (separate from the tables in :mod:`db.models`)."""
