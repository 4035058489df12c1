"""Object stores: :class:`LocalStore` (a directory) and ``S3Store`` (MinIO or any S3)."""

from farpoint.store.base import Store, get_array, put_array
from farpoint.store.local import LocalStore

__all__ = ["LocalStore", "Store", "get_array", "put_array"]
