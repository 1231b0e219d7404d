"""Streaming encryption of dump files: AES-256-GCM through pyca/cryptography.

File layout: MAGIC (8 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes). One GCM stream
covers the whole file, so any changed, dropped or appended byte fails the tag. Decryption writes
plaintext to a file that is used only after the tag has verified (finalize_with_tag); a bad file
raises before pg_restore ever reads it. Memory stays at one chunk whatever the dump's size.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ops.backups.exceptions import BackupError

MAGIC = b"SAIBAK1\n"
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1024 * 1024


def key_from_setting(value: str) -> bytes:
    """BACKUP_ENCRYPTION_KEY: 32 bytes, base64 (standard or URL-safe alphabet)."""
    try:
        key = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BackupError("BACKUP_ENCRYPTION_KEY is not valid base64 (32 random bytes, base64-encoded).") from exc
    if len(key) != 32:
        raise BackupError(f"BACKUP_ENCRYPTION_KEY must decode to 32 bytes (AES-256), not {len(key)}.")
    return key


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


class Encryptor:
    """Write-side stream: ``write`` plaintext chunks, ``close`` appends the tag."""

    def __init__(self, key: bytes, out: BinaryIO, on_write: Callable[[bytes], None]) -> None:
        nonce = os.urandom(NONCE_BYTES)
        self._ctx = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._out = out
        self._on_write = on_write
        self._emit(MAGIC + nonce)

    def _emit(self, data: bytes) -> None:
        if data:
            self._out.write(data)
            self._on_write(data)

    def write(self, plaintext: bytes) -> None:
        self._emit(self._ctx.update(plaintext))

    def close(self) -> None:
        self._emit(self._ctx.finalize())
        self._emit(self._ctx.tag)


def decrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Decrypt ``source`` into ``target``; raises BackupError (and removes target) unless the whole
    file authenticates."""
    size = source.stat().st_size
    if size < len(MAGIC) + NONCE_BYTES + TAG_BYTES:
        raise BackupError("The encrypted backup file is truncated (shorter than its header and tag).")
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            if src.read(len(MAGIC)) != MAGIC:
                raise BackupError("Not an encrypted backup file (unknown header).")
            nonce = src.read(NONCE_BYTES)
            src.seek(size - TAG_BYTES)
            tag = src.read(TAG_BYTES)
            src.seek(len(MAGIC) + NONCE_BYTES)
            ctx = Cipher(algorithms.AES(key), modes.GCM(nonce)).decryptor()
            remaining = size - len(MAGIC) - NONCE_BYTES - TAG_BYTES
            while remaining:
                chunk = src.read(min(CHUNK, remaining))
                if not chunk:
                    raise BackupError("The encrypted backup file ended early.")
                remaining -= len(chunk)
                dst.write(ctx.update(chunk))
            try:
                dst.write(ctx.finalize_with_tag(tag))
            except InvalidTag as exc:
                raise BackupError(
                    "Decryption failed: the file was changed or truncated, or BACKUP_ENCRYPTION_KEY is not the "
                    "key it was written with."
                ) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
