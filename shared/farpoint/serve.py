"""``farpoint serve NAME``: run one service (gateway, ingest, embedding, normalization, selection,
export, trainer) as an HTTP server with uvicorn.

Settings come from ``FARPOINT_*`` variables (S3 and Kafka endpoints, see
:mod:`farpoint.settings`). The listen address, port and log level come from ``--host`` /
``--port`` / ``--log-level``, else ``FARPOINT_HOST`` / ``FARPOINT_PORT`` / ``FARPOINT_LOG_LEVEL``,
else 127.0.0.1, the service's own port (gateway 8080, then 8081...) and info. A container sets
``FARPOINT_HOST=0.0.0.0`` (the Helm chart does, with ``FARPOINT_PORT=8000``). Every service serves
/healthz, /readyz and /metrics; the gateway also serves the REST API. Logs are JSON lines.

``FARPOINT_SERVICE``, when set, must name the service being run (the chart sets it next to the
``serve NAME`` argument). ``FARPOINT_*`` variables that farpoint does not read are logged as
warnings at start-up (:mod:`farpoint.envcheck`): a misspelt setting is otherwise silently ignored.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os

from farpoint.errors import ConfigError
from farpoint.settings import Settings

SERVICES = {
    "gateway": 8080,
    "ingest": 8081,
    "embedding": 8082,
    "normalization": 8083,
    "selection": 8084,
    "export": 8085,
    "trainer": 8086,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=sorted(SERVICES), help="which service to run")
    parser.add_argument(
        "--host", default=None, help="listen address (default $FARPOINT_HOST, else 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="listen port (default $FARPOINT_PORT, else the service's own)",
    )
    parser.add_argument(
        "--bus",
        choices=("kafka", "memory"),
        default="kafka",
        help="message bus (memory only makes sense for a single-process demo)",
    )
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=("debug", "info", "warning", "error", "critical"),
        default=None,
        help="default $FARPOINT_LOG_LEVEL, else info",
    )


def listen_config(args: argparse.Namespace, settings: Settings) -> tuple[str, int, str]:
    """(host, port, log level) of ``farpoint serve``: the flags, else the settings, else defaults.

    Raises :class:`ConfigError` when ``FARPOINT_SERVICE`` names another service than ``NAME``.
    """
    if settings.service is not None and settings.service != args.name:
        raise ConfigError(
            f"FARPOINT_SERVICE={settings.service} but `farpoint serve {args.name}` was asked for"
        )
    host = args.host if args.host is not None else settings.host
    if args.port is not None:
        port = args.port
    elif settings.port is not None:
        port = settings.port
    else:
        port = SERVICES[args.name]
    level = args.log_level if args.log_level is not None else settings.log_level
    return host, port, level


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from farpoint.envcheck import unknown_variables
    from farpoint.security.production import validate_production
    from farpoint.settings import get_settings
    from services.common.context import ServiceContext
    from services.common.logs import setup_json_logging

    settings = get_settings()
    host, port, level = listen_config(args, settings)
    setup_json_logging(args.name, getattr(logging, level.upper(), logging.INFO))
    log = logging.getLogger("farpoint.serve")
    for name in unknown_variables(os.environ):
        log.warning("%s is set but farpoint reads no such variable (misspelt?)", name)
    validate_production(settings)  # refuse placeholder credentials outside dev mode
    ctx = ServiceContext.from_settings(settings, bus_kind=args.bus)
    module = importlib.import_module(f"services.{args.name}.app")
    app = module.create_app(ctx)
    log.info(
        "serving %s on %s:%d (kafka %s %s, s3 %s)",
        args.name,
        host,
        port,
        settings.kafka.bootstrap,
        settings.kafka.security_protocol,
        settings.s3.endpoint,
    )
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    return 0
