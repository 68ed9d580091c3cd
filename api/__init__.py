"""HTTP API and officer web console over the gate-event store.

Build the app with :func:`api.main.create_app`; routes live in
:mod:`api.routes` under ``/api/v1``, shared checks (auth, audit, paging) in
:mod:`api.deps`, and the one error handler in :mod:`api.errors`.
"""
