"""Sealed files: a stream encrypted for a passphrase and/or a public key (backups, key exports).

Format (version 1)::

    MAGIC | header length (4 bytes, big endian) | header (JSON) | chunks

A random 32-byte data key encrypts the stream with AES-256-GCM in chunks of ``CHUNK`` bytes;
each chunk is ``length (4 bytes) | last flag (1 byte) | ciphertext``, its nonce is the header's
random prefix followed by the chunk's counter, and its associated data is the SHA-256 of the
header plus the last flag, so chunks cannot be reordered, dropped, or the stream cut short
without the reader noticing. The data key is wrapped once per recipient:

- ``passphrase``: a key derived from the passphrase with scrypt (salt in the header);
- ``x25519``: an ephemeral X25519 key agreement with the recipient's public key, then HKDF.

With a public key the server can seal its scheduled backups without holding anything that
opens them: the private key stays offline with the people who restore.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"CTIP-SEALED-1\n"
CHUNK = 1024 * 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
PUBLIC_PREFIX = "ctip-backup-public-key:"
PRIVATE_PREFIX = "ctip-backup-private-key:"
MIN_PASSPHRASE = 12


class SealError(Exception):
    """The file is not sealed, is damaged, or nothing given opens it."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _hkdf(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"ctip-seal-x25519").derive(shared)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Opener:
    """What may open a sealed file: a passphrase and/or an X25519 private key."""

    passphrase: str | None = None
    private_key: X25519PrivateKey | None = None


