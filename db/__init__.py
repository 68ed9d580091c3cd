"""Storage for gate events, declarations and the declaration cross-check.

* :mod:`db.config` - settings (``ANPR_DB_*`` environment variables, plus ``DATABASE_URL``).
* :mod:`db.session` - cached engine and session factories (SQLite in WAL mode, or PostgreSQL).
* :mod:`db.models` - SQLAlchemy tables; :mod:`db.migrate` - ``alembic upgrade`` from code.
* :mod:`db.services` - ``store_event``: idempotent ingestion, then the cross-check.
* :mod:`db.declarations` (parsing, :mod:`db.type_codes`) and :mod:`db.declaration_service`
  (storing, amendments) - declaration import.
* :mod:`db.crosscheck` (pure rules), :mod:`db.candidates` (lookups), :mod:`db.checks` (service).
* :mod:`db.review_service` - officers' looks at passes whose reads need one (:mod:`anpr.review`).
* :mod:`db.repositories` - queries for the API; :mod:`db.views` - the records they return.
* :mod:`db.retention` - evidence purge and export leases; :mod:`db.crypto` - stored secrets.
* :mod:`db.cli` - the ``anpr db`` and ``anpr retention`` commands.

Services commit their own transactions; repositories never commit.
"""
