"""Encrypted backups: not readable without the key, restored and verified with it, and any
tampering or a wrong key fails."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from ops.backups import crypto
from ops.backups.exceptions import BackupError
from ops.backups.models import Backup
from ops.backups.services import backup_run, backup_verify
from ops.backups.tests.conftest import Committed


def test_stream_round_trip_and_tamper_detection(tmp_path: Path) -> None:
    key = os.urandom(32)
    plain = os.urandom(3 * crypto.CHUNK + 17)  # more than one chunk
    sealed = tmp_path / "x.enc"
    written = bytearray()
    with sealed.open("wb") as out:
        enc = crypto.Encryptor(key, out, written.extend)
        for i in range(0, len(plain), 100_000):
            enc.write(plain[i : i + 100_000])
        enc.close()
    assert bytes(written) == sealed.read_bytes()
    assert len(written) == len(crypto.MAGIC) + crypto.NONCE_BYTES + len(plain) + crypto.TAG_BYTES
    assert crypto.is_encrypted(sealed)
    crypto.decrypt_file(sealed, tmp_path / "x", key)
    assert (tmp_path / "x").read_bytes() == plain

    data = bytearray(sealed.read_bytes())
    data[5000] ^= 1
    (tmp_path / "bad.enc").write_bytes(bytes(data))
    with pytest.raises(BackupError, match="Decryption failed"):
        crypto.decrypt_file(tmp_path / "bad.enc", tmp_path / "bad", key)
    assert not (tmp_path / "bad").exists()  # nothing unauthenticated is left behind
    with pytest.raises(BackupError, match="Decryption failed"):
        crypto.decrypt_file(sealed, tmp_path / "y", os.urandom(32))
    (tmp_path / "short.enc").write_bytes(bytes(data[: len(data) - 100]))
    with pytest.raises(BackupError, match="Decryption failed"):
        crypto.decrypt_file(tmp_path / "short.enc", tmp_path / "z", key)


def test_key_setting_is_checked() -> None:
    with pytest.raises(BackupError, match="32 bytes"):
        crypto.key_from_setting(base64.b64encode(b"short").decode())
    with pytest.raises(BackupError, match="not valid base64"):
        crypto.key_from_setting("not base64 at all!")
    assert len(crypto.key_from_setting(base64.urlsafe_b64encode(os.urandom(32)).decode())) == 32


def test_encrypted_backup_round_trip(
    committed: Committed, encryption_key: str, backup_settings: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        assert backup.encrypted
        assert backup.file_name.endswith(".dump.enc")
        raw = Path(backup.file_path).read_bytes()
        assert raw.startswith(crypto.MAGIC)
        assert b"PGDMP" not in raw[:64]
        assert b"Customer 1" not in raw
        result = backup_verify(backup)
        assert result.ok, result.detail

        backup_settings.BACKUP_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
        result = backup_verify(backup)
        assert not result.ok
        assert "Decryption failed" in result.detail
        backup_settings.BACKUP_ENCRYPTION_KEY = ""
        result = backup_verify(backup)
        assert result.detail == "The backup is encrypted but BACKUP_ENCRYPTION_KEY is not set."
