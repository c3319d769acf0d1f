#!/usr/bin/env python3
"""Benchmark advisor against git itself, on synthetic repositories (scripts/make_big_repo.py).

    python scripts/bench.py --quick                      # 10k commits, a smoke run (< 1 minute)
    python scripts/bench.py --commits 200000             # the full suite on 200k commits
    python scripts/bench.py --commits 200000 --sizes 10000,200000,1000000 --json-out bench.json
    python scripts/bench.py --repo /path/to/clone        # any existing repository

Every number is the median of 3 runs after one warm-up run (so the OS page cache
is warm), all measured in the same run of this script:

* graph: `gitread.load` + `history.reconstruct` in-process, against baseline A,
  `git log --all --format='%H %P %at %ct %s'` read fully through a pipe
  (target: ratio <= 1.5);
* line stats: `gitread.line_stats(git_dir, shas, workers=2)` for exactly the
  commits the report needs (`scan.commits_needing_stats` over
  `scan.default_window(now)`), against baseline B, one
  `git log --no-walk=unsorted --stdin --shortstat --format=%H` over the same
  commits (target: ratio <= 1.2);
* re-scan: the CLI `advisor scan --format json --quiet` run twice with a fresh
  --cache-dir, wall time of the second over the first (target: <= 0.2);
* peak RSS of the cold CLI scan, from /usr/bin/time -v (target: <= 300 MB at 200k commits);
* cost per commit: load + reconstruct and git log A in microseconds per commit
  for each of --sizes, each size measured in a fresh child process.

`now` is the newest commit's committer time plus one day, so the one-year
report window always holds commits. Repositories built here are cached as
/tmp/bench/repo-N (a marker file /tmp/bench/repo-N.built records the build).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_big_repo  # noqa: E402

from advisor import gitread, history, scan  # noqa: E402

BENCH_ROOT = Path("/tmp/bench")
LOG_A = "--format=%H %P %at %ct %s"
REPEAT = 3
RSS_TARGET_MB = 300
RSS_TARGET_COMMITS = 200_000  # the RSS target is stated for 200k commits
TARGETS = {"graph": 1.5, "line_stats": 1.2, "rescan": 0.2}
LOADAVG_AT_START = os.getloadavg()[0]  # other work on the machine skews every timing: it is reported


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def git_env() -> dict[str, str]:
    """The same neutral environment advisor gives git: no system config, C locale."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    env.update(GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", GIT_PAGER="cat", GIT_OPTIONAL_LOCKS="0")
    return env


# ---------------------------------------------------------------------------
# Repositories


def built_repo(commits: int, seed: int = 7) -> Path:
    """/tmp/bench/repo-N, built once with make_big_repo and reused afterwards."""
    path = BENCH_ROOT / f"repo-{commits}"
    marker = BENCH_ROOT / f"repo-{commits}.built"
    wanted = {"commits": commits, "seed": seed, "generator": generator_version()}
    if marker.exists() and path.exists():
        try:
            recorded = json.loads(marker.read_text())
        except ValueError:
            recorded = {}
        if all(recorded.get(k) == v for k, v in wanted.items()):
            return path
    say(f"building {path} ({commits} commits)...")
    marker.unlink(missing_ok=True)
    timings = make_big_repo.build(path, commits, seed, quiet=False)
    marker.write_text(json.dumps({**wanted, "timings": timings}))
    return path


def generator_version() -> int:
    """make_big_repo.GENERATOR_VERSION: a changed generator rebuilds the cached repositories."""
    return make_big_repo.GENERATOR_VERSION


# ---------------------------------------------------------------------------
# Timing


def drain(stream: Any) -> int:
    total = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return total
        total += len(chunk)


def git_log_a(path: Path) -> None:
    proc = subprocess.Popen(["git", "-C", str(path), "log", "--all", "--no-color", LOG_A],
                            stdout=subprocess.PIPE, env=git_env())
    drain(proc.stdout)
    if proc.wait() != 0:
        raise SystemExit(f"git log --all failed in {path}")


def git_log_b(path: Path, shas: list[str]) -> None:
    done = subprocess.run(
        ["git", "-C", str(path), "log", "--no-walk=unsorted", "--stdin", "--no-color", "--shortstat", "--format=%H"],
        input=("\n".join(shas) + "\n").encode(), capture_output=True, env=git_env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"git log --shortstat failed: {done.stderr.decode(errors='replace')}")


def newest_commit_time(path: Path) -> datetime:
    out = subprocess.run(["git", "-C", str(path), "log", "--all", "-1", "--format=%ct"], capture_output=True,
                         env=git_env(), check=True).stdout.decode().strip()
    # git log sorts by committer date only roughly; take the newest ref tip as well.
    tips = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(committerdate:unix)",
                           "refs/heads", "refs/remotes"], capture_output=True, env=git_env(), check=True)
    stamps = [int(out)] + [int(t) for t in tips.stdout.decode().split() if t.isdigit()]
    return datetime.fromtimestamp(max(stamps), tz=timezone.utc)


