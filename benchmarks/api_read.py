"""Benchmark an authenticated API read on a production-like server: requests/s and p50/p95/p99 latency.

    .venv/bin/python benchmarks/api_read.py                        # floor, /me/ and /members/, 30 s each
    .venv/bin/python benchmarks/api_read.py --path /api/v1/me/ --duration 20
    .venv/bin/python benchmarks/api_read.py --requests 20000       # stop after about N requests
    .venv/bin/python benchmarks/api_read.py --no-floor --rounds 1  # the product alone, one stretch

It sets itself up: creates (or reuses) the database ``suresh_ai_bench`` on the local PostgreSQL
(or --database-url / BENCH_DATABASE_URL), runs migrate_schemas, platform_init and collectstatic,
creates the tenant ``bench`` with a few members and a fresh read-scoped API key, starts gunicorn
with the production settings (DEBUG off) and, beside it on the same gunicorn command line, the
bare Django + DRF floor of ``bare_floor.py``; warms up, and drives load from a separate process
(wrk when it is installed, ``apt-get install -y wrk``, otherwise a Python thread-pool client) at
each target in turn for a few rounds, then compares each path's throughput with the floor's.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
TENANT_SLUG = "bench"
HOST = "bench.localhost"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/suresh_ai_bench"
TARGET_P95_MS = 50.0
FLOOR_APP = "bare_floor:application"  # benchmarks/bare_floor.py: a bare Django + DRF view
FLOOR = "floor"
# Throughput targets against the floor measured in the same run (issue 13): floor req/s ÷ ours.
MAX_RATIO = {"/api/v1/me/": 2.0, "/api/v1/members/": 3.0}
DEFAULT_PATHS = ["/api/v1/me/", "/api/v1/members/"]
# "raised": the limit is so high it never refuses, but the GCRA script still runs in Redis on every
# request, as it does in production; "disabled" and "bypass" skip that round trip (both return
# before calling Redis), so they measure a cheaper path than real callers get.
RAISED_PER_MINUTE = 60_000_000
RAISED_BURST = 1_000_000_000

SETUP_SCRIPT = """
import secrets
from tenants.models import ApiKey, Membership, Role, Tenant, User
from tenants.services import api_key_create, tenant_create

tenant = Tenant.objects.filter(slug={slug!r}).first()
if tenant is None:
    tenant = tenant_create(name="Benchmark Traders", slug={slug!r}, owner_email="owner@bench.example",
                           owner_password=secrets.token_urlsafe(24)).tenant
for i in range(Membership.objects.filter(tenant=tenant).count(), {members}):
    user = User.objects.create_user(email=f"member{{i}}@bench.example", password=None)
    Membership.objects.create(tenant=tenant, user=user, role=Role.ANALYST)
# Plans set tenant API limits. The "benchmark" plan (this database only) has limits too high to
# refuse, so the GCRA script (and the AI quota script) still run in Redis on every request
# without ever saying no.
from billing.models import Plan
Plan.objects.update_or_create(code="benchmark", version=1, defaults=dict(
    name="Benchmark (bench database only)", price_monthly_paise=0, price_yearly_paise=0,
    ai_requests_per_month=2_000_000_000, seats=1000, api_rate_per_minute={raised_per_minute},
    api_burst={raised_burst}, rate_limit_bypass=False, features=[], is_current=True))
Tenant.objects.filter(pk=tenant.pk).update(rate_limit_bypass={bypass}, plan="benchmark")
ApiKey.objects.filter(tenant=tenant, name="benchmark").delete()
print("BENCH_KEY=" + api_key_create(tenant=tenant, name="benchmark", scopes=["read"], created_by=None).raw_key)
print("BENCH_MEMBERS=" + str(Membership.objects.filter(tenant=tenant).count()))
"""

WRK_SCRIPT = """
local limit = tonumber(os.getenv("BENCH_REQUESTS_PER_THREAD") or "0")
local think_ms = tonumber(os.getenv("BENCH_THINK_MS") or "0")
local done_here = 0
if think_ms > 0 then
  delay = function() return think_ms end
