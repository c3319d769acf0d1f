#!/usr/bin/env python3
"""Benchmark advisor against git itself on every shape of repository, at three sizes each.

    python scripts/bench.py                        # every row (about 20-40 minutes on a busy 2-core machine)
    python scripts/bench.py --only tags,git/git    # these rows only ("tags 2000": one size)
    python scripts/bench.py --json-out bench.json --markdown-out table.md

Rows (repositories are built once under /tmp/bench and reused; mirrors are read in place):

* synthetic N (scripts/make_big_repo.py: gitflow then trunk-based, ~30 authors) at 10k/100k/200k
  commits, and 1M with --million (built once, ~10 minutes);
* one dimension each (scripts/bench_shapes.py): tags, refs/pull/*, long-lived lines with
  back-merges, live branches, stale branches, trailer lines in one body, octopus merges, a monorepo whose
  commits add up to 1M lines;
* public mirrors given with --mirror (default: git/git, vim/vim, curl/curl under /work/.mirror).

For each row, in one run, git and advisor taking turns (the machine is shared, so
a burst of load from others hits both alike), wall time and CPU time (user + system
of the process and every child it waited for, from wait4):

* A = `git log --all --format='%H %P %at %ct %s'`, read fully through a pipe;
* B = `git log --no-walk=unsorted --stdin --shortstat` over the commits the report needs
  (those of episodes in the scan's default window);
* graph = `gitread.load` + `history.reconstruct` in a child interpreter; target <= 1.5 x A;
* cold = `advisor scan PATH --format json --no-cache --quiet --no-history` (trial merges on,
  default window); target <= 1.5 x (A + B); its peak RSS: <= 300 MB up to 200k commits, <= 1 GB at 1M;
* re-scan = the same scan run twice with a fresh --cache-dir: the second, with nothing new,
  CLI start-up included; target <= 0.2 x cold;
* per unit = cold CPU time per unit of the row's dimension (commit, tag, ref, line,
  branch, octopus merge, line changed), and per episode rebuilt: flat across a dimension's
  three sizes means linear.

Incremental rows (--incremental, default on for synthetic 100k/200k and git/git): a copy of the
repository (`git clone --mirror`, under /tmp/bench), scanned once with a cache, then given k = 1 %
new commits (direct commits and merged branches) dated over the week after its newest commit (a
week's work on top of it); the re-scan against a cold scan of the same state, and their outputs
compared. Target <= 0.2 x cold + O(k), the O(k) being what a cold scan may spend on the new commits
themselves: 1.5 x git's own work over them (A and B run over the k new commits only, A_k + B_k).

Backfill row (curl/curl): `advisor backfill --since <a year before the last commit> --every week --no-cache`
(52 snapshots) against one cold scan; target <= 3 x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = Path("/tmp/bench")
MIRRORS = Path("/work/.mirror")
LOG_A = "--format=%H %P %at %ct %s"
TARGET = {"cold": 1.5, "graph": 1.5, "rescan": 0.2, "incremental": 0.2, "backfill": 3.0}
RSS_MB = {200_000: 300, 1_000_000: 1024}
SHAPES = {  # shape -> (dimension, unit, sizes)
    "tags": ("tags", "tag", (2_000, 10_000, 20_000)),
    "pulls": ("refs/pull/*", "ref", (5_000, 20_000, 50_000)),
    "lines": ("long-lived lines", "line", (10, 100, 300)),  # 300: a line cost the whole trunk once (f37bfc2: 8 s, 836 MB)
    "branches": ("live branches", "branch", (500, 2_000, 5_000)),
    "stale": ("stale branches", "branch", (500, 2_000, 5_000)),  # 5,000: `b not in stale` was 12M comparisons
    "trailers": ("trailer lines per commit", "line", (2_000, 6_000, 18_000)),  # 18,000: 75 s before 2026-12-04
    "octopus": ("octopus merges", "merge", (500, 2_000, 5_000)),
    "monorepo": ("lines per big commit", "line", (10_000, 100_000, 1_000_000)),
}


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


PYCACHE = ROOT / "pycache"


def git_env() -> dict[str, str]:
    """The children's environment. advisor runs with its bytecode cached, as a pip-installed package
    has it: a machine that sets PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile ~60
    modules at every start, ~0.3 s that no user's install pays."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "PYTHONDONTWRITEBYTECODE")}
    env.update(GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", GIT_PAGER="cat", GIT_OPTIONAL_LOCKS="0",
               PYTHONPYCACHEPREFIX=str(PYCACHE))
    return env


