"""Token -> :class:`Principal` for a running service, with a short in-memory cache.

A verified token is remembered for ``SecuritySettings.key_cache_s`` seconds (keyed by the
token's SHA-256, never the token), so a busy client costs one registry read and one scrypt per
interval, not per request. A revocation therefore takes effect on every replica within that
interval, and at once on the replica that revoked. With ``auth_enabled=false`` (development
only; refused outside dev mode by :func:`farpoint.security.production.validate_production`)
every caller is the default tenant's admin.
"""

from __future__ import annotations

import hashlib
import threading
import time

from farpoint.auth.principal import Principal, Role
from farpoint.auth.registry import KeyRegistry
from farpoint.security.errors import UnauthorizedError

ANONYMOUS_KEY_ID = "anonymous"
_MAX_CACHE = 10_000


class Authenticator:
    """Checks bearer tokens against a :class:`KeyRegistry`."""

    def __init__(
        self,
        registry: KeyRegistry | None,
        *,
        enabled: bool = True,
        default_tenant: str = "default",
        cache_s: float = 10.0,
    ) -> None:
        if enabled and registry is None:
            raise ValueError("an enabled Authenticator needs a KeyRegistry")
        self.registry = registry
        self.enabled = enabled
        self.default_tenant = default_tenant
        self.cache_s = cache_s
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def authenticate(self, token: str | None) -> Principal:
        """The caller's principal; :class:`UnauthorizedError` when the token does not verify."""
        if not self.enabled:
            return Principal(self.default_tenant, Role.ADMIN, ANONYMOUS_KEY_ID)
        if not token:
            raise UnauthorizedError("missing API key: send 'Authorization: Bearer <key>'")
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        assert self.registry is not None
        principal = self.registry.verify(token)
        if principal is None:
            with self._lock:
                self._cache.pop(digest, None)
            raise UnauthorizedError("invalid or revoked API key")
        if self.cache_s > 0:
            with self._lock:
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                self._cache[digest] = (principal, now + self.cache_s)
        return principal

    def forget(self, key_id: str | None = None) -> None:
        """Drop cached verifications (of one key, or all): call after revoking."""
        with self._lock:
            if key_id is None:
                self._cache.clear()
            else:
                for k in [k for k, (p, _) in self._cache.items() if p.key_id == key_id]:
                    del self._cache[k]
