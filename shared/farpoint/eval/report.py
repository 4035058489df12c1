"""Markdown tables (like the seed paper's Table 4.1) and the raw JSON of an eval run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def _p(p: float) -> str:
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def cell_table(cell: dict[str, Any]) -> str:
    lines = [
        f"**{cell['dataset']} / {cell['setting']}**, k = {cell['k']} of {cell['pool_size']} "
        f"({cell['note']})",
        "",
        "| method | accuracy % (mean ± std) | Δ vs random, pp | paired t p | Wilcoxon p "
        "| wins | class entropy | smallest class share | distinct sources |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in cell["summary"]:
        cmp = s.get("vs_random")
        if cmp:
            delta = f"{100 * cmp['diff_mean']:+.2f} ± {100 * cmp['diff_std']:.2f}"
            tp, wp = _p(cmp["t_pvalue"]), _p(cmp["wilcoxon_pvalue"])
            wins = f"{cmp['wins']}/{s['n']}"
        else:
            delta, tp, wp, wins = "—", "—", "—", "—"
        lines.append(
            f"| {s['method']} | {_pct(s['mean'])} ± {_pct(s['std'])} | {delta} | {tp} | {wp} "
            f"| {wins} | {s['entropy']:.3f} | {s['min_share']:.2f} "
            f"| {100 * s['distinct_sources']:.1f}% |"
        )
    return "\n".join(lines)


def summary_table(cells: list[dict[str, Any]]) -> str:
    """One row per cell: random's accuracy and each method's paired gain (pp), * = p < 0.05."""
    methods: list[str] = []
    for c in cells:
        for s in c["summary"]:
            if s["method"] not in methods:
                methods.append(s["method"])
    head = "| dataset / setting (k) | " + " | ".join(methods) + " |"
    lines = [head, "|---" * (len(methods) + 1) + "|"]
    for c in cells:
        by = {s["method"]: s for s in c["summary"]}
        row = [f"{c['dataset']} / {c['setting']} ({c['k']})"]
        for m in methods:
            s = by.get(m)
            if s is None:
                row.append("—")
            elif "vs_random" not in s:
                row.append(f"{_pct(s['mean'])}%")
            else:
                d = s["vs_random"]
                star = "*" if d["t_pvalue"] < 0.05 and d["wilcoxon_pvalue"] < 0.05 else ""
                row.append(f"{100 * d['diff_mean']:+.2f}{star}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _space_of(method: str) -> tuple[str, str]:
    """``imagenet+pca+facility`` -> (``imagenet+pca``, ``facility``); random -> ("", random)."""
    head, _, sel = method.rpartition("+")
    return head, sel


def _row_label(cell: dict[str, Any]) -> str:
    from farpoint.eval.criteria import _n_classes

    return f"{cell['dataset']} / {cell['setting']} / {cell['k'] / _n_classes(cell):g}"


def space_tables(cells: list[dict[str, Any]]) -> str:
    """One table per embedding space (embedder + normalization): rows are cells (dataset /
    setting / labels per class), columns the selectors' paired gain over random in pp; * = both
    tests p < 0.05, ** = both p < 0.01; random's accuracy in the first column."""
    spaces: dict[str, list[str]] = {}
    for c in cells:
        for s in c["summary"]:
            head, sel = _space_of(s["method"])
            if head and sel not in spaces.setdefault(head, []):
                spaces[head].append(sel)
    parts = []
    for head, sels in spaces.items():
        lines = [
            f"**{head}**",
            "",
            "| dataset / setting / labels per class | random | " + " | ".join(sels) + " |",
            "|---" * (len(sels) + 2) + "|",
        ]
        for c in cells:
            by = {s["method"]: s for s in c["summary"]}
            row = [_row_label(c), f"{_pct(by['random']['mean'])}%" if "random" in by else "—"]
            for sel in sels:
                s = by.get(f"{head}+{sel}")
                if s is None or "vs_random" not in s:
                    row.append("—")
                    continue
                d = s["vs_random"]
                p = max(d["t_pvalue"], d["wilcoxon_pvalue"])
                star = "**" if p < 0.01 else "*" if p < 0.05 else ""
                row.append(f"{100 * d['diff_mean']:+.1f}{star}")
            lines.append("| " + " | ".join(row) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def ranking_table(cells: list[dict[str, Any]], top: int = 20) -> str:
    """Methods ranked by the number of cells where they clear the default bar
    (:mod:`farpoint.eval.criteria`)."""
    from farpoint.eval.criteria import rank

    rows = rank(cells)[:top]
    lines = [
        "| method | cells passed | not below random | within 1 pp of best | gain bar met "
        "| mean Δ vs random, pp | worst gap to best, pp |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['passed']}/{r['cells']} | {r['not_below']}/{r['cells']} "
            f"| {r['near_best']}/{r['cells']} | {r['gain']}/{r['gain_cells']} "
            f"| {100 * r['mean_diff']:+.2f} | {100 * r['worst_gap']:.2f} |"
        )
    return "\n".join(lines)


def criteria_table(cells: list[dict[str, Any]], method: str) -> str:
    """Cell by cell: does ``method`` clear the bar (issue 14's Done-when)?"""
    from farpoint.eval.criteria import check

    lines = [
        f"Default candidate: `{method}`",
        "",
        "| cell | Δ vs random, pp | t p | Wilcoxon p | gap to best, pp (best) | bar "
        "| not below | near best | gain |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    yes = {True: "yes", False: "**no**", None: "—"}
    for c in check(cells, method):
        bar = "—" if c.gain_bar is None else f">= {100 * c.gain_bar:g} pp"
        lines.append(
            f"| {c.cell} | {100 * c.diff:+.2f} | {_p(c.t_p)} | {_p(c.w_p)} "
            f"| {100 * c.gap_to_best:.2f} ({c.best}) | {bar} | {yes[c.not_below]} "
            f"| {yes[c.near_best]} | {yes[c.gain]} |"
        )
    return "\n".join(lines)


def video_table(video: dict[str, Any]) -> str:
    """Rows: methods; columns: k; coverage mean (± std over seeds where it varies)."""
    rows = video["rows"]
    ks = list(rows)
    methods: list[str] = []
    for row in rows.values():
        methods += [m for m in row if m not in methods]
    lines = [
        f"{video['n_frames']} frames, {video['n_segments']} segments; seeded methods: mean ± std "
        f"over {video['seeds']} seeds.",
        "",
        "| method | " + " | ".join(f"k = {k}" for k in ks) + " |",
        "|---" * (len(ks) + 1) + "|",
    ]
    for m in methods:
        cells = []
        for k in ks:
            r = rows[k].get(m)
            cells.append(
                "—"
                if r is None
                else f"{100 * r['mean']:.1f}%" + (f" ± {100 * r['std']:.1f}" if r["std"] else "")
            )
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(result: dict[str, Any]) -> str:
    parts = [
        "<!-- generated by farpoint eval; edit the commentary in docs/quality.md by hand -->",
        f"Command: `{result['command']}`",
        "",
        f"Machine: {result['machine']}. Wall time: {result['seconds'] / 60:.1f} min.",
        "",
        f"Probe: {result['probe']}. Iterations per cell: {result['iterations']} (paired: "
        "iteration i uses seed i for every method).",
        "",
    ]
    cells = result["cells"]
    if len(result.get("methods", [])) <= 8:
        parts += [
            "### Summary: paired gain over random (percentage points; * = both tests p < 0.05)",
            "",
            summary_table(cells),
            "",
        ]
    else:
        parts += [
            "### Paired gain over random per space (pp; * both tests p < 0.05, ** p < 0.01)",
            "",
            space_tables(cells),
            "",
        ]
    if cells:
        parts += ["### Ranking against the default bar", "", ranking_table(cells), ""]
        for cand in result.get("candidates", []):
            parts += [criteria_table(cells, cand), ""]
        failed = [
            (c["dataset"], c["setting"], c["k"], m, e)
            for c in cells
            for m, e in (c.get("failed") or {}).items()
        ]
        for d, st, k, m, e in failed:
            parts.append(f"- FAILED: {m} on {d}/{st} k={k}: {e}")
        parts += ["", "### Per cell", ""]
    for cell in result["cells"]:
        parts += [cell_table(cell), ""]
    if result.get("video"):
        parts += ["### Video segment coverage", "", video_table(result["video"]), ""]
    for note in result.get("notes", []):
        parts.append(f"- {note}")
    return "\n".join(parts) + "\n"


def _random_accuracies(cell: dict[str, Any]) -> list[float] | None:
    raw = cell.get("raw") or {}
    acc = (raw.get("random") or {}).get("accuracies")
    return None if acc is None else list(acc)


def join_cells(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    """One cell with ``b``'s methods added to ``a``'s, when both are the same cell (dataset,
    setting, k, pool size) run on the same paired draws: random's per-iteration accuracies are
    identical (same seeds, same pools, same iterations). None otherwise."""
    key = ("dataset", "setting", "k", "pool_size")
    if any(a.get(f) != b.get(f) for f in key):
        return None
    ra = _random_accuracies(a)
    if ra is None or ra != _random_accuracies(b):
        return None
    have = {s["method"] for s in a["summary"]}
    out = dict(a)
    out["summary"] = a["summary"] + [s for s in b["summary"] if s["method"] not in have]
    for f in ("raw", "select_seconds", "failed"):
        out[f] = {**(b.get(f) or {}), **(a.get(f) or {})}
    out["seconds"] = a.get("seconds", 0.0) + b.get("seconds", 0.0)
    return out


def merge_cells(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cells in order; a later run of the same cell on the same paired draws
    (:func:`join_cells`) adds its methods to the first instead of a second row."""
    out: list[dict[str, Any]] = []
    for c in cells:
        for i, prev in enumerate(out):
            joined = join_cells(prev, c)
            if joined is not None:
                out[i] = joined
                break
        else:
            out.append(c)
    return out


def merge_results(paths: list[str]) -> dict[str, Any]:
    """Several runs' eval.json as one result: cells in order (the same cell from two runs on
    the same paired draws becomes one: :func:`merge_cells`), the first video table kept, every
    command listed."""
    from farpoint.errors import NotFoundError

    runs = []
    for p in paths:
        if not Path(p).exists():
            raise NotFoundError(f"{p}: no such eval.json")
        runs.append(json.loads(Path(p).read_text()))
    first = runs[0]
    methods: list[str] = []
    for r in runs:
        methods += [m for m in r["methods"] if m not in methods]
    return {
        "command": " ; ".join(r["command"] for r in runs),
        "machine": first["machine"],
        "probe": first["probe"],
        "iterations": first["iterations"],
        "methods": methods,
        "candidates": first.get("candidates", []),
        "seconds": sum(r["seconds"] for r in runs),
        "cells": merge_cells([c for r in runs for c in r["cells"]]),
        "video": next((r["video"] for r in runs if r.get("video")), None),
        "notes": list(dict.fromkeys(n for r in runs for n in r.get("notes", []))),  # once each
    }


def write_results(result: dict[str, Any], out: str | Path) -> tuple[Path, Path]:
    """``out`` is a directory (writes eval.md + eval.json) or a ``.md`` path (json beside it)."""
    p = Path(out)
    if p.suffix == ".md":
        md, js = p, p.with_suffix(".json")
    else:
        p.mkdir(parents=True, exist_ok=True)
        md, js = p / "eval.md", p / "eval.json"
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(render_markdown(result))
    js.write_text(json.dumps(result, indent=1))
    return md, js
