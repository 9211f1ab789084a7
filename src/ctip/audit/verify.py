"""Checking the hash chain of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field

from ctip.audit.models import GENESIS_HASH, AuditEvent, ChainHead


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    result = VerifyResult()
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
            if event.compute_hash() != event.hash:
                result.problems.append(f"event #{event.id}: content does not match its hash "
                                       "(the event was edited)")
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
    return result
