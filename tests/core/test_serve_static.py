"""``ctip serve`` collects the static files only when they changed since the last time: a
restart costs no hashing and compressing of every file again (decision record 0062)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ctip.core.management.commands.serve import collect_static, static_stamp


def test_serve_collects_the_static_files_again_only_when_something_changed(
        settings: Any, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "ctip-test.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "data" / "static"
    collected = settings.STATIC_ROOT / "ctip-test.css"

    assert collect_static() is True  # the first start
    assert collected.read_text() == "body { color: black }"
    assert (settings.STATIC_ROOT / "ctip" / "js").is_dir()  # ctip's own files too
    assert static_stamp().parent == settings.STATIC_ROOT.parent  # not served
    assert collect_static() is False  # a restart: nothing changed

    # an upgrade, a few seconds later (collectstatic copies a file only when it is newer than
    # the copy, to the second: a rewrite within the same second as the copy would be skipped)
    (source / "ctip-test.css").write_text("body { color: darkred }")
    later = collected.stat().st_mtime + 5
    os.utime(source / "ctip-test.css", (later, later))
    assert collect_static() is True
    assert collected.read_text() == "body { color: darkred }"
    assert collect_static() is False

    collected.unlink()  # a collected file removed by hand
    assert collect_static() is True
    assert collected.read_text() == "body { color: darkred }"

    settings.STATIC_URL = "/tinh/static/"  # the settings changed
    assert collect_static() is True
    assert collect_static() is False


def test_a_moved_or_restored_data_directory_is_not_collected_again(
        settings: Any, tmp_path: Path) -> None:
    """The digest names the collected files by their place under ``STATIC_ROOT``: a data
    directory moved to another disk, or restored from a copy that kept the files' times, starts
    without hashing and compressing every file again (decision record 0077)."""
    settings.STATIC_ROOT = tmp_path / "data" / "static"
    assert collect_static() is True
    (tmp_path / "data").rename(tmp_path / "moved")
    settings.STATIC_ROOT = tmp_path / "moved" / "static"
    assert collect_static() is False

    shutil.copytree(tmp_path / "moved", tmp_path / "restored")  # the files' times kept
    settings.STATIC_ROOT = tmp_path / "restored" / "static"
    assert collect_static() is False
    (settings.STATIC_ROOT / "ctip" / "js" / "moved-in.js").write_text("// not collected")
    assert collect_static() is True  # a file that was not collected there: collect again
