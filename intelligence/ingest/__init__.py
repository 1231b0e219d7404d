"""Ingestion of a tenant's records: validation per record, derived fields, idempotent upserts."""