# ---------------------------------------------------------------------------
# Measurements


def timed(run: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure_graph(path: Path, now: datetime) -> dict[str, Any]:
    """load and reconstruct separately (median of each and of their sum), and git log A.

    advisor and git take turns within each repetition, so a burst of load from
    other processes on the machine hits both sides alike.
    """
    loads: list[float] = []
    reconstructs: list[float] = []
    git_runs: list[float] = []
    result: dict[str, Any] = {}

    for attempt in range(REPEAT + 1):  # the first is the warm-up
        result.pop("history", None)
        git_a = timed(lambda: git_log_a(path))
        gc.collect()
        started = time.perf_counter()
        graph = gitread.load(path)
        loaded = time.perf_counter()
        reconstructed = history.reconstruct(graph, history.HistoryOptions(), now)
        finished = time.perf_counter()
        if attempt:
            loads.append(loaded - started)
            reconstructs.append(finished - loaded)
            git_runs.append(git_a)
        result["commits"] = len(graph)
        result["history"] = reconstructed
        del graph, reconstructed
    git_a = statistics.median(git_runs)
    sums = [a + b for a, b in zip(loads, reconstructs)]
    result.update(
        load=statistics.median(loads), reconstruct=statistics.median(reconstructs), total=statistics.median(sums),
        load_runs=loads, reconstruct_runs=reconstructs, git_log_a=git_a, git_log_a_runs=git_runs,
    )
    result["ratio"] = result["total"] / git_a
    return result


def measure_line_stats(path: Path, hist: Any, now: datetime) -> dict[str, Any]:
    window = scan.default_window(now)
    shas = scan.commits_needing_stats(hist, window)
    git_dir = gitread.locate(path).git_dir
    check = gitread.line_stats(git_dir, shas, workers=2)
    if len(check) != len(shas):
        raise SystemExit(f"line_stats returned {len(check)} results for {len(shas)} commits")
    adv_runs, base_runs = [], []
    for attempt in range(REPEAT + 1):  # the first is the warm-up; the two sides take turns
        base_time = timed(lambda: git_log_b(path, shas))
        adv_time = timed(lambda: gitread.line_stats(git_dir, shas, workers=2))
        if attempt:
            adv_runs.append(adv_time)
            base_runs.append(base_time)
    adv, base = statistics.median(adv_runs), statistics.median(base_runs)
    return {"commits": len(shas), "window": [window.since.isoformat(), window.until.isoformat()],
            "advisor": adv, "advisor_runs": adv_runs, "git_log_b": base, "git_log_b_runs": base_runs,
            "ratio": adv / base if base else float("nan")}


def advisor_command() -> list[str]:
    exe = Path(sys.executable).parent / "advisor"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "advisor.cli"]


def run_cli(path: Path, cache_dir: Path, until: datetime, rss: bool) -> tuple[float, float | None]:
    """Wall seconds of one `advisor scan`, and its peak RSS in MB when asked."""
    command = [*advisor_command(), "scan", str(path), "--format", "json", "--quiet", "--cache-dir", str(cache_dir),
               "--until", until.isoformat()]
    time_file = None
    if rss and Path("/usr/bin/time").exists():
        with tempfile.NamedTemporaryFile(prefix="time-", dir=BENCH_ROOT, delete=False) as handle:
            time_file = Path(handle.name)
        command = ["/usr/bin/time", "-v", "-o", str(time_file), *command]
    before = _children_maxrss()
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"advisor scan failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    peak = None
    if time_file is not None:
        text = time_file.read_text()
        time_file.unlink()
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        peak = int(found.group(1)) / 1024 if found else None
    elif rss:
        after = _children_maxrss()
        peak = after / 1024 if after > before else None  # only a new maximum is attributable to this run
    return elapsed, peak


def _children_maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def measure_rescan(path: Path, now: datetime) -> dict[str, Any]:
    colds, warms, peaks = [], [], []
    for attempt in range(REPEAT + 1):  # the first pair is the warm-up
        cache_dir = Path(tempfile.mkdtemp(prefix="cache-", dir=BENCH_ROOT))
        try:
            cold, peak = run_cli(path, cache_dir, now, rss=True)
            warm, _ = run_cli(path, cache_dir, now, rss=False)
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        if attempt:
            colds.append(cold)
            warms.append(warm)
            if peak is not None:
                peaks.append(peak)
    cold, warm = statistics.median(colds), statistics.median(warms)
    return {"cold": cold, "cold_runs": colds, "rescan": warm, "rescan_runs": warms, "ratio": warm / cold,
            "peak_rss_mb": statistics.median(peaks) if peaks else None, "peak_rss_runs_mb": peaks}


