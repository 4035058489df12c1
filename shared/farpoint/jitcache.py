"""A persistent numba cache for the libraries farpoint calls, not only for its own kernels.

farpoint's own numba kernels (:mod:`farpoint.selection.voronoi`, :mod:`farpoint.selection.dedup`)
are declared ``cache=True``, and so is most of pynndescent; but UMAP (McInnes et al. 2018,
arXiv:1802.03426; umap-learn) declares almost none of its ``numba.njit`` functions cacheable, so
every process that fits a UMAP compiled them again: ~14 s of the demo's ~24 s on 2 cores, even
with every cacheable kernel already on disk. :func:`cache_library_kernels` switches numba's
on-disk cache on for those functions (``Dispatcher.enable_caching``, numba's own API, what
``cache=True`` does at decoration time) before they are first compiled. numba keys each cache
entry by the function's source file (path, modification time, size) and the argument types, and
recompiles when either changes; ``scripts/setup.sh`` also empties the cache when the installed
packages change, since a cached caller embeds its callees from other files.

Where the cache lives: ``NUMBA_CACHE_DIR``, which :mod:`farpoint` points into the virtualenv
(``<venv>/var/numba-cache``) unless the caller set it. numba only uses a cache folder it can
write to: an image must leave it writable by the user its processes run as.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

# Packages whose module-level numba functions are made cacheable.
LIBRARIES = ("umap", "pynndescent")


def cache_dir() -> str | None:
    """numba's cache folder for this process (``NUMBA_CACHE_DIR``), if one is set."""
    return os.environ.get("NUMBA_CACHE_DIR") or None


def _dispatchers(module: ModuleType) -> list[object]:
    from numba.core.dispatcher import Dispatcher

    return [v for v in vars(module).values() if isinstance(v, Dispatcher)]


def cache_library_kernels(libraries: tuple[str, ...] = LIBRARIES) -> int:
    """Turn on numba's on-disk cache for every module-level jitted function of ``libraries``
    already imported (import them first); returns how many were switched on.

    Two dispatchers built from one Python function (umap's serial and parallel layout epoch)
    would share one cache entry, so only the serial one is cached. Idempotent.
    """
    from numba.core.caching import NullCache

    switched = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in libraries:
            continue
        for d in _dispatchers(module):
            if not isinstance(d._cache, NullCache):  # type: ignore[attr-defined]
                continue  # cache=True already, or switched on before
            if d.targetoptions.get("parallel") and _has_twin(d, module):  # type: ignore[attr-defined]
                continue
            d.enable_caching()  # type: ignore[attr-defined]
            switched += 1
    return switched


def _has_twin(d: object, module: ModuleType) -> bool:
    """Whether another dispatcher of ``module`` wraps the same Python function."""
    func = d.py_func  # type: ignore[attr-defined]
    return any(o is not d and o.py_func is func for o in _dispatchers(module))  # type: ignore[attr-defined]
