"""What holds the level shift back on the synthetic grid: its 2σ-shift recall as its guards are taken
away one step at a time, each step's false alarms, and what the steps that TCPD can see cost there.

The level shift finds 2σ shifts 0.76 of the time where the issue asks 0.90, and the `σ from the KPI`
reference of benchmarks/ideal.py (σ known, level and season from the series' own past) finds 0.93,
0.90–0.91 when it must also learn which series have a season.
This ladder measures where the difference goes, on the grid of signals_eval (same seed, same
series, KPIs of 10 services):

1. the defaults;
2. threshold 3.2 instead of 3.6 (σ still estimated);
3. σ known: every noise σ estimate replaced by the grid's true σ (what pooling σ within a KPI could
   at best give);
4. σ known and threshold 3.2;
5. … and the test's windows as long as the match allows (h ≤ 7 values, 36 reference periods);
6. … and every guard off (the wander, spread and history floors on σ, the segment veto, the minimum
   band, the stricter threshold while a season is unsure), threshold 3.4;
7. the same at threshold 3.2.

Steps 2 and 5's windows change nothing a real series could not see, so TCPD's mean F1 is printed for
them too (`--tcpd PATH`). The σ-known steps replace a function of lib.signals for the run only
(restored after): this is a diagnostic, not a detector.

    python benchmarks/shift_ablation.py [--reps 100] [--seed 2026] [--tcpd ../shared/benchmarks/tcpd] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import signals_eval as ev  # noqa: E402
from lib.signals import detectors, shift  # noqa: E402

LONG = {"window": 7, "reference": 36}
NO_GUARDS = {"segment_z": 0.0, "min_band": 0.0}
# The module constants each guard reads, and the value that turns it off.
GUARD_CONSTANTS = (
    (shift, "SPREAD_SHARE", 0.0),
    (shift, "WANDER_SLACK", np.inf),
    (shift, "HISTORY_SHARE", 0.0),
    (detectors, "UNSURE_FACTOR", 1.0),
)


def steps() -> list[dict]:
    """The ladder: name, level-shift parameters, σ known or not, guards off or not."""
    return [
        {"step": "defaults", "params": {}, "known_sigma": False, "guards": True},
        {"step": "threshold 3.2", "params": {"threshold": 3.2}, "known_sigma": False, "guards": True},
        {"step": "σ known", "params": {}, "known_sigma": True, "guards": True},
        {"step": "σ known, threshold 3.2", "params": {"threshold": 3.2}, "known_sigma": True, "guards": True},
        {
            "step": "σ known, 3.2, h ≤ 7, 36 reference",
            "params": {"threshold": 3.2, **LONG},
            "known_sigma": True,
            "guards": True,
        },
        {
            "step": "σ known, h ≤ 7, 36 reference, no guards, 3.4",
            "params": {"threshold": 3.4, **LONG, **NO_GUARDS},
            "known_sigma": True,
            "guards": False,
        },
        {
            "step": "σ known, h ≤ 7, 36 reference, no guards, 3.2",
            "params": {"threshold": 3.2, **LONG, **NO_GUARDS},
            "known_sigma": True,
            "guards": False,
        },
    ]


@contextmanager
def patched(known_sigma: float | None, guards: bool) -> Iterator[None]:
    """σ estimates replaced by `known_sigma` (None: untouched) and the guards' constants turned off
    (guards False), for the duration of the block only."""
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in GUARD_CONSTANTS]
    saved += [(mod, "change_sigma", mod.change_sigma) for mod in (detectors, shift)]
    try:
        if known_sigma is not None:
            for mod in (detectors, shift):
                mod.change_sigma = lambda y, *_, **__: np.full(y.shape[:-1], known_sigma)
        if not guards:
            for mod, name, off in GUARD_CONSTANTS:
                setattr(mod, name, off)
        yield
    finally:
        for mod, name, value in saved:
            setattr(mod, name, value)


def run(reps: int, seed: int, tcpd: Path | None = None) -> list[dict]:
    """One row per step: 2σ and 3σ shift recall (2σ split plain / seasonal), median delay, false
    alarms (plain / seasonal), and TCPD's mean F1 where the step is one a real series can take."""
    grids = ev.make_grid(reps, seed)
    rows = []
    for step in steps():
        with patched(ev.SIGMA if step["known_sigma"] else None, step["guards"]):
            result = ev.score(grids, {"level_shift": step["params"]})
        table = {r["effect"]: r for r in result["table"] if r["detector"] == "level_shift"}
        fa = result["false_alarms"]["level_shift"]
        two, three = table["shift 2σ"], table["shift 3σ"]
        row = {
            "step": step["step"],
            "recall_2": two["recall"],
            "recall_2_plain": two["recall_plain"],
            "recall_2_seasonal": two["recall_seasonal"],
            "delay_2": two["median_delay"],
            "recall_3": three["recall"],
            "false_alarms": fa["all"],
            "false_alarms_plain": fa["plain"],
            "false_alarms_seasonal": fa["seasonal"],
            "tcpd_f1": None,
        }
        if tcpd is not None and not step["known_sigma"]:
            row["tcpd_f1"] = ev.tcpd(tcpd, {"level_shift": step["params"]})["mean"]["f1"]
        rows.append(row)
    if tcpd is not None:
        for name, params in (("h ≤ 7 alone", {"window": 7}), ("36 reference alone", {"reference": 36})):
            rows.append({"step": name, "tcpd_f1": ev.tcpd(tcpd, {"level_shift": params})["mean"]["f1"]})
    return rows


def _f1(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def print_rows(rows: list[dict]) -> None:
    head = (
        "step",
        "2σ recall (plain / seasonal)",
        "delay",
        "3σ recall",
        "false alarms (plain / seasonal)",
        "TCPD F1",
    )
    print("| " + " | ".join(head) + " |")
    print("|---|---|---:|---:|---|---:|")
    for r in rows:
        if "recall_2" not in r:
            print(f"| {r['step']} | | | | | {_f1(r['tcpd_f1'])} |")
            continue
        print(
            f"| {r['step']} | {r['recall_2']:.3f} ({r['recall_2_plain']:.2f} / {r['recall_2_seasonal']:.2f}) "
            f"| {r['delay_2']:g} | {r['recall_3']:.3f} "
            f"| {100 * r['false_alarms']:.1f} % ({100 * r['false_alarms_plain']:.1f} / "
            f"{100 * r['false_alarms_seasonal']:.1f}) | {_f1(r['tcpd_f1'])} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100, help="series per grid cell (default 100)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--tcpd", type=Path, help="the Turing Change Point Dataset's folder, for the F1 column")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    rows = run(args.reps, args.seed, args.tcpd)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
