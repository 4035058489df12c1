"""The REST API's routers, one module per resource (all under ``/v1``; OpenAPI tags alike).

Each route parses and authorizes (``deps``), calls one function of
:mod:`services.gateway.handler` and answers a model of :mod:`services.gateway.schemas`; its
``responses`` list every refusal it can answer, in the one error envelope. :data:`ROUTERS` is what
:func:`services.gateway.app.create_app` includes, in this order.
"""

from __future__ import annotations

from services.gateway.routes import (
    browse,
    console,
    datasets,
    exports,
    jobs,
    media,
    models,
    training,
)

ROUTERS = (
    media.router,
    jobs.router,
    datasets.router,
    exports.router,
    training.router,
    models.router,
    browse.router,  # read-only views the web console draws (/v1/options, map, frames)
    console.router,  # /console: the web console (not in the OpenAPI)
)

__all__ = ["ROUTERS"]
