"""What every route of the REST API can answer besides its own refusals."""

from __future__ import annotations

# any route: a bad key (401), a body over the request limit (413), the store or bus down (503)
READ = (401, 413, 503)
# routes that change state also refuse a role below writer (403)
WRITE = (401, 403, 413, 503)
