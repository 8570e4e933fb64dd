"""`make bench`: the ingest and quality benchmarks, summed up in one table against the targets.

    python benchmarks/all.py [--scale N] [--verbose]

Runs `ingest.py` (1x, plus Nx copies with --scale N) and `quality.py` (ours
and the baseline) in child processes, each writing its figures as JSON, then
prints one table: each measure, its value, the target and whether it is met.
`--verbose` also shows each script's own tables.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import machine_load, table

HERE = Path(__file__).resolve().parent


def run(script: str, args: list[str], out: Path, verbose: bool) -> dict:
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    done = subprocess.run(cmd, capture_output=not verbose, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr or "")
        raise SystemExit(f"{script} failed with exit status {done.returncode}")
    return json.loads(out.read_text())


def rows(ingest: list[dict], quality: dict) -> list[list[str]]:
    ours, base = quality["summary"].get("ours", {}), quality["summary"].get("baseline", {})
    one = ingest[0]
    out = []

    def add(name: str, value, target: str = "", met: bool | None = None, baseline="") -> None:
        out.append([name, value, baseline, target, "" if met is None else ("yes" if met else "NO")])

    def f2(x):
        return "-" if x is None else f"{x:.2f}"

    add("hit@1", f2(ours.get("hit@1")), ">= 0.60", ours.get("hit@1", 0) >= 0.60, f2(base.get("hit@1")))
    add("hit@5", f2(ours.get("hit@5")), ">= 0.85", ours.get("hit@5", 0) >= 0.85, f2(base.get("hit@5")))
    add("hit@10", f2(ours.get("hit@10")), "", None, f2(base.get("hit@10")))
    add("MRR@10", f2(ours.get("mrr@10")), ">= 0.70", ours.get("mrr@10", 0) >= 0.70, f2(base.get("mrr@10")))
    add("page accuracy, first hit", f2(ours.get("page_first_hit")), ">= 0.95", (ours.get("page_first_hit") or 0) >= 0.95)
    un, n_un = ours.get("abstained_unanswerable"), ours.get("unanswerable", 0)
    wrong, n_an = ours.get("abstained_answerable"), ours.get("answerable", 0)
    add("unanswerable abstained", f"{un}/{n_un}", ">= 4/5", un is not None and un >= 0.8 * n_un)
    add("answerable wrongly abstained", f"{wrong}/{n_an}", "<= 10%", wrong is not None and wrong <= 0.1 * n_an)
    add("search p50 ms", f"{ours['search_p50_ms']:.0f}", "<= 30", ours["search_p50_ms"] <= 30)
    add("ask p50 ms", f"{ours['ask_p50_ms']:.0f}", "<= 150", ours["ask_p50_ms"] <= 150)
    add("ingest: everything but embedding / embedding", f"{one['overhead_pct']:.0f}%", "<= 15%", one["overhead_pct"] <= 15)
    add("ingest time over the embedding replayed alone", f"{one['over_floor_pct']:.0f}%")
    add("ingest peak memory MB", f"{one['peak_rss_mb']:.0f}", "< 2048", one["peak_rss_mb"] < 2048)
    add("unchanged re-ingest s", f"{one['reingest_seconds']:.2f}", "< 3", one["reingest_seconds"] < 3)
    for row in ingest[1:]:
        add(f"ingest {row['scale']}: seconds vs 1x", f"{row['seconds'] / one['seconds']:.1f}x", "linear")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=0, help="also ingest N copies (slow: minutes per copy)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show each script's own output")
    args = parser.parse_args(argv)
    print(machine_load(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ingest = run("ingest.py", ["--scale", str(args.scale)], Path(tmp) / "ingest.json", args.verbose)["rows"]
        quality = run("quality.py", [], Path(tmp) / "quality.json", args.verbose)
    print(table(["measure", "ours", "baseline", "target", "met"], rows(ingest, quality)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
