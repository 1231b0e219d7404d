"""Several gunicorn workers (separate processes) count into one platform-wide window and one
Prometheus output: what per-process registries cannot do without multiprocess mode."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from ops.telemetry.recorder import UNMATCHED
from ops.telemetry.windows import endpoint_window, request_window
from tests.live import gunicorn_server

TOKEN = "live-scrape-token-0123456789abcdef"


def test_two_workers_one_window_and_one_scrape(db: None) -> None:
    with gunicorn_server(workers=2, threads=1, extra_env={"METRICS_TOKEN": TOKEN}) as base:
        for _ in range(30):  # the platform's landing page
            assert requests.get(f"{base}/", headers={"Host": "localhost"}, timeout=5).status_code == 200
        for _ in range(10):  # no tenant at this host: 400, counted under one label
            assert requests.get(f"{base}/nowhere/", headers={"Host": "nowhere.example"}, timeout=5).status_code == 400
        window = request_window(5)
        assert window.requests == 40  # the start-up probes of /healthz are not in the window
        assert window.server_errors == 0
        per_endpoint = endpoint_window(5)
        assert per_endpoint["/"].requests == 30
        assert per_endpoint[UNMATCHED].requests == 10
        assert per_endpoint[UNMATCHED].client_errors == 10

        scrapes = []
        for _ in range(4):  # whichever worker answers, it reports the platform's totals
            response = requests.get(
                f"{base}/metrics", headers={"Host": "localhost", "Authorization": f"Bearer {TOKEN}"}, timeout=5
            )
            assert response.status_code == 200
            families = {f.name: f for f in text_string_to_metric_families(response.text)}
            scrapes.append(
                sum(
                    s.value
                    for s in families["suresh_http_requests"].samples
                    if s.labels["endpoint"] == UNMATCHED and s.name == "suresh_http_requests_total"
                )
            )
        assert scrapes == [10, 10, 10, 10]
