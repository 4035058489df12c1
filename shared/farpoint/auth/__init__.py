"""Authentication for the REST service: API keys with a tenant and a role (docs/security.md).

- :mod:`farpoint.auth.keys` — token format ``fp_<keyid>_<secret>``, scrypt hashing at rest.
- :mod:`farpoint.auth.registry` — :class:`KeyRegistry`, records at ``auth/keys/<keyid>.json``.
- :mod:`farpoint.auth.authenticator` — token -> :class:`Principal`, with a short cache.
- :mod:`farpoint.auth.dependencies` — FastAPI ``authenticate`` / ``require_role`` (imports
  FastAPI, so it is not imported here).
"""

from farpoint.auth.authenticator import Authenticator
from farpoint.auth.principal import Principal, Role, check_tenant
from farpoint.auth.registry import KeyRecord, KeyRegistry

__all__ = ["Authenticator", "KeyRecord", "KeyRegistry", "Principal", "Role", "check_tenant"]