def generate_keypair() -> tuple[str, str]:
    """A new (private, public) key pair as text lines for files."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw,
                                        serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    return (PRIVATE_PREFIX + _b64(raw_private) + "\n",
            PUBLIC_PREFIX + _b64(_raw_public(private.public_key())) + "\n")


def load_public_key(text: str) -> X25519PublicKey:
    text = text.strip()
    if not text.startswith(PUBLIC_PREFIX):
        raise SealError("not a ctip backup public key (made by `ctip keys backup-keypair`)")
    return X25519PublicKey.from_public_bytes(_unb64(text[len(PUBLIC_PREFIX):]))


def load_private_key(text: str) -> X25519PrivateKey:
    text = text.strip()
    if not text.startswith(PRIVATE_PREFIX):
        raise SealError("not a ctip backup private key (made by `ctip keys backup-keypair`)")
    return X25519PrivateKey.from_private_bytes(_unb64(text[len(PRIVATE_PREFIX):]))


class SealedWriter:
    """A write-only file object: everything written is sealed into ``out``."""

    def __init__(self, out: IO[bytes], *, passphrase: str | None = None,
                 public_key: X25519PublicKey | None = None) -> None:
        if not passphrase and public_key is None:
            raise SealError("a passphrase or a public key is needed to seal")
        data_key = AESGCM.generate_key(bit_length=256)
        recipients: list[dict[str, Any]] = []
        if passphrase:
            salt = os.urandom(16)
            kek = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
            nonce = os.urandom(12)
            recipients.append({
                "type": "passphrase", "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R,
                "p": SCRYPT_P, "salt": _b64(salt), "nonce": _b64(nonce),
                "wrapped": _b64(AESGCM(kek).encrypt(nonce, data_key, b"ctip-seal-passphrase"))})
        if public_key is not None:
            ephemeral = X25519PrivateKey.generate()
            epk = _raw_public(ephemeral.public_key())
            kek = _hkdf(ephemeral.exchange(public_key), epk + _raw_public(public_key))
            nonce = os.urandom(12)
            recipients.append({
                "type": "x25519", "epk": _b64(epk),
                "recipient": hashlib.sha256(_raw_public(public_key)).hexdigest()[:16],
                "nonce": _b64(nonce),
                "wrapped": _b64(AESGCM(kek).encrypt(nonce, data_key, b"ctip-seal-x25519"))})
        self._prefix = os.urandom(8)
        header = json.dumps({"cipher": "AES-256-GCM", "chunk": CHUNK,
                             "nonce_prefix": _b64(self._prefix),
                             "recipients": recipients}, sort_keys=True).encode()
        self._aad = hashlib.sha256(header).digest()
        self._aes = AESGCM(data_key)
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        self._closed = False
        out.write(MAGIC + struct.pack(">I", len(header)) + header)

    def _emit(self, data: bytes, last: bool) -> None:
        flag = b"\x01" if last else b"\x00"
        nonce = self._prefix + struct.pack(">I", self._counter)
        self._counter += 1
        sealed = self._aes.encrypt(nonce, data, self._aad + flag)
        self._out.write(struct.pack(">I", len(sealed)) + flag + sealed)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    def flush(self) -> None:
        self._out.flush()


def is_sealed(path: os.PathLike[str] | str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _read_exact(handle: IO[bytes], size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise SealError("the sealed file is truncated")
    return data


def _data_key(header: dict[str, Any], opener: Opener) -> bytes:
    tried = []
    for recipient in header.get("recipients", []):
        try:
            if recipient["type"] == "passphrase" and opener.passphrase:
                tried.append("passphrase")
                kek = _scrypt(opener.passphrase, _unb64(recipient["salt"]), int(recipient["n"]),
                              int(recipient["r"]), int(recipient["p"]))
                return AESGCM(kek).decrypt(_unb64(recipient["nonce"]),
                                           _unb64(recipient["wrapped"]), b"ctip-seal-passphrase")
            if recipient["type"] == "x25519" and opener.private_key is not None:
                tried.append("private key")
                epk = _unb64(recipient["epk"])
                public = _raw_public(opener.private_key.public_key())
                kek = _hkdf(opener.private_key.exchange(X25519PublicKey.from_public_bytes(epk)),
                            epk + public)
                return AESGCM(kek).decrypt(_unb64(recipient["nonce"]),
                                           _unb64(recipient["wrapped"]), b"ctip-seal-x25519")
        except (InvalidTag, KeyError, ValueError):
            continue
    kinds = sorted({r.get("type", "?") for r in header.get("recipients", [])})
    if tried:
        raise SealError(f"the {' and '.join(tried)} given cannot open this file "
                        f"(it is sealed for: {', '.join(kinds)})")
    raise SealError(f"this file is sealed for: {', '.join(kinds)}; give the passphrase "
                    "(--passphrase-file, CTIP_BACKUP_PASSPHRASE or the prompt) or the private "
                    "key (--private-key)")


def unseal(handle: IO[bytes], opener: Opener) -> Iterator[bytes]:
    """Yield the clear chunks of a sealed stream; raise ``SealError`` on any tampering."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise SealError("not a sealed ctip file")
    (size,) = struct.unpack(">I", _read_exact(handle, 4))
    if size > 1_000_000:
        raise SealError("the sealed file's header is damaged")
    header_bytes = _read_exact(handle, size)
    try:
        header = json.loads(header_bytes)
        prefix = _unb64(header["nonce_prefix"])
    except (ValueError, KeyError) as exc:
        raise SealError("the sealed file's header is damaged") from exc
    aes = AESGCM(_data_key(header, opener))
    aad = hashlib.sha256(header_bytes).digest()
    counter = 0
    while True:
        head = handle.read(5)
        if len(head) < 5:
            raise SealError("the sealed file is truncated (its last part is missing)")
        (length,) = struct.unpack(">I", head[:4])
        flag = head[4:5]
        if length > CHUNK + 16:
            raise SealError("the sealed file is damaged")
        nonce = prefix + struct.pack(">I", counter)
        counter += 1
        try:
            yield aes.decrypt(nonce, _read_exact(handle, length), aad + flag)
        except InvalidTag as exc:
            raise SealError("the sealed file is damaged or was altered") from exc
        if flag == b"\x01":
            if handle.read(1):
                raise SealError("the sealed file has data after its end")
            return
