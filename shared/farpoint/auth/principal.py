"""Who is calling: a :class:`Principal` (tenant, role, key id) and the ordered :class:`Role` set.

Roles are ordered: ``reader`` < ``writer`` < ``admin``. A reader may list and read its tenant's
media, jobs, models and results; a writer may also upload media, create and cancel jobs; an admin
may also manage its tenant's API keys. No role crosses tenants: the tenant comes from the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from farpoint.errors import InputError

TENANT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class Role(StrEnum):
    """What a key may do; compare with :meth:`allows`."""

    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role | str) -> bool:
        """True when this role is ``needed`` or above it."""
        return self.rank >= Role(needed).rank

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InputError(f"unknown role {text!r} (expected one of: {names})") from None


_RANK = {Role.READER: 0, Role.WRITER: 1, Role.ADMIN: 2}


def check_tenant(tenant: str) -> str:
    """``tenant`` if it is a valid tenant name (it becomes part of object keys), else InputError."""
    if not isinstance(tenant, str) or not TENANT_RE.match(tenant):
        raise InputError(
            f"invalid tenant {tenant!r}: use 1-63 lowercase letters, digits and inner hyphens"
        )
    return tenant


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    tenant: str
    role: Role
    key_id: str

    def allows(self, needed: Role | str) -> bool:
        return self.role.allows(needed)
