"""farpoint's command line: ``farpoint select | select-vectors | train | eval | serve | admin``.

Exit codes: 0 success; 2 bad input; 3 something named was not found; 4 configuration problem;
5 a dependency (store, broker) failed; 1 an unexpected internal error; 130 interrupted.
Errors are one line on stderr (``--debug`` adds the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farpoint import __version__
from farpoint.errors import FarpointError, InputError

log = logging.getLogger("farpoint")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    return value


def _add_selection_options(p: argparse.ArgumentParser, default_norm: str) -> None:
    from farpoint.normalize import METHODS as NORMALIZERS
    from farpoint.selection.registry import DEFAULT_METHOD, METHODS

    p.add_argument("-k", type=_positive_int, required=True, help="how many items to pick")
    p.add_argument(
        "--method",
        choices=tuple(METHODS),
        default=DEFAULT_METHOD,
        help="; ".join(f"{m.name}: {m.summary}" for m in METHODS.values()).replace("%", "%%")
        + f" (default {DEFAULT_METHOD})",
    )
    p.add_argument(
        "--normalize",
        choices=NORMALIZERS,
        default=default_norm,
        help=f"embedding-space normalization (default {default_norm})",
    )
    p.add_argument("--dims", type=int, default=20, help="dims after normalization (default 20)")
    p.add_argument("--seed", type=int, default=0, help="random seed (start point, UMAP, random)")
    p.add_argument(
        "--backend",
        default="auto",
        help="selector backend: auto, reference, cpu, torch, faiss (default auto)",
    )
    p.add_argument(
        "--min-distance",
        type=float,
        default=None,
        help="stop early once the farthest remaining item is closer than this",
    )
    p.add_argument(
        "--dedup",
        type=float,
        default=None,
        help="drop near-duplicates within this distance before selecting",
    )


def _add_export_options(p: argparse.ArgumentParser, flag: str, default: str | None) -> None:
    from farpoint.export.formats import FORMATS

    p.add_argument(
        flag,
        dest="export",
        default=default,
        metavar="F[,F]",
        help=f"labeling-tool formats to write under exports/: {', '.join(FORMATS)} or all"
        + (f" (default {default})" if default else ""),
    )
    p.add_argument(
        "--image-base",
        default=None,
        metavar="URL",
        help="image URLs = URL + the frame's path in the result (default: file:// URLs)",
    )


def _add_quality_options(p: argparse.ArgumentParser) -> None:
    from farpoint.quality.thresholds import THRESHOLDS, QualitySettings

    defaults = QualitySettings()
    p.add_argument(
        "--quality-filter",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop dark, bright, uniform (flat), blurred and frozen video frames and blank "
        "images before selecting (default on; counts per reason in the manifest)",
    )
    p.add_argument(
        "--quality-threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a quality-filter threshold (repeatable): "
        + ", ".join(f"{t}={getattr(defaults, t):g}" for t in THRESHOLDS)
        + " (defaults; docs/quality.md)",
    )


def _quality_filter(args: argparse.Namespace) -> dict[str, Any]:
    """``--quality-filter`` and ``--quality-threshold NAME=VALUE`` as quality-filter settings."""
    from farpoint.quality.thresholds import THRESHOLDS

    out: dict[str, Any] = {"enabled": bool(args.quality_filter)}
    for item in args.quality_threshold:
        name, sep, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in THRESHOLDS:
            raise InputError(
                f"--quality-threshold {item!r}: expected NAME=VALUE with NAME one of "
                + ", ".join(THRESHOLDS)
            )
        try:
            out[name] = float(value)
        except ValueError:
            raise InputError(f"--quality-threshold {item!r}: {value!r} is not a number") from None
    return out


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command``, only that command's arguments are filled in
    (the others stay listed with their help), so ``farpoint select-vectors`` never imports what
    ``train`` or ``serve`` need (torch, FastAPI): seconds of start-up per process."""
    parser = argparse.ArgumentParser(
        prog="farpoint",
        description="Pick the most valuable frames and images to label.",
    )
    parser.add_argument("--version", action="version", version=f"farpoint {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = [
        ("select", "pick the K most diverse frames of videos / images", _select_arguments),
        ("export", "write a select result for labeling tools (COCO, CVAT, ...)", _export_arguments),
        ("select-vectors", "pick K rows of your own embeddings (.npy)", _select_vectors_arguments),
    ]
    commands += _module_commands(None if command is None else {command})
    for name, help_text, fill in commands:
        p = sub.add_parser(name, help=help_text)
        if command is None or name == command:
            fill(p)
    return parser