def compile_bytecode() -> None:
    """Fill the bytecode cache once, before anything is timed (advisor and what it imports)."""
    import advisor
    paths = [str(Path(advisor.__file__).parent), *(p for p in sys.path if p.endswith("site-packages"))]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *paths], env=git_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    out: bytes = b""


def run(command: list[str], stdin: bytes | None = None, keep: bool = False) -> Run:
    """One child: wall time, CPU time (it and its waited-for children), peak RSS; stdout drained."""
    with tempfile.TemporaryFile() as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=sink, stderr=subprocess.PIPE, env=git_env())
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])}... failed ({proc.returncode}): {errors.decode(errors='replace')}")
        out = b""
        if keep:
            sink.seek(0)
            out = sink.read()
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024, out=out)


def advisor() -> list[str]:
    exe = Path(sys.executable).parent / "advisor"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "advisor"]


def cli_scan(path: Path, cache: Path | None, keep: bool = False) -> Run:
    caching = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    return run([*advisor(), "scan", str(path), "--format", "json", "--quiet", "--no-history", *caching], keep=keep)


GRAPH_CHILD = r"""
import json, resource, sys, time, gc
from datetime import datetime, timezone
from pathlib import Path
from advisor import gitread, history, pipeline, scan
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
path = Path(sys.argv[1])
request = pipeline.ScanRequest(path=path, now=datetime.now(timezone.utc), options=history.HistoryOptions())
gc.disable()
wall, used = time.perf_counter(), cpu()
graph = gitread.load(path)
reconstructed = history.reconstruct(graph, request.options, request.now)
wall, used = time.perf_counter() - wall, cpu() - used
gc.enable()
window, _ = pipeline._window(request, reconstructed, request.now, past=False)
needed = scan.commits_needing_stats(reconstructed, window)
print(json.dumps({"wall": wall, "cpu": used, "commits": len(graph), "episodes": len(reconstructed.episodes),
                  "refs": len(graph.refs), "needed": needed}))
"""


def graph_child(path: Path) -> dict[str, Any]:
    done = run([sys.executable, "-c", GRAPH_CHILD, str(path)], keep=True)
    return {**json.loads(done.out), "rss_mb": done.rss_mb}


# ---------------------------------------------------------------------------
# Repositories


def ensure(path: Path, build: list[str]) -> Path:
    marker = path.with_name(path.name + ".built")
    if not (marker.exists() and path.exists()):
        if path.exists():
            shutil.rmtree(path)
        say(f"building {path} ...")
        subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
        marker.write_text(datetime.now(timezone.utc).isoformat())
    return path


def synthetic(commits: int) -> Path:
    path = ROOT / f"synthetic-{commits}"
    return ensure(path, [sys.executable, str(HERE / "make_big_repo.py"), "--commits", str(commits), "--quiet",
                         str(path)])


def shape(name: str, size: int) -> Path:
    path = ROOT / f"{name}-{size}"
    return ensure(path, [sys.executable, str(HERE / "bench_shapes.py"), name, str(size), str(path)])


# ---------------------------------------------------------------------------
# Rows


@dataclass
class Row:
    name: str
    path: Path
    dimension: str = "commits"
    unit: str = "commit"
    size: int = 0
    result: dict[str, Any] = field(default_factory=dict)


