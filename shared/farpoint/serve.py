"""``farpoint serve NAME``: run one service (gateway, ingest, embedding, normalization, selection,
export, trainer) as an HTTP server with uvicorn.

Settings come from ``FARPOINT_*`` variables (S3 and Kafka endpoints, see
:mod:`farpoint.settings`). Each service listens on its own port (gateway 8080, then 8081...) for
/healthz, /readyz and /metrics; the gateway also serves the REST API. Logs are JSON lines.
"""

from __future__ import annotations

import argparse
import importlib
import logging

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
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help="listen port (default: the service's own)"
    )
    parser.add_argument(
        "--bus",
        choices=("kafka", "memory"),
        default="kafka",
        help="message bus (memory only makes sense for a single-process demo)",
    )
    parser.add_argument("--log-level", default="info", help="debug, info, warning (default info)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from farpoint.security.production import validate_production
    from farpoint.settings import get_settings
    from services.common.context import ServiceContext
    from services.common.logs import setup_json_logging

    setup_json_logging(args.name, getattr(logging, args.log_level.upper(), logging.INFO))
    settings = get_settings()
    validate_production(settings)  # refuse placeholder credentials outside dev mode
    ctx = ServiceContext.from_settings(settings, bus_kind=args.bus)
    module = importlib.import_module(f"services.{args.name}.app")
    app = module.create_app(ctx)
    port = args.port if args.port is not None else SERVICES[args.name]
    logging.getLogger("farpoint.serve").info(
        "serving %s on %s:%d (kafka %s, s3 %s)",
        args.name,
        args.host,
        port,
        settings.kafka.bootstrap,
        settings.s3.endpoint,
    )
    uvicorn.run(app, host=args.host, port=port, log_config=None, access_log=False)
    return 0
