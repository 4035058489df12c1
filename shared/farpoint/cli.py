"""farpoint's command line (placeholder while the core lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--version"]:
        from farpoint import __version__

        sys.stdout.write(f"farpoint {__version__}\n")
        return 0
    return 2