def measure(row: Row) -> None:
    """A, graph, B, cold, fill + re-scan, in turn."""
    say(f"{row.name}: git log A")
    a = run(["git", "-C", str(row.path), "log", "--all", "--no-color", LOG_A])
    say(f"{row.name}: graph")
    g = graph_child(row.path)
    needed = g.pop("needed")
    say(f"{row.name}: git log B over {len(needed)} commits")
    b = run(["git", "-C", str(row.path), "log", "--no-walk=unsorted", "--stdin", "--no-color", "--no-renames",
             "--shortstat", "--format=%H"], stdin=("\n".join(needed) + "\n").encode())
    say(f"{row.name}: cold scan")
    cold = cli_scan(row.path, None)
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=ROOT))
    try:
        say(f"{row.name}: scan filling a cache, then the re-scan")
        fill = cli_scan(row.path, cache)
        warm = cli_scan(row.path, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    size = row.size or g["commits"]
    row.result = {
        "commits": g["commits"], "episodes": g["episodes"], "refs": g["refs"], "needed": len(needed),
        "A": vars(a), "B": vars(b), "graph": g, "cold": vars(cold), "fill": vars(fill), "rescan": vars(warm),
        "cold_ratio_wall": cold.wall / (a.wall + b.wall), "cold_ratio_cpu": cold.cpu / (a.cpu + b.cpu),
        "graph_ratio_wall": g["wall"] / a.wall, "graph_ratio_cpu": g["cpu"] / a.cpu,
        "rescan_ratio_wall": warm.wall / cold.wall, "rescan_ratio_cpu": warm.cpu / cold.cpu,
        "per_unit_us": cold.cpu / size * 1e6, "size": size,
    }
    for item in ("A", "B", "cold", "fill", "rescan"):
        row.result[item].pop("out", None)


def add_commits(repo: Path, k: int) -> None:
    """k new commits on the trunk, direct commits and two-commit branches merged, dated over the week after
    the newest commit (dated now, they made the history dormant for years before them: the cold scan's
    window then held little besides them, and cost a fraction of a real one)."""
    head = subprocess.run(["git", "-C", str(repo), "symbolic-ref", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    tip = subprocess.run(["git", "-C", str(repo), "rev-parse", head], capture_output=True, text=True,
                         check=True).stdout.strip()
    start, step = int(last_commit_date(repo).timestamp()), max(1, 7 * 86_400 // (k + 1))
    out, mark, made = [], 0, 0
    trunk = tip

    def commit(ref: str, parents: list[str], message: str, when: int) -> str:
        nonlocal mark
        mark += 1
        body = message.encode() + b"\n"
        text = (f"commit {ref}\nmark :{mark}\nauthor New <new@example.com> {when} +0000\n"
                f"committer New <new@example.com> {when} +0000\ndata {len(body)}\n").encode() + body
        text += f"from {parents[0]}\n".encode() + b"".join(f"merge {p}\n".encode() for p in parents[1:])
        text += f"M 100644 inline new/{mark % 50}.txt\ndata {len(str(mark)) + 1}\n{mark}\n\n".encode()
        out.append(text)
        return f":{mark}"

    while made < k:
        made += 1
        if made % 4:
            trunk = commit(head, [trunk], f"New work {made}", start + made * step)
        else:
            first = commit(f"refs/heads/new-{made}", [trunk], f"Branch work {made}", start + made * step)
            second = commit(f"refs/heads/new-{made}", [first], f"More branch work {made}", start + (made + 1) * step)
            trunk = commit(head, [trunk, second], f"Merge branch 'new-{made}'", start + (made + 2) * step)
            made += 2
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(out), check=True)


def stable(output: bytes) -> str:
    """A scan's JSON without what depends on the moment it ran: its time, idle and age days, and the
    window's ends wherever they appear (the --explain commands quote them)."""
    text = output.decode()
    window = json.loads(text)["window"]
    for end in ("since", "until"):
        text = text.replace(window[end], f"<{end}>")
    drop = ("scanned_at", "idle_days", "age_days")
    return "\n".join(line for line in text.splitlines() if not any(d in line for d in drop))


def measure_incremental(name: str, source: Path) -> dict[str, Any]:
    copy = ROOT / f"incremental-{name.replace('/', '-')}"
    if copy.exists():
        shutil.rmtree(copy)
    say(f"{name}: incremental: copying, scanning with a cache, adding 1 % commits")
    subprocess.run(["git", "clone", "-q", "--mirror", str(source), str(copy)], check=True)
    commits = int(subprocess.run(["git", "-C", str(copy), "rev-list", "--all", "--count"], capture_output=True,
                                 text=True, check=True).stdout)
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=ROOT))
    try:
        cli_scan(copy, cache)
        k = max(10, commits // 100)
        old_tips = subprocess.run(["git", "-C", str(copy), "for-each-ref", "--format=^%(objectname)"],
                                  capture_output=True, check=True).stdout
        add_commits(copy, k)
        again = cli_scan(copy, cache, keep=True)
        cold = cli_scan(copy, None, keep=True)
        say(f"{name}: git's own work over the {k} new commits (A_k, B_k)")
        a_k = run(["git", "-C", str(copy), "log", "--all", "--no-color", LOG_A, "--stdin"], stdin=old_tips)
        new = subprocess.run(["git", "-C", str(copy), "rev-list", "--all", "--no-merges", "--stdin"], input=old_tips,
                             capture_output=True, check=True).stdout
        b_k = run(["git", "-C", str(copy), "log", "--no-walk=unsorted", "--stdin", "--no-color", "--no-renames",
                   "--shortstat", "--format=%H"], stdin=new)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(copy, ignore_errors=True)
    bound = TARGET["incremental"] * cold.cpu + TARGET["cold"] * (a_k.cpu + b_k.cpu)
    return {"commits": commits, "k": k, "rescan": {"wall": again.wall, "cpu": again.cpu, "rss_mb": again.rss_mb},
            "cold": {"wall": cold.wall, "cpu": cold.cpu, "rss_mb": cold.rss_mb},
            "A_k": {"wall": a_k.wall, "cpu": a_k.cpu}, "B_k": {"wall": b_k.wall, "cpu": b_k.cpu}, "bound_cpu": bound,
            "ratio_wall": again.wall / cold.wall, "ratio_cpu": again.cpu / cold.cpu, "ratio_bound": again.cpu / bound,
            "same_output": stable(again.out) == stable(cold.out)}


def last_commit_date(path: Path) -> datetime:
    out = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(committerdate:unix)", "refs/heads",
                          "refs/remotes"], capture_output=True, text=True, check=True).stdout.split()
    return datetime.fromtimestamp(max(int(t) for t in out if t.isdigit()), tz=timezone.utc)


