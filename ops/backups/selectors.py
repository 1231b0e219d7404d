"""Reads for the backups page: the history and its charts."""

from __future__ import annotations

from django.db.models import QuerySet

from ops.backups.models import Backup
from suresh_ai.charts import chart_svg


def backups_recent(*, limit: int = 90) -> QuerySet[Backup]:
    return Backup.objects.order_by("-created_at", "-id")[:limit]


def backup_charts(backups: list[Backup]) -> dict[str, str]:
    """Inline SVG (pygal, no JavaScript): backup size and restore duration over time, oldest first."""
    import pygal
    from pygal.style import DefaultStyle

    done = sorted((b for b in backups if b.status == Backup.Status.SUCCEEDED), key=lambda b: (b.day, b.pk))
    labels = [f"{b.day:%d %b}" for b in done]
    options = {
        "style": DefaultStyle,
        "js": [],
        "disable_xml_declaration": True,
        "height": 300,
        "x_label_rotation": 30,
        "legend_at_bottom": True,
        "show_minor_x_labels": len(labels) <= 31,
    }
    size = pygal.Line(title="Backup size (MB)", value_formatter=lambda v: f"{v:,.1f} MB", **options)
    size.x_labels = labels
    size.add("Size", [round((b.size_bytes or 0) / 1_000_000, 2) for b in done])
    restore = pygal.Line(
        title="Restore duration in verification (s)", value_formatter=lambda v: f"{v:,.1f} s", **options
    )
    restore.x_labels = labels
    restore.add("Restore", [b.restore_seconds for b in done])
    return {name: chart_svg(chart) for name, chart in (("size", size), ("restore", restore))}
