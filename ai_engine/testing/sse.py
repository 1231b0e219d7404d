"""Reading our Server-Sent-Events responses in tests."""

from __future__ import annotations

import json
from typing import Any


def sse_events(response: Any) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a Server-Sent-Events response; plain data events are "message"."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    out = []
    for block in b"".join(response.streaming_content).decode().strip().split("\n\n"):
        name, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        out.append((name, json.loads(data)))
    return out