def measure_backfill(name: str, path: Path) -> dict[str, Any]:
    until = min(last_commit_date(path) + timedelta(days=1), datetime.now(timezone.utc))
    since = until - timedelta(days=364)
    history = Path(tempfile.mkdtemp(prefix="history-", dir=ROOT))
    say(f"{name}: backfill of 52 weeks, then one cold scan")
    try:
        backfill = run([*advisor(), "backfill", str(path), "--since", since.date().isoformat(), "--until",
                        until.date().isoformat(), "--every", "week", "--no-cache", "--quiet", "--history-dir",
                        str(history)])
        snapshots = len(list(history.glob("*.json")))
    finally:
        shutil.rmtree(history, ignore_errors=True)
    cold = cli_scan(path, None)
    return {"snapshots": snapshots, "backfill": vars(backfill) | {"out": None}, "cold": vars(cold) | {"out": None},
            "ratio_wall": backfill.wall / cold.wall, "ratio_cpu": backfill.cpu / cold.cpu}


# ---------------------------------------------------------------------------
# Tables


def verdict(value: float, target: float) -> str:
    return "pass" if value <= target else "FAIL"


def rss_target(commits: int) -> int | None:
    return next((mb for limit, mb in sorted(RSS_MB.items()) if commits <= limit * 1.05), None)


