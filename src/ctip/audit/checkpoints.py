"""Signed checkpoints of the audit chain, kept outside the database (decision 0023).

A checkpoint says "at this time the chain held ``count`` events, the newest being ``last_id``
with hash ``head``", signed with the audit key (HMAC). Checkpoints are written by the worker
every day (``ctip.audit.tasks``) and by every successful ``ctip audit verify``:

1. appended as one JSON line to ``<data dir>/audit_checkpoints`` (each line also carries the
   SHA-256 of the line before it, so a line removed from the middle shows);
2. recorded in the chain itself as an ``audit.checkpoint`` event (so a checkpoint file that
   disappears or is rolled back to older lines shows against the chain);
3. e-mailed to the auditors at the top of the tree (a copy nobody on the server can recall:
   ``ctip audit verify --checkpoint <line>`` checks the chain against a line an auditor kept).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ctip.audit.actions import record
from ctip.audit.keys import KeyRing, load_keys
from ctip.audit.models import AuditEvent, ChainHead

logger = logging.getLogger("ctip.audit")
ACTION = "audit.checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    at: str
    count: int
    last_id: int
    head: str
    key_id: str
    prev: str  # SHA-256 of the previous line of the file ("" for the first)
    mac: str = ""

    def body(self) -> str:
        fields = asdict(self)
        fields.pop("mac")
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def signed(self, ring: KeyRing) -> Checkpoint:
        mac = hmac.new(ring.keys[self.key_id], self.body().encode(), hashlib.sha256).hexdigest()
        return Checkpoint(**{**asdict(self), "mac": mac})

    def genuine(self, ring: KeyRing) -> bool:
        key = ring.key(self.key_id)
        if key is None:
            return False
        expected = hmac.new(key, self.body().encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)


def checkpoint_file() -> Path:
    return Path(getattr(settings, "CTIP_AUDIT_CHECKPOINT_FILE",
                        Path(settings.DATA_DIR) / "audit_checkpoints"))


def parse_line(text: str) -> Checkpoint:
    """One checkpoint line; ValueError when it is not one."""
    try:
        data = json.loads(text)
        return Checkpoint(seq=int(data["seq"]), at=str(data["at"]), count=int(data["count"]),
                          last_id=int(data["last_id"]), head=str(data["head"]),
                          key_id=str(data["key_id"]), prev=str(data["prev"]),
                          mac=str(data["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a checkpoint line: {text[:80]!r}") from exc


def line_digest(line: str) -> str:
    return hashlib.sha256(line.strip().encode()).hexdigest()


def read_lines(path: Path | None = None) -> list[str] | None:
    """The file's lines, or None when there is no checkpoint file."""
    path = path or checkpoint_file()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    return [line for line in text.splitlines() if line.strip()]


def last_in_file(path: Path | None = None) -> Checkpoint | None:
    lines = read_lines(path)
    if not lines:
        return None
    try:
        return parse_line(lines[-1])
    except ValueError:
        return None


@contextlib.contextmanager
def _locked_append(path: Path) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _last_seq_in_chain() -> int:
    changes = (AuditEvent.objects.filter(action=ACTION).order_by("-id")
               .values_list("changes", flat=True).first())
    return int(changes.get("seq", 0)) if isinstance(changes, dict) else 0


def write_checkpoint(reason: str, *, now: dt.datetime | None = None) -> Checkpoint:
    """Sign the chain's current head, append it to the file and record it in the chain."""
    ring = load_keys()
    path = checkpoint_file()
    with transaction.atomic():
        # the head's lock keeps writers out while the head is read and signed
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with _locked_append(path) as handle:
            handle.seek(0)
            lines = [line for line in handle.read().splitlines() if line.strip()]
            file_seq = 0
            if lines:
                with contextlib.suppress(ValueError):
                    file_seq = parse_line(lines[-1]).seq
            checkpoint = Checkpoint(
                seq=max(file_seq, _last_seq_in_chain()) + 1,
                at=(now or timezone.now()).astimezone(dt.UTC).isoformat(timespec="seconds"),
                count=head.count, last_id=last_id, head=head.last_hash, key_id=ring.current,
                prev=line_digest(lines[-1]) if lines else "",
            ).signed(ring)
            handle.write(checkpoint.line() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        record(actor=None, action=ACTION, target_label=f"checkpoint {checkpoint.seq}",
               changes={"seq": checkpoint.seq, "count": checkpoint.count,
                        "last_id": checkpoint.last_id, "head": checkpoint.head,
                        "mac": checkpoint.mac, "reason": reason})
    return checkpoint


#: Who is e-mailed the checkpoints: the active auditors at the top of the tree. That is a
#: question of roles, which ``accounts`` answers above this app (``accounts`` writes the trail);
#: ``ctip.trail`` gives the answer when the apps load (decision 0058). Until then, nobody.
_readers: list[Callable[[], Iterable[Any]]] = []


def tell_checkpoints_to(readers: Callable[[], Iterable[Any]]) -> None:
    """Set the function listing the users (with an e-mail address) told of each checkpoint."""
    _readers[:] = [readers]


def auditors_to_tell() -> list[Any]:
    return [user for find in _readers for user in find()]


def announce(checkpoint: Checkpoint | None, problems: list[str] | None = None) -> int:
    """E-mail the checkpoint (or the problems found) to the top auditors; return how many."""
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        if problems:
            subject = _("[ctip] The audit trail failed its check")
            body = _("ctip audit verify found these problems:") + "\n" + "\n".join(problems)
        else:
            assert checkpoint is not None  # noqa: S101
            subject = _("[ctip] Audit checkpoint %(seq)s") % {"seq": checkpoint.seq}
            body = "\n".join([
                _("The audit trail holds %(count)s events (head %(head)s) at %(at)s.") % {
                    "count": checkpoint.count, "head": checkpoint.head[:16],
                    "at": checkpoint.at},
                _("Keep this message. To check later that nothing before it was removed or "
                  "changed, run:"),
                f"ctip audit verify --checkpoint '{checkpoint.line()}'",
            ])
        for user in auditors_to_tell():
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            except Exception:  # an unreachable mailbox must not stop the checkpoint
                logger.exception("audit checkpoint e-mail to user %s failed", user.pk)
            else:
                sent += 1
    return sent
