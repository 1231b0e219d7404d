from __future__ import annotations

from rest_framework import serializers

from ops.backups.models import Backup


class BackupSerializer(serializers.ModelSerializer[Backup]):
    tables = serializers.IntegerField(source="table_count", read_only=True)
    rows = serializers.IntegerField(source="row_count", read_only=True)
    progress = serializers.FloatField(
        read_only=True, allow_null=True, help_text="0..1 of the running step (phase); null when nothing runs."
    )

    class Meta:
        model = Backup
        fields: tuple[str, ...] = (
            "id",
            "day",
            "kind",
            "status",
            "phase",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "file_name",
            "format",
            "size_bytes",
            "sha256",
            "encrypted",
            "pg_dump_version",
            "server_version",
            "error",
            "tables",
            "rows",
            "offsite_key",
            "offsite_status",
            "offsite_error",
            "verification_status",
            "verified_at",
            "verification_detail",
            "restore_seconds",
        )
        read_only_fields: tuple[str, ...] = fields


class BackupFiguresSerializer(BackupSerializer):
    figures = serializers.JSONField(read_only=True, help_text="{schema: {table: {rows, checksum}}} at dump time.")

    class Meta(BackupSerializer.Meta):
        fields = (*BackupSerializer.Meta.fields, "figures")
        read_only_fields = fields