def main_rows(rows: list[Row]) -> list[list[str]]:
    table = []
    for row in rows:
        r = row.result
        a, b, cold, g, warm = r["A"], r["B"], r["cold"], r["graph"], r["rescan"]
        rss = rss_target(r["commits"])
        table.append([
            row.name, f"{r['commits']:,}", f"{a['wall']:.2f} / {a['cpu']:.2f}", f"{b['wall']:.2f} / {b['cpu']:.2f}",
            f"{cold['wall']:.2f} / {cold['cpu']:.2f}",
            f"{r['cold_ratio_wall']:.2f} / {r['cold_ratio_cpu']:.2f}", verdict(r["cold_ratio_cpu"], TARGET["cold"]),
            f"{g['wall']:.2f} / {g['cpu']:.2f}", f"{r['graph_ratio_wall']:.2f} / {r['graph_ratio_cpu']:.2f}",
            verdict(r["graph_ratio_cpu"], TARGET["graph"]),
            f"{r['rescan_ratio_wall']:.2f} / {r['rescan_ratio_cpu']:.2f}",
            verdict(r["rescan_ratio_cpu"], TARGET["rescan"]),
            f"{cold['rss_mb']:.0f}" + (f" ({verdict(cold['rss_mb'], rss)})" if rss else ""),
        ])
    return table


def unit_rows(rows: list[Row]) -> list[list[str]]:
    table = []
    by_dimension: dict[str, list[Row]] = {}
    for row in rows:
        by_dimension.setdefault(row.dimension, []).append(row)
    for dimension, group in by_dimension.items():
        group.sort(key=lambda r: r.result["size"])
        costs = [r.result["per_unit_us"] for r in group]
        spread = costs[-1] / costs[0] if len(costs) > 1 and costs[0] else float("nan")
        per_episode = [per_episode_us(r) for r in group]
        episode_spread = per_episode[-1] / per_episode[0] if len(group) > 1 and per_episode[0] else float("nan")
        for row, episode_cost in zip(group, per_episode):
            last = row is group[-1] and len(group) > 1
            table.append([dimension, f"{row.result['size']:,}", f"{row.result['commits']:,}",
                          f"{row.result['per_unit_us']:.1f} µs/{row.unit}", f"{spread:.2f}" if last else "",
                          f"{row.result['episodes']:,}", f"{episode_cost:.1f} µs", f"{episode_spread:.2f}" if last else ""])
    return table