def _select_arguments(p: argparse.ArgumentParser) -> None:
    from farpoint.embed.base import DEFAULT_EMBEDDER
    from farpoint.embed.base import REGISTRY as EMBEDDERS
    from farpoint.ingest.frame import DEFAULT_FPS, DEFAULT_WIDTH
    from farpoint.normalize import DEFAULT_NORMALIZE

    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="videos, images, folders, globs, zip/tar archives",
    )
    p.add_argument(
        "-o", "--out", default="farpoint-out", help="output folder (default farpoint-out)"
    )
    p.add_argument(
        "--embedder",
        choices=tuple(EMBEDDERS),
        default=DEFAULT_EMBEDDER,
        help=f"how frames become vectors (default {DEFAULT_EMBEDDER})",
    )
    p.add_argument(
        "--model", default=None, help="model file or s3:// URI (checkpoint/swav/autoencoder)"
    )
    p.add_argument(
        "--fps",
        type=float,
        default=DEFAULT_FPS,
        help=f"frame-rate cap (default {DEFAULT_FPS:g}; 0 = all)",
    )
    p.add_argument(
        "--width",
        type=int,
        default=DEFAULT_WIDTH,
        help=f"decode width in px (default {DEFAULT_WIDTH})",
    )
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument(
        "--labeled",
        nargs="+",
        default=None,
        metavar="INPUT",
        help="already-labeled videos/images: pick what they do not cover",
    )
    p.add_argument(
        "--group-quota", type=int, default=None, help="at most this many picks per input video"
    )
    p.add_argument(
        "--min-gap",
        type=float,
        default=None,
        metavar="SECONDS",
        help="at least this many seconds between picks of one video",
    )
    p.add_argument("--no-frames", action="store_true", help="write the manifest only")
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.add_argument("--json", action="store_true", help="print the manifest picks as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _add_quality_options(p)
    _add_export_options(p, "--export", None)
    _add_selection_options(p, DEFAULT_NORMALIZE)
    p.set_defaults(func=cmd_select)


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("result", metavar="MANIFEST_DIR", help="the output folder of farpoint select")
    _add_export_options(p, "--format", "all")
    p.set_defaults(func=cmd_export)


def _select_vectors_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("vectors", help="an (n, d) float array in .npy")
    p.add_argument("--labeled", default=None, help="already-labeled vectors (.npy, same d)")
    p.add_argument(
        "--curve",
        action="store_true",
        help="print indices, distances and a suggested budget as JSON",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    _add_selection_options(p, "none")
    p.set_defaults(func=cmd_select_vectors)


# Commands whose code lives in its own module. Each such module has ``add_arguments(parser)``
# and ``run(args) -> int``; all ship with farpoint, so a module that fails to import, or lacks
# one of the two, is an error at start-up, never a command silently missing.
MODULE_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("train", "farpoint.train.cli", "train a SwAV or autoencoder embedder on your own data"),
    ("eval", "farpoint.eval.cli", "measure selection quality against random on labeled data"),
    ("serve", "farpoint.serve", "run one of the services (gateway, ingest, embedding, ...)"),
    ("admin", "farpoint.admin", "administration: API keys, retention cleanup"),
)


def _module_commands(
    wanted: set[str] | None = None,
) -> list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]]:
    """The :data:`MODULE_COMMANDS`, each as (name, help, a function that fills its parser).
    Only the ``wanted`` ones (default: all) are imported; the others fill nothing."""
    out: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = []
    for name, module, help_text in MODULE_COMMANDS:
        if wanted is not None and name not in wanted:
            out.append((name, help_text, lambda p: None))
            continue
        mod = importlib.import_module(module)
        adder, runner = mod.add_arguments, mod.run

        def add(p: argparse.ArgumentParser, adder: Any = adder, runner: Any = runner) -> None:
            adder(p)
            p.set_defaults(func=runner)

        out.append((name, help_text, add))
    return out