end
if limit > 0 then
  response = function(status, headers, body)
    done_here = done_here + 1
    if done_here == limit then
      io.write("WRK_THREAD_DONE\\n")
      io.stdout:flush()
      wrk.thread:stop()
    end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d,'
    .. ' "max": %d, "mean": %.1f, "non_2xx_3xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean, e.status, e.connect, e.read,
    e.write, e.timeout))
end
"""


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- Setup ------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (connecting to the server's ``postgres`` db)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(maintenance)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                say(f"database {name}: reusing")
            else:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"database {name}: created")
    finally:
        conn.close()


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="suresh_ai.settings.production",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),  # production refuses the default key and keys under 40 chars
        SECURE_SSL_REDIRECT="false",  # plain HTTP on 127.0.0.1 (production sits behind TLS termination)
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX="sai-bench",
        ENVIRONMENT="benchmark",
        SENTRY_DSN="",
        PYTHONUNBUFFERED="1",
    )
    if args.rate_limit == "disabled":
        env["RATE_LIMIT_ENABLED"] = "false"
    return env


def manage(env: dict[str, str], *command: str) -> str:
    started = time.monotonic()
    completed = subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"manage.py {command[0]} failed with {completed.returncode}")
    say(f"manage.py {' '.join(command[:1])} ({time.monotonic() - started:.1f} s)")
    return completed.stdout


def set_up(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, int]:
    """Migrate, bootstrap the platform, create tenant/members/key; return (raw API key, member count)."""
    ensure_database(args.database_url)
    manage(env, "migrate_schemas", "--executor=standard", "-v", "0")
    manage(env, "platform_init")
    if not (ROOT / "var" / "staticfiles" / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v", "0")
    script = SETUP_SCRIPT.format(
        slug=TENANT_SLUG,
        members=args.members,
        bypass=args.rate_limit == "bypass",
        raised_per_minute=RAISED_PER_MINUTE,
        raised_burst=RAISED_BURST,
    )
    out = manage(env, "shell", "-c", script)
    key = re.search(r"^BENCH_KEY=(\S+)$", out, re.MULTILINE)
    members = re.search(r"^BENCH_MEMBERS=(\d+)$", out, re.MULTILINE)
    if not key or not members:
        raise SystemExit(f"setup did not print a key:\n{out}")
    return key.group(1), int(members.group(1))


# --- Server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    args: argparse.Namespace, env: dict[str, str], port: int, log: Path, app: str = "suresh_ai.wsgi:application"
) -> subprocess.Popen[bytes]:
    """gunicorn from the repository root (so it reads gunicorn.conf.py) with the benchmark's options;
    the product and the bare floor get the same command line but for ``app``."""
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        args.worker_class,
        "--workers",
        str(args.workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    if app == FLOOR_APP:
        command += ["--pythonpath", str(Path(__file__).resolve().parent)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: gunicorn and its workers only
            process.wait(timeout=15)


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children so far (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        return 0.0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent not idle since boot (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)


def children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def check_endpoint(url: str, key: str, members: int | None) -> dict[str, str]:
    """One request before the load: it must be a 200 with the members, not an error page."""
    import requests

    response = requests.get(url, headers={"Host": HOST, "Authorization": f"Bearer {key}"}, timeout=10)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.text[:500]}")
    body = response.json()
    if members is not None and "results" in body and len(body["results"]) != min(members, 50):
        raise SystemExit(f"expected {min(members, 50)} members in the page, got {len(body['results'])}")
    return dict(response.headers)


# --- Load -------------------------------------------------------------------------------------


def run_wrk(url: str, key: str, args: argparse.Namespace, duration: float, requests_total: int | None) -> dict:
    """wrk for ``duration`` seconds; with ``requests_total``, each thread stops after its share and
    wrk is then interrupted (SIGINT), so it reports the time the requests really took."""
    threads = min(args.load_threads, args.concurrency)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = dict(os.environ)
    env["BENCH_REQUESTS_PER_THREAD"] = str(math.ceil(requests_total / threads)) if requests_total else "0"
    env["BENCH_THINK_MS"] = str(int(args.think_ms))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{args.concurrency}",
        f"-d{max(math.ceil(duration), 1)}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        "-H",
        f"Host: {HOST}",
        "-H",
        f"Authorization: Bearer {key}",
        url,
    ]
    output: list[str] = []
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as wrk:
            assert wrk.stdout is not None
            finished_threads = 0
            for line in wrk.stdout:
                output.append(line)
                if line.startswith("WRK_THREAD_DONE"):
                    finished_threads += 1
                    if finished_threads == threads:
                        wrk.send_signal(signal.SIGINT)  # wrk stops waiting out -d and prints its summary
            returncode = wrk.wait()
    finally:
        Path(script.name).unlink(missing_ok=True)
    text = "".join(output)
    match = re.search(r"^WRK_RESULT (\{.*\})$", text, re.MULTILINE)
    if returncode != 0 or not match:
        raise SystemExit(f"wrk failed ({returncode}):\n{text}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds,
        "p50": raw["p50"] / 1000,
        "p90": raw["p90"] / 1000,
        "p95": raw["p95"] / 1000,
        "p99": raw["p99"] / 1000,
        "max": raw["max"] / 1000,
        "mean": raw["mean"] / 1000,
        "non_2xx": raw["non_2xx_3xx"],
        "errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


def _python_load(
    url: str, key: str, concurrency: int, duration: float, requests_total: int | None, think_ms: float
) -> dict:
    """Runs in its own process: ``concurrency`` threads, one requests.Session each, closed loop."""
    import requests

    headers = {"Host": HOST, "Authorization": f"Bearer {key}"}
    lock = threading.Lock()
    latencies: list[float] = []
    counters = {"issued": 0, "non_2xx": 0, "errors": 0}
    deadline = time.monotonic() + duration

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    if requests_total is not None and counters["issued"] >= requests_total:
                        return
                    counters["issued"] += 1
                sent = time.perf_counter()
                try:
                    status = session.get(url, headers=headers, timeout=10).status_code
                except requests.RequestException:
                    with lock:
                        counters["errors"] += 1
                    continue
                elapsed = time.perf_counter() - sent
                with lock:
                    latencies.append(elapsed)
                    if not 200 <= status < 400:
                        counters["non_2xx"] += 1
                if think_ms:
                    time.sleep(think_ms / 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client)
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, math.ceil(p / 100 * len(latencies)) - 1)] * 1000

    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50": pct(50),
        "p90": pct(90),
        "p95": pct(95),
        "p99": pct(99),
        "max": latencies[-1] * 1000,
        "mean": sum(latencies) / len(latencies) * 1000,
        "non_2xx": counters["non_2xx"],
        "errors": counters["errors"],
    }


def run_python(url: str, key: str, args: argparse.Namespace, duration: float, requests_total: int | None) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_python_load, url, key, args.concurrency, duration, requests_total, args.think_ms).result()


# --- Report -----------------------------------------------------------------------------------


def gunicorn_version() -> str:
    out = subprocess.run([PYTHON, "-m", "gunicorn", "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip()


def wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].split("[")[0].strip()


@dataclass
class Target:
    """One server and path under measurement: the product's path, or the bare floor."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    runs: list[dict] = field(default_factory=list)
    server_cpu: float = 0.0
    busy: float = 0.0
    load_cpu: float = 0.0

    def total(self) -> dict:
        """All rounds together: throughput over the summed time; latency percentiles are the median
        of the rounds' (wrk reports percentiles, not the samples behind them)."""
        requests_done = sum(run["requests"] for run in self.runs)
        seconds = sum(run["seconds"] for run in self.runs)

        def middle(name: str) -> float:
            return statistics.median(run[name] for run in self.runs)

        return {
            "requests": requests_done,
            "seconds": seconds,
            "rps": requests_done / seconds,
            "p50": middle("p50"),
            "p90": middle("p90"),
            "p95": middle("p95"),
            "p99": middle("p99"),
            "max": max(run["max"] for run in self.runs),
            "non_2xx": sum(run["non_2xx"] for run in self.runs),
            "errors": sum(run["errors"] for run in self.runs),
            "server_cpu_ms": self.server_cpu / max(requests_done, 1) * 1000,
        }


