"""API keys: ``fp_<keyid>_<secret>`` tokens, generated with :mod:`secrets`, hashed at rest.

The key id (16 hex digits) is public: it names the key in the registry, the audit log and the
admin command. The secret (43 url-safe characters, 256 random bits) is shown once, at creation,
and stored only as a salted scrypt hash; verification compares in constant time
(:func:`hmac.compare_digest`). Because the secret is uniformly random, the hash need not be
slow against guessing; scrypt with a per-key salt keeps a leaked registry from yielding keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "fp"
KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# scrypt cost: n=2**12, r=8, p=1 takes ~4 MiB and a few milliseconds per check.
SCRYPT_N = 2**12
SCRYPT_R = 8
SCRYPT_P = 1
HASH_LEN = 32


@dataclass(frozen=True)
class ParsedKey:
    """A token split into its public id and its secret."""

    key_id: str
    secret: str


def new_key_id() -> str:
    """A fresh random key id."""
    return secrets.token_hex(8)


def new_secret() -> str:
    """A fresh 256-bit secret, url-safe base64 without padding (43 characters)."""
    return secrets.token_urlsafe(32)


def format_token(key_id: str, secret: str) -> str:
    return f"{PREFIX}_{key_id}_{secret}"


def parse_token(token: str) -> ParsedKey | None:
    """The id and secret of a well-formed token, or None (never raises, never logs the token)."""
    if not isinstance(token, str) or len(token) > 128:
        return None
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    key_id, secret = parts[1], parts[2]
    if not KEY_ID_RE.match(key_id) or not _SECRET_RE.match(secret):
        return None
    return ParsedKey(key_id, secret)


def hash_secret(
    secret: str,
    salt: bytes,
    *,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> bytes:
    """The scrypt hash of ``secret`` under ``salt``."""
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=HASH_LEN
    )


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def verify_secret(secret: str, salt: bytes, expected: bytes, *, n: int, r: int, p: int) -> bool:
    """True when ``secret`` hashes to ``expected`` (constant-time comparison)."""
    return hmac.compare_digest(hash_secret(secret, salt, n=n, r=r, p=p), expected)
