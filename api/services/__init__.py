"""Services behind the routes: exports, reports, webhooks, keys, audit and upload checks."""