def measure(
    target: Target,
    load: Callable[..., dict],
    key: str,
    args: argparse.Namespace,
    seconds: float,
    requests_total: int | None,
) -> None:
    cpu_before, busy_before = process_tree_cpu_seconds(target.process.pid), machine_busy_seconds()
    load_before = children_cpu_seconds()  # wrk (waited for) or the client process
    result = load(target.url, key, args, seconds, requests_total)
    target.server_cpu += process_tree_cpu_seconds(target.process.pid) - cpu_before
    target.busy += machine_busy_seconds() - busy_before
    target.load_cpu += children_cpu_seconds() - load_before
    target.runs.append(result)
    say(
        f"  {target.name}: {result['rps']:,.0f} requests/s, p95 {result['p95']:.1f} ms "
        f"({result['requests']:,} requests in {result['seconds']:.1f} s)"
    )


def cpu_note(target: Target) -> str:
    capacity = sum(run["seconds"] for run in target.runs) * (os.cpu_count() or 1) / 100
    return (
        f"{target.busy / capacity:.0f}% of {os.cpu_count()} CPUs busy: gunicorn {target.server_cpu / capacity:.0f}%, "
        f"load generator {target.load_cpu / capacity:.0f}%, everything else (PostgreSQL, Redis, other "
        f"processes) {max(target.busy - target.server_cpu - target.load_cpu, 0) / capacity:.0f}%"
    )