def _command_in(argv: list[str]) -> str:
    """The command ``argv`` names (its first word that is not an option), or ``""``."""
    return next((a for a in argv if not a.startswith("-")), "")


def cmd_select(args: argparse.Namespace) -> int:
    from farpoint.pipeline import select

    options: dict[str, Any] = {}
    if args.group_quota is not None:
        options["group_quota"] = args.group_quota
    if args.min_gap is not None:
        options["min_gap_s"] = args.min_gap
    if args.dedup is not None:
        options["dedup"] = args.dedup
    result = select(
        args.inputs,
        args.k,
        args.out,
        embedder=args.embedder,
        model=args.model,
        normalize=args.normalize,
        dims=args.dims,
        method=args.method,
        backend=args.backend,
        fps=args.fps or None,
        width=args.width or None,
        seed=args.seed,
        labeled=args.labeled,
        min_distance=args.min_distance,
        device=args.device,
        progress=not args.quiet,
        frames=not args.no_frames,
        report=not args.no_report,
        select_options=options,
        quality_filter=_quality_filter(args),
        export=args.export,
        image_base=args.image_base,
    )
    if args.json:
        sys.stdout.write(json.dumps([p.as_dict() for p in result.picks], indent=2) + "\n")
    else:
        sys.stdout.write(
            f"picked {len(result.picks)} of {result.n_frames} frames -> {result.out}\n"
        )
        if result.report:
            sys.stdout.write(f"report: {result.report}\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from farpoint.export.formats import export_result

    for name, path in export_result(args.result, args.export, image_base=args.image_base).items():
        sys.stdout.write(f"{name}: {path}\n")
    return 0


def _load_npy(path: str, name: str) -> Any:
    import numpy as np

    p = Path(path)
    if not p.exists():
        from farpoint.errors import NotFoundError

        raise NotFoundError(f"{p}: no such file")
    with p.open("rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise InputError(f"{p}: not a numpy .npy file (save {name} with numpy.save)")
    try:
        return np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{p}: not a numpy .npy array ({exc})") from exc


def cmd_select_vectors(args: argparse.Namespace) -> int:
    from farpoint.vectors import select_vectors

    vectors = _load_npy(args.vectors, "vectors")
    labeled = _load_npy(args.labeled, "labeled") if args.labeled else None
    options: dict[str, Any] = {}
    if args.dedup is not None:
        options["dedup"] = args.dedup
    sel = select_vectors(
        vectors,
        args.k,
        method=args.method,
        normalize=args.normalize,
        dims=args.dims,
        seed=args.seed,
        backend=args.backend,
        labeled=labeled,
        min_distance=args.min_distance,
        **options,
    )
    indices = [int(i) for i in sel.indices]
    if args.curve:
        import math

        body: dict[str, Any] = {
            "indices": indices,
            "distances": [None if not math.isfinite(float(d)) else float(d) for d in sel.distances],
            "stopped_early": sel.stopped_early,
        }
        try:
            from farpoint.selection.budget import suggest_budget

            body["suggested_k"] = int(suggest_budget(sel.distances))
        except ImportError:
            pass
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        sys.stdout.write(json.dumps(indices) + "\n")
    return 0


def _setup_logging(debug: bool) -> None:
    """Log to stderr at ``FARPOINT_LOG_LEVEL`` (any case; the services read the same variable),
    default warning; ``--debug`` wins. A bad value is a configuration error (exit 4)."""
    level = "warning"
    value = os.environ.get("FARPOINT_LOG_LEVEL", "")
    if value.strip():
        from farpoint.errors import ConfigError
        from farpoint.settings import parse_log_level

        try:
            level = parse_log_level(value)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    logging.basicConfig(
        level=logging.DEBUG if debug else level.upper(),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    try:
        _setup_logging(args.debug)
    except FarpointError as exc:
        sys.stderr.write(f"farpoint: error: {exc.message}\n")
        return exc.exit_code
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except FarpointError as exc:
        if args.debug:
            log.exception("failed")
        sys.stderr.write(f"farpoint: error: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("farpoint: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, not a traceback
        if args.debug:
            log.exception("internal error")
        sys.stderr.write(
            f"farpoint: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)\n"
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
