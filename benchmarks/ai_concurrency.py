"""What AI requests do to the rest of the API, with and without the separate AI pool.

    .venv/bin/python benchmarks/ai_concurrency.py                  # 16 AI clients, provider 1 s
    .venv/bin/python benchmarks/ai_concurrency.py --ai-clients 32 --think 2

A local fake provider answers every AI request after ``--think`` seconds (a model's think time).
``--ai-clients`` clients send AI completions back to back (cache off: each one waits on the
provider) while one client reads ``GET /api/v1/me/`` back to back, for ``--seconds``. Two layouts:

1. **one pool**: everything on gunicorn.conf.py (sync workers, one per CPU), as without the AI pool;
2. **two pools**: the API on gunicorn.conf.py and the AI paths on gunicorn.ai.conf.py (gthread),
   the client sending each path where the proxy would.

It prints, for each, the API reads' p50/p95 latency and count, and the AI completions finished.
Uses the benchmark database of ``api_read.py`` (``suresh_ai_bench``) and its tenant ``bench``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import api_read  # noqa: E402 - the shared set-up of the benchmark database
from ai_gateway import pct  # noqa: E402


def _start(conf: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [api_read.PYTHON, "-m", "gunicorn", "-c", conf, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with log.open("wb") as sink:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def _load(api_url: str, ai_url: str, read_key: str, write_key: str, args: argparse.Namespace) -> dict[str, Any]:
    import requests

    host = f"{api_read.TENANT_SLUG}.localhost"
    stop = time.monotonic() + args.seconds
    reads: list[float] = []
    done: list[int] = []
    failures: list[str] = []

    def ai_client(n: int) -> None:
        session = requests.Session()
        i = 0
        while time.monotonic() < stop:
            i += 1
            body = {"task": "short", "messages": [{"role": "user", "content": f"q {n}-{i}"}], "cache": False}
            response = session.post(
                f"{ai_url}/api/v1/ai/complete/",
                json=body,
                headers={"Host": host, "Authorization": f"Bearer {write_key}"},
                timeout=120,
            )
            if response.status_code == 200:
                done.append(1)
            else:
                failures.append(f"{response.status_code} {response.text[:120]}")

    def reader() -> None:
        session = requests.Session()
        time.sleep(0.5)  # let the AI clients occupy the server first
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            response = session.get(
                f"{api_url}/api/v1/me/", headers={"Host": host, "Authorization": f"Bearer {read_key}"}, timeout=120
            )
            reads.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                failures.append(f"/me/ {response.status_code}")

    threads = [threading.Thread(target=ai_client, args=(n,)) for n in range(args.ai_clients)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"reads": reads, "ai_done": len(done), "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ai-clients", type=int, default=16)
    parser.add_argument("--think", type=float, default=1.0, help="Provider think time per answer, seconds.")
    parser.add_argument("--seconds", type=float, default=15.0, help="Load duration per layout.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", api_read.DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    args.rate_limit, args.members = "raised", 5
    env = api_read.server_env(args)
    read_key, _ = api_read.set_up(args, env)
    os.environ.update(env)
    os.environ["ALLOWED_HOSTS"] = "*"
    import django

    django.setup()
    from ai_engine.testing.fake_llm import fake_llm_server
    from tenants.models import ApiKey, Tenant
    from tenants.services import api_key_create

    tenant = Tenant.objects.get(slug=api_read.TENANT_SLUG)
    ApiKey.objects.filter(tenant=tenant, name="ai-concurrency").delete()
    write_key = api_key_create(tenant=tenant, name="ai-concurrency", scopes=["write"], created_by=None).raw_key
    results: dict[str, dict[str, Any]] = {}
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    with fake_llm_server() as (fake, base_url):
        fake.think_seconds = args.think
        server_env = {
            **env,
            "GROQ_API_KEY": fake.api_key,
            "GROQ_BASE_URL": base_url,
            "AI_OPENAI_BASE_URL": "",
            "WEB_CONCURRENCY": str(os.cpu_count() or 2),
        }
        for layout in ("one pool", "two pools"):
            api_port = api_read.free_port()
            processes = [_start("gunicorn.conf.py", api_port, server_env, var / "bench-api.log")]
            ai_port = api_port
            if layout == "two pools":
                ai_port = api_read.free_port()
                processes.append(_start("gunicorn.ai.conf.py", ai_port, server_env, var / "bench-ai.log"))
            try:
                for process, port, log in zip(
                    processes, (api_port, ai_port), ("bench-api.log", "bench-ai.log"), strict=False
                ):
                    api_read.wait_ready(process, f"http://127.0.0.1:{port}", var / log)
                results[layout] = _load(
                    f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ai_port}", read_key, write_key, args
                )
            finally:
                for process in processes:
                    api_read.stop_gunicorn(process)
    ApiKey.objects.filter(tenant=tenant, name="ai-concurrency").delete()
    print(
        f"\n{args.ai_clients} AI clients (provider think time {args.think:g} s, cache off) + 1 API reader, "
        f"{args.seconds:g} s per layout, {os.cpu_count()} CPUs"
    )
    print("| layout    | GET /me/ p50 | GET /me/ p95 | reads done | AI completions done | errors |")
    print("|-----------|-------------:|-------------:|-----------:|--------------------:|-------:|")
    for layout, r in results.items():
        reads = r["reads"] or [float("nan")]
        print(
            f"| {layout:9} | {statistics.median(reads):9.1f} ms | {pct(reads, 95):9.1f} ms | {len(r['reads']):10} "
            f"| {r['ai_done']:19} | {len(r['failures']):6} |"
        )
        for failure in r["failures"][:3]:
            print(f"    e.g. {failure}")


if __name__ == "__main__":
    main()
