"""Production web server settings (gunicorn reads this file from the working directory).

Sync workers, one per CPU: API requests are CPU-bound, so threads only add GIL contention and
extra processes only add switching; on the 2-core benchmark machine this gave the best throughput
and tail (benchmarks/README.md).
Put a buffering proxy (nginx, a cloud load balancer) in front for TLS, slow clients and keep-alive.
Requests that wait on an AI model go to the AI pool instead (gunicorn.ai.conf.py, gthread).
"""

import multiprocessing
import os

wsgi_app = "suresh_ai.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Recycle workers now and then as a guard against slow leaks; rarely enough not to show in latency.
max_requests = 100_000
max_requests_jitter = 10_000
# Our RequestLogMiddleware writes one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