def report(args: argparse.Namespace, targets: list[Target], tool: str, members: int, rate_limit_note: str) -> bool:
    """Print the set-up, one table per target, and the side-by-side comparison; True when every
    target with a ratio limit met it."""
    server = f"gunicorn {args.worker_class}, {args.workers} workers"
    if args.worker_class == "gthread":
        server += f" x {args.threads} threads"
    rows = [
        ("endpoints", f"on {HOST} with an API key (read scope); {members} members in the tenant"),
        ("server", f"{gunicorn_version()}: {server}; settings production, DEBUG off"),
        (
            "machine",
            f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        ),
        ("rate limit", rate_limit_note),
        (
            "load",
            f"{tool}, {args.concurrency} concurrent clients, "
            + ("keep-alive, " if args.worker_class == "gthread" else "a connection per request (sync workers), ")
            + (f"{args.think_ms:g} ms pause between requests, " if args.think_ms else "no pause (saturation), ")
            + f"after {args.warmup:g} s warm-up; {args.rounds} round(s), each target in turn",
        ),
    ]
    if any(target.name == FLOOR for target in targets):
        rows.append(
            (
                "floor",
                "benchmarks/bare_floor.py: a bare Django + DRF view (no middleware, database, auth or "
                "limiter) on the same gunicorn command line, measured in the same rounds",
            )
        )
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for target in targets:
        result = target.total()
        verdict = (
            "PASS" if result["p95"] < TARGET_P95_MS and result["non_2xx"] == 0 and result["errors"] == 0 else "FAIL"
        )
        figures = [
            ("requests", f"{result['requests']:,}"),
            ("duration", f"{result['seconds']:.1f} s"),
            ("requests/s", f"{result['rps']:,.1f}"),
            ("latency p50", f"{result['p50']:.1f} ms"),
            ("latency p90", f"{result['p90']:.1f} ms"),
            ("latency p95", f"{result['p95']:.1f} ms"),
            ("latency p99", f"{result['p99']:.1f} ms"),
            ("latency max", f"{result['max']:.1f} ms"),
            ("server CPU / request", f"{result['server_cpu_ms']:.2f} ms"),
            ("non-2xx responses", f"{result['non_2xx']:,}"),
            ("socket errors", f"{result['errors']:,}"),
            (f"target p95 < {TARGET_P95_MS:g} ms", verdict),
        ]
        print()
        print(f"GET {target.name}" if target.name != FLOOR else "bare Django + DRF floor")
        print(f"CPU during run: {cpu_note(target)}")
        print(f"| {'metric':<22} | {'value':>12} |")
        print(f"|{'-' * 24}|{'-' * 14}|")
        for name, value in figures:
            print(f"| {name:<22} | {value:>12} |")
    # Little's law for a closed loop: mean latency = clients / throughput - pause.
    if not args.think_ms:
        needed = args.concurrency / (TARGET_P95_MS / 1000)
        print(
            f"With {args.concurrency} clients each waiting for its answer, latency ~= clients / throughput: "
            f"a p95 under {TARGET_P95_MS:g} ms needs well over {needed:,.0f} requests/s, i.e. under "
            f"{(os.cpu_count() or 1) / needed * 1000:.1f} ms of server CPU per request on {os.cpu_count()} CPUs "
            "(shared here with the load generator, PostgreSQL and Redis)."
        )
    floor = next((target for target in targets if target.name == FLOOR), None)
    if floor is None:
        print()
        return True
    floor_total = floor.total()
    print()
    print(
        "Side by side (throughput ratio = floor requests/s ÷ the endpoint's, over all rounds; per round in brackets):"
    )
    print()
    print("| endpoint | requests/s | p50 | p95 | CPU/request | floor ÷ endpoint | target | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    passed = True
    for target in targets:
        result = target.total()
        line = (
            f"| {'bare Django + DRF view' if target is floor else f'`{target.name}`'} | {result['rps']:,.0f} "
            f"| {result['p50']:.1f} ms | {result['p95']:.1f} ms | {result['server_cpu_ms']:.2f} ms "
        )
        if target is floor:
            print(line + "| 1 | | |")
            continue
        ratio = floor_total["rps"] / result["rps"]
        per_round = ", ".join(
            f"{floor_run['rps'] / run['rps']:.2f}" for floor_run, run in zip(floor.runs, target.runs, strict=True)
        )
        limit = args.max_ratio.get(target.name, MAX_RATIO.get(target.name))
        ok = limit is None or (ratio <= limit and result["non_2xx"] == 0 and result["errors"] == 0)
        passed &= ok
        verdict = "" if limit is None else ("PASS" if ok else "FAIL")
        target_text = "" if limit is None else f"<= {limit:g}x"
        print(line + f"| **{ratio:.2f}x** ({per_round}) | {target_text} | {verdict} |")
    print()
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--path",
        action="append",
        help="API read to measure; repeat for several (default: /api/v1/me/ and /api/v1/members/).",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="Do not start the bare Django + DRF floor (benchmarks/bare_floor.py) beside the product.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Measure each target this many times in turn, the duration split between rounds (default 3): "
        "slow drifts of a shared machine then hit the floor and the product alike.",
    )
    parser.add_argument(
        "--max-ratio",
        action="append",
        default=[],
        metavar="PATH=RATIO",
        help="Throughput target against the floor for a path (default: /api/v1/me/=2, /api/v1/members/=3).",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="Concurrent clients/connections (default 50).")
    parser.add_argument(
        "--duration",
        type=float,
        help="Seconds of measured load per target, over all rounds (default 30; with --requests, a cap of 600).",
    )
    parser.add_argument("--requests", type=int, help="Stop after about this many requests per target instead.")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="Each client pauses this long between an answer and its next request (default 0: saturation). "
        "With a pause the clients model people or jobs at a steady pace instead of a flood.",
    )
    parser.add_argument("--warmup", type=float, default=5, help="Seconds of unmeasured load first (default 5).")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="gunicorn workers (default: one per CPU, the best measured on 2 CPUs once the app got cheaper).",
    )
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="sync (default): one request per process at a time, no GIL contention, the tightest tail here; "
        "gthread: threads per worker and keep-alive.",
    )
    parser.add_argument("--threads", type=int, default=4, help="Threads per gthread worker (default 4).")
    parser.add_argument("--client", default="auto", choices=["auto", "wrk", "python"], help="Load generator.")
    parser.add_argument("--load-threads", type=int, default=2, help="wrk threads (default 2).")
    parser.add_argument(
        "--rate-limit",
        default="raised",
        choices=["raised", "disabled", "bypass"],
        help="raised (default): limits too high to refuse but still checked in Redis per request; "
        "disabled: RATE_LIMIT_ENABLED=false; bypass: the tenant's premium bypass. The last two skip Redis.",
    )
    parser.add_argument("--members", type=int, default=25, help="Members in the bench tenant (default 25).")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="Benchmark database, created if missing (default: BENCH_DATABASE_URL, DATABASE_URL, "
        f"or {DEFAULT_DATABASE_URL}).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="Redis for rate limits and cache (keys prefixed sai-bench).",
    )
    parser.add_argument("--port", type=int, default=0, help="Port for gunicorn (default: a free one).")
    args = parser.parse_args()

    tool = args.client
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
        if tool == "python":
            say("wrk not found (apt-get install -y wrk); using the Python thread-pool client, itself CPU-bound")
    if tool == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk, or pass --client python")

    VAR.mkdir(exist_ok=True)
    env = server_env(args)
    key, members = set_up(args, env)
    rate_limit_note = {
        "raised": f"raised to {RAISED_PER_MINUTE:,}/min, burst {RAISED_BURST:,} by the bench tenant's plan: "
        "never refuses, but the GCRA "
        "script still runs in Redis on every request, as in production",
        "disabled": "RATE_LIMIT_ENABLED=false: no Redis round trip (cheaper than production)",
        "bypass": "tenant rate_limit_bypass=True (premium): no Redis round trip (as for premium tenants)",
    }[args.rate_limit]
    say(f"rate limit: {rate_limit_note}")

    paths = args.path or DEFAULT_PATHS
    args.max_ratio = {path: float(ratio) for path, ratio in (item.rsplit("=", 1) for item in args.max_ratio)}
    port = args.port or free_port()
    floor_port = port + 1 if args.port else free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = VAR / "bench-gunicorn.log"
    floor_log = VAR / "bench-gunicorn-floor.log"
    process = start_gunicorn(args, env, port, log)
    floor_process = None
    try:
        wait_ready(process, base_url, log)
        targets = []
        if args.floor:
            floor_env = {name: value for name, value in env.items() if name != "DJANGO_SETTINGS_MODULE"}
            floor_process = start_gunicorn(args, floor_env, floor_port, floor_log, app=FLOOR_APP)
            wait_ready(floor_process, f"http://127.0.0.1:{floor_port}", floor_log)
            floor_url = f"http://127.0.0.1:{floor_port}{paths[0]}"
            check_endpoint(floor_url, key, None)
            targets.append(Target(FLOOR, floor_url, floor_process))
        for path in paths:
            headers = check_endpoint(base_url + path, key, members)
            if args.rate_limit == "raised" and headers.get("RateLimit-Limit") != str(RAISED_BURST):
                raise SystemExit(f"the raised rate limit did not apply: {headers.get('RateLimit-Limit')}")
            targets.append(Target(path, base_url + path, process))
        say(f"gunicorn up on {base_url} (log: {log.relative_to(ROOT)}); warming up {args.warmup:g} s per target")
        load = run_wrk if tool == "wrk" else run_python
        if args.warmup > 0:
            for target in targets:
                load(target.url, key, args, args.warmup, None)
        duration = args.duration or (600 if args.requests else 30)
        rounds = max(args.rounds, 1)
        say(
            f"measuring: {args.concurrency} clients, "
            + (f"about {args.requests:,} requests" if args.requests else f"{duration:g} s")
            + f" per target in {rounds} round(s)"
        )
        for number in range(rounds):
            # Rotate the order so no target always runs right after the same neighbour.
            shift = number % len(targets)
            say(f"round {number + 1} of {rounds}")
            for target in targets[shift:] + targets[:shift]:
                measure(
                    target,
                    load,
                    key,
                    args,
                    duration / rounds,
                    math.ceil(args.requests / rounds) if args.requests else None,
                )
    finally:
        stop_gunicorn(process)
        if floor_process is not None:
            stop_gunicorn(floor_process)
    threads = min(args.load_threads, args.concurrency)
    tool_name = f"{wrk_version()} ({threads} threads)" if tool == "wrk" else "Python thread-pool client (own process)"
    if not report(args, targets, tool_name, members, rate_limit_note):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
