"""The detectors, listed once: kind (a stable code), polarity, tunable parameters. The UI, the CLI, the
README and the tests loop over `DETECTORS`; the defaults were tuned on benchmarks/signals_eval.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lib.signals import drift, shift


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    minimum: float
    maximum: float
    step: float

    @property
    def decimals(self) -> int:
        """Decimals that show the default and every value the step reaches: 0 for counts of periods (3,
        not 3.00), 2 for a z of 1.96 stepped by 0.1."""

        def places(x: float) -> int:
            return next(d for d in range(7) if abs(round(x, d) - x) < 1e-9)

        return max(places(self.step), places(self.default), places(self.minimum))

    def label_key(self, kind: str) -> str:
        """i18n key of the parameter's label: signals.param.<kind>.<name>."""
        return f"signals.param.{kind}.{self.name}"


@dataclass(frozen=True)
class Detector:
    kind: str
    polarity: str  # "bad" | "good"
    params: tuple[Param, ...]
    doc_key: str  # i18n key of the one-paragraph explanation of the rule

    @property
    def label_key(self) -> str:
        return f"signals.kind.{self.kind}"

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}


def _history(default: float = 12) -> Param:
    return Param("min_history", default, 4, 36, 1)


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "off_target_streak",
        "bad",
        (Param("periods", 3, 2, 12, 1),),
        "signals.doc.off_target_streak",
    ),
    Detector(
        "silent_drift",
        "bad",
        (*(Param(*spec) for spec in drift.PARAMS), _history()),
        "signals.doc.silent_drift",
    ),
    Detector(
        "anomaly",
        "bad",
        (Param("threshold", 3.0, 2.0, 8.0, 0.1), Param("baseline", 36, 6, 36, 1), _history()),
        "signals.doc.anomaly",
    ),
    Detector(
        "level_shift",
        "bad",
        (*(Param(*spec) for spec in shift.PARAMS), _history()),
        "signals.doc.level_shift",
    ),
    Detector(
        "projected_miss",
        "bad",
        (
            Param("confidence", 0.9, 0.5, 0.99, 0.01),
            Param("min_gap", 0.5, 0.0, 3.0, 0.05),
            Param("window", 12, 6, 36, 1),
            Param("trend_z", 1.96, 0.0, 4.0, 0.1),
            _history(),
        ),
        "signals.doc.projected_miss",
    ),
    Detector(
        "volatility_jump",
        "bad",
        (
            Param("ratio", 3.2, 1.5, 6.0, 0.1),
            Param("window", 8, 5, 24, 1),
            Param("reference", 12, 6, 36, 1),
            _history(),
        ),
        "signals.doc.volatility_jump",
    ),
    # Good news: the wins of lib.wins (one definition), their rules tunable here.
    Detector("win_back_on_target", "good", (), "signals.doc.win_back_on_target"),
    Detector("win_record", "good", (Param("min_history", 12, 3, 60, 1),), "signals.doc.win_record"),
    Detector("win_streak", "good", (Param("periods", 6, 2, 36, 1),), "signals.doc.win_streak"),
    Detector(
        "win_most_improved",
        "good",
        (Param("min_points", 5.0, 0.5, 50.0, 0.5),),
        "signals.doc.win_most_improved",
    ),
)
KINDS = tuple(d.kind for d in DETECTORS)
BY_KIND = {d.kind: d for d in DETECTORS}
WIN_KINDS = {
    "back_on_target": "win_back_on_target",
    "record": "win_record",
    "streak": "win_streak",
    "most_improved": "win_most_improved",
}  # lib.wins kind -> signal kind


def resolve(params: Mapping[str, Mapping[str, float]] | None) -> dict[str, dict[str, float]]:
    """Every detector's parameters: the defaults, overridden by `params` ({kind: {name: value}}).
    Unknown kinds or names raise ValueError (a typo would otherwise silently keep the default)."""
    out = {d.kind: d.defaults() for d in DETECTORS}
    for kind, values in (params or {}).items():
        if kind not in out:
            raise ValueError(f"unknown signal kind {kind!r}; expected one of {KINDS}")
        for name, value in values.items():
            if name not in out[kind]:
                raise ValueError(f"unknown parameter {name!r} of {kind}; expected one of {sorted(out[kind])}")
            out[kind][name] = float(value)
    return out
