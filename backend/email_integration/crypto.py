"""Sealing of OAuth refresh tokens at rest: AES-256-GCM under a key of its own (never the JWT
secret), bound to the mailbox it belongs to, so a token copied onto another mailbox's row, or
changed, or read without the key, cannot be opened."""
from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "CRM_EMAIL_ENCRYPTION_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = "v1:"


def _b64decode_any(text: str) -> bytes:
    """Decode base64 in either alphabet, padded or not (people paste keys from many tools)."""
    text = text.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def load_or_create_key(path: Path, env_value: str = "") -> bytes:
    """The 32-byte sealing key: CRM_EMAIL_ENCRYPTION_KEY when set, else the key file, else a new
    key written to the file (0600, its directory 0700)."""
    if env_value.strip():
        try:
            key = _b64decode_any(env_value)
        except (binascii.Error, ValueError):
            raise ValueError(f"{KEY_ENV} is not base64 (expected {KEY_BYTES} bytes, base64-encoded)") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"{KEY_ENV} must decode to {KEY_BYTES} bytes, not {len(key)}")
        return key
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    try:
        key = _b64decode_any(path.read_text(encoding="ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError(f"the email encryption key file {path} is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"the email encryption key file {path} holds {len(key)} bytes, not {KEY_BYTES}")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    encoded = base64.urlsafe_b64encode(os.urandom(KEY_BYTES)) + b"\n"
    # Written whole to a private temporary file, then linked into place: a crash never leaves a
    # short key behind, and when two processes start at once the first link wins and both read it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"the email encryption key must be {KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


def seal(key: bytes, plaintext: str, context: str) -> str:
    """"v1:" + base64url(nonce | ciphertext | tag); `context` (the mailbox address, exactly as
    stored) is authenticated but not stored, so opening needs the same one."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def open_sealed(key: bytes, token: str, context: str) -> str:
    """The plaintext of a `seal` result; ValueError when it cannot be decrypted."""
    cipher = _cipher(key)
    if not isinstance(token, str) or not token.startswith(VERSION):
        raise ValueError("the sealed token cannot be decrypted: it is not a v1 sealed token")
    try:
        blob = _b64decode_any(token[len(VERSION):])
    except (binascii.Error, ValueError):
        raise ValueError("the sealed token cannot be decrypted: it is not valid base64") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise ValueError("the sealed token cannot be decrypted: it is too short")
    try:
        plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag:
        raise ValueError(
            "the sealed token cannot be decrypted: wrong key, another mailbox's token, or altered"
        ) from None
    return plain.decode("utf-8")
