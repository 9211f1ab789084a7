"""The static files compressed once per content (decision 0082): the files written are those
WhiteNoise writes, each content compressed once however many names carry it."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import brotli
from django.core.management import call_command
from django.test import override_settings

from ctip.core import staticstorage


def _collect(tmp_path: Path, source: Path, backend: str, label: str) -> Path:
    root = tmp_path / label
    with override_settings(
            STATIC_ROOT=root, STATICFILES_DIRS=[source],
            STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
            STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                      "staticfiles": {"BACKEND": backend}}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def test_each_content_is_compressed_once_and_the_files_are_whitenoises(
        tmp_path: Path, monkeypatch: Any) -> None:
    source = tmp_path / "source"
    (source / "js").mkdir(parents=True)
    script = ("function tick(n) { return n + 1; }\n" * 400).encode()
    (source / "js" / "a.js").write_bytes(script)
    (source / "js" / "copy-of-a.js").write_bytes(script)  # the same bytes under another name
    (source / "app.css").write_text("body { background: url('bg.png'); }\n" * 100)
    (source / "bg.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))  # not compressed

    compressors: list[staticstorage.OncePerContentCompressor] = []
    real = staticstorage.StaticFilesStorage.create_compressor

    def kept(self: Any, **kwargs: Any) -> Any:
        compressors.append(real(self, **kwargs))
        return compressors[-1]

    monkeypatch.setattr(staticstorage.StaticFilesStorage, "create_compressor", kept)
    ours = _collect(tmp_path, source, "ctip.core.staticstorage.StaticFilesStorage", "ours")
    theirs = _collect(tmp_path, source,
                      "whitenoise.storage.CompressedManifestStaticFilesStorage", "theirs")

    names = sorted(str(p.relative_to(theirs)) for p in theirs.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(ours)) for p in ours.rglob("*") if p.is_file())
    for name in names:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
    compressed = [n for n in names if n.endswith((".br", ".gz"))]
    # a.js, copy-of-a.js and their hashed names; app.css and its hashed name (its url()
    # rewritten, so two contents)
    assert len([n for n in compressed if n.endswith(".br")]) == 6
    for name in compressed:
        data = (ours / name).read_bytes()
        plain = brotli.decompress(data) if name.endswith(".br") else gzip.decompress(data)
        assert plain == (ours / name[:-3]).read_bytes()
    (compressor,) = compressors
    # four names of the script, one content; two contents of the style sheet: 3 per kind
    assert compressor.once.computed == 2 * 3
