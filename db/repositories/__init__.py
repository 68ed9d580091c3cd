"""Query and write helpers for the API and CLI, one module per area. None of them commits.

* :mod:`db.repositories.events` - events by plate (exact, fuzzy), container, time; detail; evidence.
* :mod:`db.repositories.declarations` - declarations by number, listing, the discrepancy queue.
* :mod:`db.repositories.cameras` - camera CRUD, credential-change records, heartbeats, health.
* :mod:`db.repositories.admin` - audit log, API keys, webhooks.
"""