def core_only(path: Path) -> dict[str, Any]:
    """The cost-per-commit row of one repository."""
    now = newest_commit_time(path) + timedelta(days=1)
    graph = measure_graph(path, now)
    graph.pop("history")
    return {"repo": str(path), "now": now.isoformat(), "graph": graph}


def core_in_child(path: Path) -> dict[str, Any]:
    """core_only in a fresh interpreter, so one size's memory and GC state cannot slow the next."""
    with tempfile.NamedTemporaryFile(prefix="core-", suffix=".json", dir=BENCH_ROOT, delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--repo", str(path), "--core-only",
                        "--json-out", str(out)], check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# Reporting


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "pass" if value <= target else "FAIL"


def main_table(result: dict[str, Any]) -> list[list[str]]:
    g, s, r = result["graph"], result["line_stats"], result["rescan"]
    commits = g["commits"]
    rows = [
        ["graph: `gitread.load`", f"{g['load']:.3f}", "", "", "", "info"],
        ["graph: `history.reconstruct`", f"{g['reconstruct']:.3f}", "", "", "", "info"],
        [f"graph: load + reconstruct vs git log A ({commits} commits)", f"{g['total']:.3f}",
         f"{g['git_log_a']:.3f}", f"{g['ratio']:.2f}", f"<= {TARGETS['graph']}", verdict(g["ratio"], TARGETS["graph"])],
        [f"line stats of {s['commits']} commits (workers=2) vs git log B", f"{s['advisor']:.3f}",
         f"{s['git_log_b']:.3f}", f"{s['ratio']:.2f}", f"<= {TARGETS['line_stats']}",
         verdict(s["ratio"], TARGETS["line_stats"])],
        ["CLI cold scan (info: vs git log A)", f"{r['cold']:.3f}", f"{g['git_log_a']:.3f}",
         f"{r['cold'] / g['git_log_a']:.2f}", "", "info"],
        ["CLI re-scan (advisor) vs cold scan (baseline)", f"{r['rescan']:.3f}", f"{r['cold']:.3f}",
         f"{r['ratio']:.3f}", f"<= {TARGETS['rescan']}", verdict(r["ratio"], TARGETS["rescan"])],
    ]
    peak = r["peak_rss_mb"]
    applies = commits <= RSS_TARGET_COMMITS * 1.05
    rows.append([
        "peak RSS of the cold CLI scan (MB)", f"{peak:.0f} MB" if peak is not None else "n/a", "", "",
        f"<= {RSS_TARGET_MB} MB" + ("" if applies else " (at 200k)"),
        verdict(peak, RSS_TARGET_MB) if applies else "info",
    ])
    return rows


