"""The static files' storage: WhiteNoise's (hashed names, every file compressed with gzip and
Brotli beside it), compressing each content once (decision 0082).

WhiteNoise compresses both names of every file: ``app.js`` and ``app.4f3a….js``. Both hold
the same bytes unless the hashing rewrote references inside (CSS ``url()``, source maps).
Brotli at its highest level is most of ``collectstatic``'s time, which the first ``ctip demo``
and every upgrade of a server pay. Here, a content compressed once gives its compressed bytes to
every file with that content. The files written are byte for byte those WhiteNoise writes:
gzip with no timestamp and Brotli are deterministic.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class OncePerContent:
    """``get(kind, data, compress)``: ``compress(data)`` computed once per kind and content,
    also when several threads ask at once (WhiteNoise compresses in a thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, bytes], Future[bytes]] = {}
        self.computed = 0

    def get(self, kind: str, data: bytes, compress: Callable[[bytes], bytes]) -> bytes:
        key = (kind, hashlib.sha256(data).digest())
        with self._lock:
            future = self._results.get(key)
            first = future is None
            if future is None:
                future = self._results[key] = Future()
                self.computed += 1
        if first:
            try:
                future.set_result(compress(data))
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()


class OncePerContentCompressor(Compressor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.once = OncePerContent()

    def compress_brotli(self, data: bytes) -> bytes:  # type: ignore[override]
        return self.once.get("br", data, Compressor.compress_brotli)

    def compress_gzip(self, data: bytes) -> bytes:  # type: ignore[override]
        return self.once.get("gz", data, Compressor.compress_gzip)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return OncePerContentCompressor(**kwargs)
