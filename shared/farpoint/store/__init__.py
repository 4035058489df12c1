"""Object stores: :class:`LocalStore` (a directory) and ``S3Store`` (MinIO or any S3).

``S3Store`` is imported lazily (``from farpoint.store import S3Store`` works) so that importing
farpoint does not import the ``minio`` client.
"""

from typing import TYPE_CHECKING, Any

from farpoint.store.base import Store, get_array, put_array
from farpoint.store.local import LocalStore

if TYPE_CHECKING:
    from farpoint.store.s3 import S3Store

__all__ = ["LocalStore", "S3Store", "Store", "get_array", "put_array"]


def __getattr__(name: str) -> Any:
    if name == "S3Store":
        from farpoint.store.s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
