"""Checking the audit trail: the keyed chain, its head, and the signed checkpoints.

``verify_chain`` reports, in words an auditor can act on:
- an event whose content no longer matches its keyed hash (edited, even if every later hash
  was recomputed without the key), or signed with a key that is not known;
- a broken link (an event deleted or inserted in the middle);
- a chain head that disagrees with the events (last hash or count);
- a checkpoint (in the file, or given by an auditor from her e-mail) whose event is gone or
  differs: the newest events were deleted and the head rewound, or history was rewritten;
- a checkpoint file that is missing, altered or rolled back, measured against the
  ``audit.checkpoint`` events recorded in the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ctip.audit.checkpoints import (
    ACTION,
    Checkpoint,
    checkpoint_file,
    line_digest,
    parse_line,
    read_lines,
)
from ctip.audit.keys import load_keys
from ctip.audit.models import GENESIS_HASH, AuditEvent, ChainHead, keyed_hash


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    checkpoints_checked: int = 0
    latest_checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_checkpoint_lines(lines: list[str], origin: str, result: VerifyResult,
                           *, linked: bool) -> list[Checkpoint]:
    ring = load_keys()
    found: list[Checkpoint] = []
    previous_line = ""
    for number, line in enumerate(lines, start=1):
        try:
            checkpoint = parse_line(line)
        except ValueError:
            result.problems.append(f"{origin}, line {number}: not a checkpoint (the file was "
                                   "altered)")
            previous_line = line
            continue
        if not checkpoint.genuine(ring):
            result.problems.append(f"{origin}, line {number}: checkpoint {checkpoint.seq} does "
                                   "not carry a valid signature (altered or forged)")
        elif linked and checkpoint.prev != (line_digest(previous_line) if previous_line
                                            else ""):
            result.problems.append(f"{origin}, line {number}: checkpoint {checkpoint.seq} does "
                                   "not follow the line before it (lines were removed or "
                                   "reordered)")
        else:
            found.append(checkpoint)
        previous_line = line
    return found


def verify_chain(batch_size: int = 5000, *, external: list[str] | None = None,
                 path: Path | None = None) -> VerifyResult:
    """Check the whole trail; ``external`` are checkpoint lines kept elsewhere (e-mails)."""
    result = VerifyResult()
    ring = load_keys()
    path = path or checkpoint_file()
    file_lines = read_lines(path)
    in_file = _read_checkpoint_lines(file_lines or [], str(path), result, linked=True)
    given = _read_checkpoint_lines(external or [], "the checkpoint given", result,
                                   linked=False)
    wanted = {c.last_id for c in (*in_file, *given)}
    seen: dict[int, tuple[int, str]] = {}  # event id → (position in the chain, hash)
    in_chain: dict[int, dict[str, object]] = {}  # seq → the audit.checkpoint event's changes

    expected_prev = GENESIS_HASH
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            result.checked += 1
            if event.prev_hash != expected_prev:
                result.problems.append(
                    f"event #{event.id}: chain broken before it (an event was deleted or inserted)"
                )
            key = ring.key(event.key_id)
            if key is None:
                result.problems.append(f"event #{event.id}: signed with an unknown audit key "
                                       f"{event.key_id!r} (forged, or the key was lost)")
            elif keyed_hash(event, key) != event.hash:
                result.problems.append(f"event #{event.id}: content does not match its hash "
                                       "(the event was edited)")
            elif event.action == ACTION and isinstance(event.changes, dict):
                seq = event.changes.get("seq")
                if isinstance(seq, int):
                    in_chain[seq] = event.changes
            if event.id in wanted:
                seen[event.id] = (result.checked, event.hash)
            expected_prev = event.hash
            last_id = event.id

    head = ChainHead.objects.filter(pk=1).first()
    if head is not None:
        if head.last_hash != expected_prev:
            result.problems.append("the newest events were deleted (chain head does not match)")
        if head.count != result.checked:
            result.problems.append(
                f"the chain head counts {head.count} events but {result.checked} exist"
            )
    elif result.checked:
        result.problems.append("the chain head is missing")

    for origin, checkpoints in ((str(path), in_file), ("the checkpoint given", given)):
        for checkpoint in checkpoints:
            result.checkpoints_checked += 1
            _check_against_chain(checkpoint, origin, seen, result)

    # the file against the chain's own record of the checkpoints it was given
    if in_chain:
        newest = max(in_chain)
        file_seqs = {c.seq: c for c in in_file}
        if file_lines is None:
            result.problems.append(
                f"the checkpoint file {path} is missing, but the trail records {len(in_chain)} "
                f"checkpoints up to number {newest}")
        elif not file_seqs or max(file_seqs) < newest:
            result.problems.append(
                f"the checkpoint file {path} was rolled back: it ends at checkpoint "
                f"{max(file_seqs) if file_seqs else 0}, the trail records checkpoint {newest}")
        for seq, changes in sorted(in_chain.items()):
            mine = file_seqs.get(seq)
            if mine is not None and (mine.head != changes.get("head")
                                     or mine.count != changes.get("count")):
                result.problems.append(f"checkpoint {seq} differs between the file and the trail")
    if in_file:
        result.latest_checkpoint = max(in_file, key=lambda c: c.seq)
    return result


def _check_against_chain(checkpoint: Checkpoint, origin: str,
                         seen: dict[int, tuple[int, str]], result: VerifyResult) -> None:
    label = f"checkpoint {checkpoint.seq} of {checkpoint.at} ({origin})"
    if checkpoint.count == 0:
        return
    found = seen.get(checkpoint.last_id)
    if found is None:
        result.problems.append(
            f"{label} recorded {checkpoint.count} events up to #{checkpoint.last_id}, which no "
            "longer exists: the newest events were deleted and the head rewound")
    elif found != (checkpoint.count, checkpoint.head):
        result.problems.append(
            f"{label} recorded {checkpoint.count} events ending in {checkpoint.head[:16]}; the "
            f"trail now has {found[0]} events up to #{checkpoint.last_id} ending in "
            f"{found[1][:16]}: events before it were removed or rewritten")
