"""Measuring the signs against the labelled offers of ``tests/offers/offers.jsonl`` (used by
the test that guards recall and by ``benchmarks/offers/run.py``)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctip.offers.check import check_offer
from ctip.offers.defaults import DEFAULT_SIGNS
from ctip.offers.library import rule_from
from ctip.offers.matching import Rule


def default_rules() -> list[Rule]:
    """The shipped library, without the database."""
    return [rule_from(sign) for sign in DEFAULT_SIGNS]


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Scores:
    risky: int = 0
    honest: int = 0
    true_positive: int = 0  # risky, flagged medium or high
    false_positive: int = 0  # honest, flagged medium or high
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    timings: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_positive / self.risky if self.risky else 0.0

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 0.0

    @property
    def honest_correct(self) -> float:
        return (self.honest - self.false_positive) / self.honest if self.honest else 0.0


def evaluate(offers: list[dict[str, Any]], rules: list[Rule]) -> Scores:
    scores = Scores()
    for offer in offers:
        start = time.perf_counter()
        outcome = check_offer(offer["text"], rules)
        scores.timings.append(time.perf_counter() - start)
        flagged = outcome.level in {"medium", "high"}
        if offer["label"] == "risky":
            scores.risky += 1
            scores.true_positive += flagged
            if not flagged:
                scores.misses.append(offer["id"])
        else:
            scores.honest += 1
            scores.false_positive += flagged
            if flagged:
                scores.false_alarms.append(offer["id"])
    return scores
