"""Hostile files (issue 13): is every file indexed or refused with a reason, in bounded time and memory?

    python benchmarks/hostile.py [--keep DIR] [--timeout 900] [--per-file] [--only NAME ...] [--skip NAME ...] [--root DIR]

A corpus folder holds whatever people drop into it, and one bad file must
cost one line in the failure list, not the run: a DOCX zip bomb once kept an
ingest busy for 800 s and 7 GB. This builds the files of hostile_files.py in
a temporary folder and ingests them all at once, as `python -m assistant
ingest` in a child process run from --root (default: this repository; point
it at a git worktree to test another commit), with a wall-clock limit. It
polls the process tree's summed RSS every 0.2 s (the machine's cost: the
ingest parses in worker processes too) and also reads the child's ru_maxrss
from wait4. Each process is capped at --memory-cap-gb of address space, and
the tree is killed above it, so a runaway cannot take the machine.
--per-file ingests each file alone as well (fresh index, model load
included) to say which file costs the time and the memory.

Targets: the whole folder in under 5 minutes and 2 GB; every file indexed or
failed with a reason; the good report and the other probed files searchable;
no entity expanded (the first line of /etc/passwd is in no chunk). The exit
status is 0 when all are met. Whether each outcome is the expected one is
shown per file; --strict makes that a target too.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import machine_load, table
from hostile_files import GOOD_REPORT_PROBE, HostileFile, build, catalogue_names

REPO = Path(__file__).resolve().parent.parent
FOLDER_SECONDS = 300  # target: the whole folder in under 5 minutes ...
PEAK_MB = 2048  # ... and 2 GB
POLL = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")
REASON_WIDTH = 64


@dataclass
class Run:
    """One child process: how it ended, how long it took and the most memory it held."""

    returncode: int | None
    seconds: float
    tree_peak_mb: float  # the process tree's summed RSS, polled
    maxrss_mb: float  # wait4's ru_maxrss: the largest single process, itself and its reaped children
    killed: str = ""  # "timeout" or "memory" when we killed it
    stdout: str = ""
    stderr: str = ""

    @property
    def peak_mb(self) -> float:
        """Polling can miss a short spike, ru_maxrss misses the sum: the larger of the two."""
        return max(self.tree_peak_mb, self.maxrss_mb)


@dataclass
class Result:
    """What became of one file in one ingest."""

    outcome: str  # indexed, failed or missing (neither indexed nor reported failed)
    error: str = ""  # the refusal, without the file name in front
    run: Run | None = None  # per-file runs only


@dataclass
class Report:
    """One ingest's outcome per file, from its JSON report and the index's document list."""

    run: Run
    summary: dict | None  # the --json report; None when the process did not finish cleanly
    results: dict[str, Result] = field(default_factory=dict)


@dataclass
class Checks:
    """Searches over the whole-folder index: probed files found, absent texts not leaked."""

    found: dict[str, bool] = field(default_factory=dict)  # name -> its probe's results include it
    leaked: dict[str, bool | None] = field(default_factory=dict)  # name -> its absent text is in a chunk


# -- running and measuring ----------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process now alive."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # gone meanwhile
                continue
            found[int(entry.name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    return found


def _tree(root: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _rss(pids: list[int]) -> int:
    """Summed resident memory in bytes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def _kill(pid: int) -> None:
    """SIGKILL the child's process group and any descendant that left it."""
    for member in _tree(pid):
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_measured(command: list[str], cwd: Path, timeout: float, cap_bytes: int) -> Run:
    """Run `command` in its own process group, polling its tree's memory; kill it at `timeout` or above `cap_bytes`."""

    def limit() -> None:  # in the child: each process's address space is capped, so a runaway fails alone
        if cap_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=limit)
        try:
            status, usage, peak, killed = _watch(proc.pid, started, timeout, cap_bytes)
        except BaseException:  # Ctrl-C included: the child is in its own session and would not hear it
            _kill(proc.pid)
            raise
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        _kill(proc.pid)  # a worker the ingest left behind
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, seconds, peak / 2**20, usage.ru_maxrss / 1024, killed,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def _watch(pid: int, started: float, timeout: float, cap_bytes: int) -> tuple[int, resource.struct_rusage, int, str]:
    """Poll until the child ends (or kill it): its wait status, rusage, peak tree RSS in bytes, why it was killed."""
    peak, killed = 0, ""
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak, killed
        peak = max(peak, _rss(_tree(pid)))
        if time.perf_counter() - started > timeout:
            killed = "timeout"
        elif cap_bytes and peak > cap_bytes:
            killed = "memory"
        if killed:
            _kill(pid)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, peak, killed
        time.sleep(POLL)


