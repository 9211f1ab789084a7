"""The Vietnamese catalogue is complete, compiled, and covers every string in the code."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import ctip
from tests.conftest import needs

PACKAGE = Path(ctip.__file__).parent
PO = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def parse_po(path: Path) -> dict[str, tuple[str, bool]]:
    """msgid (with context and plural joined) → (first msgstr, fuzzy)."""
    entries: dict[str, tuple[str, bool]] = {}
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        key = fields.get("msgctxt", "") + "\x04" + fields["msgid"]
        if "msgid_plural" in fields:
            key += "\x00plural"
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        entries[key] = (msgstr, fuzzy)
    return entries


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    entries = parse_po(PO)
    assert len(entries) > 300
    untranslated = [k.split("\x04")[1] for k, (s, _f) in entries.items() if not s]
    fuzzy = [k.split("\x04")[1] for k, (_s, f) in entries.items() if f]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def test_the_compiled_catalogue_matches_the_source() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for key, (msgstr, _fuzzy) in parse_po(PO).items():
        context, msgid = key.split("\x04")
        if msgid.endswith("\x00plural"):
            continue
        msgid, msgstr = unescape(msgid), unescape(msgstr)
        got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert not stale, f"the .mo file is out of date (ctip compilemessages): {stale[:5]}"


def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path: Path) -> None:
    needs(shutil.which("xgettext") is not None, "GNU gettext (xgettext) is not installed")
    copy = tmp_path / "ctip"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-obsolete",
         "--no-location"],
        cwd=copy, check=True, capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "ctip.settings", "CTIP_TESTING": "1",
             "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    fresh = parse_po(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po")
    committed = parse_po(PO)
    missing = sorted(k.split("\x04")[1] for k in fresh if k not in committed)
    assert not missing, f"{len(missing)} strings missing from the catalogue, e.g. {missing[:8]}"
