"""Web server settings for the AI pool: the requests that wait on a model.

    gunicorn -c gunicorn.ai.conf.py          # beside `gunicorn` (gunicorn.conf.py) for the rest

An AI request spends almost all its time waiting for the provider (seconds; a stream holds its
connection for the whole answer). On the sync workers of gunicorn.conf.py each such wait would hold
one of only a few workers, and every other request would queue behind it. Here threads wait
instead (gthread: waiting on a socket releases the GIL), so dozens of AI requests wait together
while the main pool keeps serving the API at its usual speed. The proxy sends these paths here:

    /api/v1/ai/  /api/v1/public/chat/  /ai/

(docs/ai.md, "Serving AI requests"; benchmarks/ai_concurrency.py measures the difference).
Each thread keeps its own database connection: workers x threads of them at most.
"""

import os

wsgi_app = "suresh_ai.wsgi:application"
bind = os.environ.get("GUNICORN_AI_BIND", "0.0.0.0:8001")
workers = int(os.environ.get("AI_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("AI_WEB_THREADS", "16"))
# Above AI_REQUEST_DEADLINE_SECONDS (25 s) so the gateway's own deadline answers first; streams
# send data continuously and are not cut by it.
timeout = int(os.environ.get("GUNICORN_AI_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 100_000
max_requests_jitter = 10_000
accesslog = None
errorlog = "-"