def _assistant(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` from `root`, offline; for the quick commands (documents, search)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, -9, "", f"timed out after {timeout:.0f} s")


def _json(text: str) -> object | None:
    """The JSON a command printed, or None (a crash prints a traceback instead)."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    try:
        return json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        return None


# -- one ingest and its outcome per file ------------------------------------------------


def ingest(paths: list[Path], index: Path, files: list[HostileFile], args: argparse.Namespace,
           timeout: float) -> Report:
    """Ingest `paths` into a fresh `index` and say what became of each of `files`."""
    command = [sys.executable, "-m", "assistant", "ingest", *map(str, paths), "--index", str(index), "--json",
               "--no-progress"]
    run = run_measured(command, args.root, timeout, int(args.memory_cap_gb * 2**30))
    summary = _json(run.stdout) if not run.killed else None
    report = Report(run, summary if isinstance(summary, dict) else None)
    failed = {_key(f["path"]): f["error"] for f in (report.summary or {}).get("failed", [])}
    indexed = _indexed(index, args.root)
    for spec in files:
        key = _key(spec.path)
        if key in indexed:
            report.results[spec.name] = Result("indexed")
        elif key in failed:
            report.results[spec.name] = Result("failed", _reason(failed[key], spec.name))
        else:
            report.results[spec.name] = Result("missing")
    return report


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def _reason(error: str, name: str) -> str:
    """The refusal without the "name: " the ingest puts in front: the name alone must not count as a reason."""
    return error.removeprefix(f"{name}: ").strip()


def _indexed(index: Path, root: Path) -> set[str]:
    """Paths of the documents in the index (read even after a killed run: the index stays consistent)."""
    if not index.exists():
        return set()
    done = _assistant(root, "documents", "--index", str(index), "--json")
    docs = _json(done.stdout)
    return {_key(d["path"]) for d in docs} if isinstance(docs, list) else set()


def search(root: Path, index: Path, query: str, k: int) -> list[dict] | None:
    """Passages for `query`; None when the search itself failed."""
    done = _assistant(root, "search", query, "--index", str(index), "--json", "--k", str(k))
    found = _json(done.stdout)
    return found if done.returncode == 0 and isinstance(found, list) else None


# -- judging -----------------------------------------------------------------------------


def matches(spec: HostileFile, result: Result) -> bool:
    """The expected outcome, and for a refusal the expected kind of reason."""
    if result.outcome != spec.expected:
        return False
    return result.outcome == "indexed" or not spec.reason or bool(re.search(spec.reason, result.error, re.I))


def _probe_found(spec: HostileFile, passages: list[dict] | None) -> bool:
    return any(p.get("source") == spec.name for p in passages or [])


def _leaked(spec: HostileFile, passages: list[dict] | None) -> bool | None:
    """Whether `spec.absent` is in a passage; None when the search failed."""
    if passages is None:
        return None
    return any(spec.absent in p.get("text", "") for p in passages)


def _show(name: str, width: int = 40) -> str:
    """A file name fit for one table cell: escapes visible, long names cut."""
    shown = name.encode("unicode_escape").decode() if not name.isprintable() else name
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _cut(text: str, width: int = REASON_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(run: Run) -> str:
    killed = {"timeout": "KILLED at the timeout", "memory": "KILLED above the memory cap"}
    how = killed.get(run.killed, f"exit status {run.returncode}")
    return f"{how}, {run.seconds:.1f} s, peak {run.peak_mb:.0f} MB (tree {run.tree_peak_mb:.0f}, ru_maxrss {run.maxrss_mb:.0f})"


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the files and indexes here and keep them")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole-folder ingest (default 900)")
    parser.add_argument("--file-timeout", type=float, help="seconds for each --per-file ingest (default: --timeout)")
    parser.add_argument("--per-file", action="store_true", help="also ingest each file alone")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these files: names or patterns (*, ?) from --list")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="all files but these (names or patterns)")
    parser.add_argument("--list", action="store_true", help="list the file names and exit")
    parser.add_argument("--root", type=Path, default=REPO, help="repository to run `python -m assistant` from")
    parser.add_argument("--good-report", type=Path, help="the control PDF (default: the AAP brief in corpus/)")
    parser.add_argument("--memory-cap-gb", type=float, default=8,
                        help="address space per process, and the tree's RSS at which it is killed (0: none; default 8)")
    parser.add_argument("--strict", action="store_true", help="an unexpected outcome also fails the run")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(_show(n, 300) for n in catalogue_names()))
        return 0
    unknown = [p for p in (args.only or []) + args.skip if not fnmatch.filter(catalogue_names(), p)]
    if unknown:
        parser.error(f"no file matches {', '.join(unknown)} (see --list)")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: must be new or empty")
    args.root = args.root.resolve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # unwind: the child must be killed too
    print(machine_load())
    print(f"assistant from {_package(args.root)}", flush=True)

    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        return _bench(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _select(only: list[str] | None, skip: list[str]) -> list[str]:
    """The names matching --only (all when not given) and no --skip pattern; a name starting with "-" needs a pattern."""
    names = catalogue_names()
    chosen = [n for n in names if only is None or any(fnmatch.fnmatchcase(n, p) for p in only)]
    return [n for n in chosen if not any(fnmatch.fnmatchcase(n, p) for p in skip)]


def _package(root: Path) -> str:
    """Which `assistant` package the child processes import: the point of --root."""
    done = subprocess.run([sys.executable, "-c", "import assistant; print(assistant.__file__)"], cwd=root,
                          capture_output=True, text=True)
    error = done.stderr.strip().splitlines() or ["?"]
    return done.stdout.strip() or f"(import failed: {error[-1]})"


def _bench(args: argparse.Namespace, work: Path) -> int:
    folder = work / "files"
    started = time.perf_counter()
    files = build(folder, args.good_report, _select(args.only, args.skip))
    size = sum(f.path.stat().st_size for f in files)
    print(f"built {len(files)} files ({size / 2**20:.0f} MB) in {time.perf_counter() - started:.1f} s in {folder}",
          flush=True)

    index = work / "index"
    whole = ingest([folder], index, files, args, args.timeout)
    print(f"whole folder: {_describe(whole.run)}", flush=True)
    alone = _per_file(files, work, args) if args.per_file else {}

    checks = _search_checks(files, index, args.root)
    _print_table(files, whole, alone, checks)
    _print_refusals(files, whole, alone)
    return _targets(files, whole, checks, args)


def _per_file(files: list[HostileFile], work: Path, args: argparse.Namespace) -> dict[str, Result]:
    """Each file ingested alone into a fresh index: its own seconds and peak memory."""
    results = {}
    for n, spec in enumerate(files, 1):
        index = work / "per-file" / f"{n:02d}"
        report = ingest([spec.path], index, [spec], args, args.file_timeout or args.timeout)
        result = report.results[spec.name]
        result.run = report.run
        results[spec.name] = result
        print(f"  alone {n}/{len(files)} {_show(spec.name)}: {result.outcome}, {_describe(report.run)}", flush=True)
        if not args.keep:
            shutil.rmtree(index, ignore_errors=True)
    return results


def _search_checks(files: list[HostileFile], index: Path, root: Path) -> Checks:
    """Each probe and each absent text searched for in the whole-folder index (what it holds, even after a kill)."""
    checks = Checks()
    if not index.exists():
        return checks
    for spec in files:
        if spec.probe:
            checks.found[spec.name] = _probe_found(spec, search(root, index, spec.probe, 10))
        if spec.absent:
            checks.leaked[spec.name] = _leaked(spec, search(root, index, spec.absent, 100))
    return checks


def _print_table(files: list[HostileFile], whole: Report, alone: dict[str, Result], checks: Checks) -> None:
    header = ["file", "expected", "outcome", "reason", "as expected"]
    if alone:
        header += ["alone", "alone s", "alone peak MB"]
    rows = []
    for spec in files:
        result = whole.results[spec.name]
        row: list[object] = [_show(spec.name), spec.expected, result.outcome, _cut(result.error) or "-",
                             "yes" if matches(spec, result) else "NO"]
        if alone:
            mine = alone[spec.name]
            run = mine.run
            row += [mine.outcome if not run or not run.killed else f"killed ({run.killed})",
                    f"{run.seconds:.1f}" if run else "-", f"{run.peak_mb:.0f}" if run else "-"]
        rows.append(row)
    print()
    print(table(header, rows))
    print("\nwhat each file is:")
    for spec in files:
        probe = f"; probe {'found' if checks.found.get(spec.name) else 'NOT found'}" if spec.probe else ""
        print(f"  {_show(spec.name)}: {spec.what}{probe}")


def _print_refusals(files: list[HostileFile], whole: Report, alone: dict[str, Result]) -> None:
    """The refusals in full: the table cuts them, and an unclear one is a finding in itself."""
    print("\nrefusals in full (whole folder; alone, when that differs):")
    for spec in files:
        mine, solo = whole.results[spec.name], alone.get(spec.name)
        if mine.outcome == "failed":
            print(f"  {_show(spec.name)}: {mine.error or '(no reason)'}")
        if solo and solo.outcome == "failed" and (mine.outcome != "failed" or solo.error != mine.error):
            print(f"  {_show(spec.name)} (alone): {solo.error or '(no reason)'}")
        if solo and solo.run and solo.run.returncode not in (0, 1) and not solo.run.killed:
            print(f"  {_show(spec.name)} (alone) exited {solo.run.returncode}: {_cut(solo.run.stderr[-400:], 400)}")


def _targets(files: list[HostileFile], whole: Report, checks: Checks, args: argparse.Namespace) -> int:
    """Print each target against its measure; 0 when all are met."""
    run, results = whole.run, whole.results
    unresolved = [s.name for s in files if results[s.name].outcome == "missing" or
                  (results[s.name].outcome == "failed" and not results[s.name].error)]
    good = [s for s in files if s.probe == GOOD_REPORT_PROBE]
    probed = [s for s in files if s.probe and s not in good]
    good_found = bool(good) and all(checks.found.get(s.name) for s in good)
    unexpected = [s.name for s in files if not matches(s, results[s.name])]
    rows: list[list[object]] = [
        ["whole folder finished", "yes", run.killed or ("yes" if whole.summary else f"no (exit {run.returncode})"),
         _met(not run.killed and whole.summary is not None)],
        ["whole folder seconds", f"< {FOLDER_SECONDS}", f"{run.seconds:.0f}" + (" (killed)" if run.killed else ""),
         _met(not run.killed and run.seconds < FOLDER_SECONDS)],
        ["peak memory MB", f"< {PEAK_MB}", f"{run.peak_mb:.0f}", _met(run.peak_mb < PEAK_MB)],
        ["good report searchable", "yes", _met(good_found) if good else "not built", _met(good_found) if good else "-"],
        ["files indexed or failed with a reason", f"{len(files)}", f"{len(files) - len(unresolved)}",
         _met(not unresolved)],
        ["probed texts searchable", f"{len(probed)}", f"{sum(bool(checks.found.get(s.name)) for s in probed)}",
         _met(all(checks.found.get(s.name) for s in probed))],
        ["entities not expanded (absent texts)", "0 leaked",
         ", ".join(f"{n}: {_leak(v)}" for n, v in checks.leaked.items()) or "-",
         _met(all(v is False for v in checks.leaked.values()))],
        ["outcomes as expected" + (" (--strict)" if args.strict else " (information)"), f"{len(files)}",
         f"{len(files) - len(unexpected)}", _met(not unexpected) if args.strict else "-"],
    ]
    print()
    print(table(["target", "target value", "measured", "met"], rows))
    if unresolved:
        print("missing (neither indexed nor reported failed; after a kill: not reached) or failed without a reason: "
              + ", ".join(map(_show, unresolved)))
    if whole.run.killed or whole.summary is None:
        print(f"the whole-folder ingest did not finish ({_describe(run)}); its last output:\n"
              f"{_cut(run.stderr.strip()[-600:], 600) or '(nothing on stderr)'}")
    if whole.summary:
        s = whole.summary
        print(f"ingest report: added {s['added']}, updated {s['updated']}, unchanged {s['unchanged']}, "
              f"failed {len(s['failed'])}; index {s['documents']} documents, {s['chunks']} chunks, {s['pages']} pages, "
              f"{s['seconds']:.1f} s inside the ingest")
    met = [row[3] for row in rows if row[3] != "-"]
    return 0 if all(m == "yes" for m in met) else 1


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def _leak(leaked: bool | None) -> str:
    return "search failed" if leaked is None else "LEAKED" if leaked else "not found"


if __name__ == "__main__":
    raise SystemExit(main())