def per_episode_us(row: Row) -> float:
    """Cold scan CPU per episode the reconstruction rebuilt (every episode of the history, not only the window's)."""
    return row.result["cold"]["cpu"] / row.result["episodes"] * 1e6 if row.result["episodes"] else float("nan")


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def environment() -> dict[str, Any]:
    head = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "advisor"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {"advisor_commit": head, "uncommitted": bool(dirty), "python": platform.python_version(),
            "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
            "cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def report(rows: list[Row], incremental: dict[str, Any], backfill: dict[str, Any], env: dict[str, Any]) -> str:
    parts = [f"advisor {env['advisor_commit']}{' (uncommitted changes)' if env['uncommitted'] else ''}; "
             f"{env['git']}; Python {env['python']}; {env['cpus']} CPUs shared with other work (load average "
             f"{env['load_at_start']:.1f} at start, {env.get('load_at_end', 0):.1f} at end); {env['date']}; "
             "one run of each measurement, git and advisor in turn. Times are `wall / CPU` seconds; "
             "pass/fail is judged on CPU time, which other work on the machine disturbs less.", ""]
    if rows:
        parts += [markdown(["repository", "commits", "A", "B", "cold scan", "cold / (A+B)", "≤ 1.5",
                            "graph", "graph / A", "≤ 1.5", "re-scan / cold", "≤ 0.2", "peak RSS MB"],
                           main_rows(rows)), "",
                  "Cost per unit of each dimension (cold scan CPU time / size) and per episode (cold scan CPU "
                  "time / episodes rebuilt); each \"largest / smallest\" is the largest size's cost over the "
                  "smallest's (1.0 = linear):", "",
                  markdown(["dimension", "size", "commits", "cold CPU per unit", "largest / smallest", "episodes",
                            "cold CPU per episode", "largest / smallest"], unit_rows(rows)), ""]
    if incremental:
        parts += [markdown(["repository", "commits", "k new", "re-scan", "cold", "re-scan / cold", "A_k + B_k",
                            "0.2 × cold + 1.5 × (A_k + B_k)", "re-scan / that", "≤ 1", "same output"], [
            [name, f"{r['commits']:,}", f"{r['k']:,}", f"{r['rescan']['wall']:.2f} / {r['rescan']['cpu']:.2f}",
             f"{r['cold']['wall']:.2f} / {r['cold']['cpu']:.2f}", f"{r['ratio_wall']:.2f} / {r['ratio_cpu']:.2f}",
             f"{r['A_k']['cpu'] + r['B_k']['cpu']:.2f}", f"{r['bound_cpu']:.2f}", f"{r['ratio_bound']:.2f}",
             verdict(r["ratio_bound"], 1.0), "yes" if r["same_output"] else "NO"]
            for name, r in incremental.items()]), ""]
    if backfill:
        parts += [markdown(["repository", "snapshots", "backfill", "one cold scan", "ratio", "≤ 3"], [
            [name, str(r["snapshots"]), f"{r['backfill']['wall']:.2f} / {r['backfill']['cpu']:.2f}",
             f"{r['cold']['wall']:.2f} / {r['cold']['cpu']:.2f}", f"{r['ratio_wall']:.2f} / {r['ratio_cpu']:.2f}",
             verdict(r["ratio_cpu"], TARGET["backfill"])] for name, r in backfill.items()]), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--only", help="comma-separated parts of row names to run (e.g. tags,git/git)")
    parser.add_argument("--mirror", action="append", help="owner/name of a mirror under /work/.mirror (repeatable)")
    parser.add_argument("--million", action="store_true", help="also the 1M-commit synthetic row")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--no-backfill", action="store_true")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--markdown-out", type=Path)
    args = parser.parse_args(argv)
    ROOT.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    env = environment()
    wanted = [w.strip() for w in args.only.split(",")] if args.only else None

    def chosen(name: str) -> bool:
        """`--only tags` takes every tags row, `--only "tags 2000"` one of them."""
        return wanted is None or any(w == name or w == name.split()[0] for w in wanted)

    rows: list[Row] = []
    sizes = [10_000, 100_000, 200_000, *([1_000_000] if args.million else [])]
    for commits in sizes:
        if chosen(f"synthetic {commits}"):
            rows.append(Row(f"synthetic {commits // 1000}k", synthetic(commits)))
    for name, (dimension, unit, shape_sizes) in SHAPES.items():
        for size in shape_sizes:
            if chosen(f"{name} {size}"):
                rows.append(Row(f"{name} {size:,}", shape(name, size), dimension=dimension, unit=unit, size=size))
    for mirror in args.mirror or ["git/git", "vim/vim", "curl/curl"]:
        path = MIRRORS / mirror.replace("/", "+") / "repo"
        if chosen(mirror) and path.exists():
            rows.append(Row(mirror, path, dimension=f"commits ({mirror})"))
    for row in rows:
        measure(row)
    incremental: dict[str, Any] = {}
    backfill: dict[str, Any] = {}
    if not args.no_incremental:
        for name, path in (("synthetic 100k", ROOT / "synthetic-100000"), ("synthetic 200k", ROOT / "synthetic-200000"),
                           ("git/git", MIRRORS / "git+git" / "repo")):
            if chosen(name) and path.exists():
                incremental[name] = measure_incremental(name, path)
    if not args.no_backfill:
        for name, path in (("curl/curl", MIRRORS / "curl+curl" / "repo"),):
            if chosen(name) and path.exists():
                backfill[name] = measure_backfill(name, path)
    env["load_at_end"] = os.getloadavg()[0]
    text = report(rows, incremental, backfill, env)
    print(text)
    if args.markdown_out:
        args.markdown_out.write_text(text + "\n")
    if args.json_out:
        args.json_out.write_text(json.dumps({"environment": env, "targets": TARGET, "rss_mb": RSS_MB,
                                             "rows": [{"name": r.name, "path": str(r.path), "dimension": r.dimension,
                                                       **r.result} for r in rows],
                                             "incremental": incremental, "backfill": backfill}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