def cost_table(rows: list[dict[str, Any]]) -> list[list[str]]:
    table = []
    for row in rows:
        g = row["graph"]
        n = g["commits"]
        table.append([
            f"{n:,}", f"{g['load'] / n * 1e6:.1f}", f"{g['reconstruct'] / n * 1e6:.1f}", f"{g['total'] / n * 1e6:.1f}",
            f"{g['git_log_a'] / n * 1e6:.1f}", f"{g['ratio']:.2f}", f"{g['total']:.2f}", f"{g['git_log_a']:.2f}",
        ])
    return table


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def environment() -> dict[str, Any]:
    git_version = subprocess.run(["git", "--version"], capture_output=True, check=True).stdout.decode().strip()
    source = HERE.parent
    head = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                          check=False).stdout.decode().strip()
    dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "advisor"], capture_output=True,
                           check=False).stdout.decode().split("\n")
    return {"python": platform.python_version(), "git": git_version, "cpus": os.cpu_count(),
            "machine": platform.machine(), "platform": platform.platform(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "advisor_commit": head or None, "advisor_uncommitted": [line[3:] for line in dirty if line.strip()],
            "loadavg_at_start": LOADAVG_AT_START}


def spread_warnings(result: dict[str, Any]) -> list[str]:
    """Timings whose slowest run is 1.5x the fastest: noise from other processes, or an intermittent stall."""
    warnings = []
    for section, key in (("graph", "load_runs"), ("graph", "reconstruct_runs"), ("graph", "git_log_a_runs"),
                         ("line_stats", "advisor_runs"), ("line_stats", "git_log_b_runs"),
                         ("rescan", "cold_runs"), ("rescan", "rescan_runs")):
        runs = result.get(section, {}).get(key) or []
        if len(runs) > 1 and min(runs) > 0 and max(runs) / min(runs) > 1.5:
            warnings.append(f"{section}.{key}: runs vary {min(runs):.2f}-{max(runs):.2f} s")
    return warnings


def profile(path: Path, now: datetime, out: Path) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    graph = gitread.load(path)
    history.reconstruct(graph, history.HistoryOptions(), now)
    profiler.disable()
    profiler.dump_stats(str(out))
    stats = pstats.Stats(str(out), stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--commits", type=int, default=200_000, help="build (or reuse) /tmp/bench/repo-N")
    parser.add_argument("--repo", type=Path, help="benchmark this existing repository instead")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated commit counts for the cost-per-commit table (default: the repo's own)")
    parser.add_argument("--quick", action="store_true", help="10k commits only: a smoke run")
    parser.add_argument("--skip-missing", action="store_true", help="leave out --sizes whose repo is not built yet")
    parser.add_argument("--json-out", type=Path, help="also write every measurement as JSON here")
    parser.add_argument("--profile", type=Path, help="cProfile load + reconstruct once, write pstats here")
    parser.add_argument("--core-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    BENCH_ROOT.mkdir(parents=True, exist_ok=True)

    if args.quick:
        args.commits, args.sizes = 10_000, "10000"
    path = args.repo.resolve() if args.repo else built_repo(args.commits)

    if args.core_only:
        result = core_only(path)
        if args.json_out:
            args.json_out.write_text(json.dumps(result, indent=2))
        return 0

    now = newest_commit_time(path) + timedelta(days=1)
    say(f"benchmarking {path} (now = {now.isoformat()})")
    say("graph: load + reconstruct, git log A ...")
    graph = measure_graph(path, now)
    hist = graph.pop("history")
    say("line stats, git log B ...")
    stats = measure_line_stats(path, hist, now)
    del hist
    gc.collect()
    say("CLI cold scan and re-scan ...")
    rescan = measure_rescan(path, now)
    result: dict[str, Any] = {"environment": environment(), "repo": str(path), "now": now.isoformat(),
                              "graph": graph, "line_stats": stats, "rescan": rescan, "targets": TARGETS,
                              "rss_target_mb": RSS_TARGET_MB}

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else []
    per_size = []
    for size in sizes:
        repo = BENCH_ROOT / f"repo-{size}"
        if not args.repo and size == args.commits:
            per_size.append({"repo": str(path), "graph": graph})
            continue
        if args.skip_missing and not (BENCH_ROOT / f"repo-{size}.built").exists():
            say(f"skipping {size}: {repo} is not built")
            continue
        repo = built_repo(size)
        say(f"cost per commit: {repo} ...")
        per_size.append(core_in_child(repo))
    if not per_size:
        per_size.append({"repo": str(path), "graph": graph})
    per_size.sort(key=lambda r: r["graph"]["commits"])
    result["cost_per_commit"] = per_size

    if args.profile:
        say(f"profiling load + reconstruct into {args.profile} ...")
        profile(path, now, args.profile)

    env = result["environment"]
    env["loadavg_at_end"] = os.getloadavg()[0]
    result["warnings"] = spread_warnings(result)
    dirty = f" + uncommitted changes in {', '.join(env['advisor_uncommitted'])}" if env["advisor_uncommitted"] else ""
    print(f"## advisor benchmark: {path} ({graph['commits']:,} commits)\n")
    print(f"advisor at {env['advisor_commit']}{dirty}; {env['git']}, Python {env['python']}, {env['cpus']} CPUs, "
          f"{env['platform']}; load average {env['loadavg_at_start']:.2f} at start, {env['loadavg_at_end']:.2f} "
          f"at end; now = {now.isoformat()}; median of {REPEAT} runs after 1 warm-up.\n")
    print(markdown(["metric", "advisor s", "baseline s", "ratio", "target", "result"], main_table(result)))
    print("\ngit log A = `git log --all --format='%H %P %at %ct %s'`; git log B = "
          "`git log --no-walk=unsorted --stdin --shortstat --format=%H` over the same commits.\n")
    print("### Cost per commit (load + reconstruct vs git log A)\n")
    print(markdown(["commits", "load µs/c", "reconstruct µs/c", "advisor µs/c", "git log A µs/c", "ratio",
                    "advisor s", "git s"], cost_table(per_size)))
    for warning in result["warnings"]:
        print(f"\nwarning: {warning}")
    if len(per_size) > 1:
        costs = [r["graph"]["total"] / r["graph"]["commits"] for r in per_size]
        gits = [r["graph"]["git_log_a"] / r["graph"]["commits"] for r in per_size]
        print(f"\nadvisor µs/commit, largest / smallest size: {costs[-1] / costs[0]:.2f} "
              f"(git log A: {gits[-1] / gits[0]:.2f})")
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, default=str))
        say(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
