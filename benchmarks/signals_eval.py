"""Proof of quality of the weak-signal detectors (lib.signals).

    python benchmarks/signals_eval.py                 # synthetic grid: recall, precision, delay, false alarms
    python benchmarks/signals_eval.py --json          # the same as one JSON object
    python benchmarks/signals_eval.py --tcpd ../shared/benchmarks/tcpd   # level shifts on real series
    python benchmarks/signals_eval.py --sample        # planted stories of the sample organisation
    python benchmarks/signals_eval.py --speed         # timings (sample, 10,000 × 36, the 10M-row extract)

Synthetic grid (seeded): monthly series, noise σ = 2 around 100, lengths 24 / 36 / 60, with and
without a seasonality of amplitude 2σ (a sine, random phase), half of them lower-is-better. One event
per series, deteriorating, starting at a random period between 12 and 7 periods before the end:
drifts totalling 1σ, 2σ, 3σ over six periods (and going on at that pace), level shifts of 1σ, 2σ,
3σ, single spikes of 3σ and 5σ, and (beyond the issue's grid) noise growing 2× and 3×; plus noise-only
controls. Targets sit 1.5σ on the good side of the level (tolerance 5 %), so statuses are mostly on
target. Every series is replayed period by period (lib.signals replay semantics). A firing matches
an event when it comes at or after the event's start and at most 6 periods later.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import ideal  # noqa: E402
from lib import model  # noqa: E402
from lib.signals import engine  # noqa: E402

SIGMA, LEVEL = 2.0, 100.0
SERVICES = 10  # services per KPI: the series of one KPI share what their noise σ has in common
LENGTHS = ideal.LENGTHS
MATCH = ideal.MATCH  # a firing matches when 0 <= firing - start <= MATCH
EFFECTS = {
    # name: (family, size in σ): noise-only controls, the grid (shared with the ideal
    # references), and noise that grows (beyond the grid)
    "noise": ("noise", 0.0),
    **ideal.EFFECTS,
    "noise ×2": ("volatility", 2.0),
    "noise ×3": ("volatility", 3.0),
}
DETECTOR_OF = {
    "drift": "silent_drift",
    "shift": "level_shift",
    "spike": "anomaly",
    "volatility": "volatility_jump",
}
BAD_KINDS = (
    "off_target_streak",
    "silent_drift",
    "anomaly",
    "level_shift",
    "projected_miss",
    "volatility_jump",
)


@dataclass
class Grid:
    history: pl.DataFrame
    catalog: pl.DataFrame
    truth: pl.DataFrame  # service (series id), effect, family, size, seasonal, length, start


def _months(n: int) -> list[date]:
    return [date(2020 + m // 12, m % 12 + 1, 1) for m in range(n)]


def make_grid(reps: int, seed: int, services: int = SERVICES, sigma_spread: float = 0.0) -> list[Grid]:
    """One Grid per length (series of a length share their periods). Series are grouped at random into
    KPIs of `services` services each (same direction); `sigma_spread` > 0 gives each series its own
    noise σ, SIGMA × exp(N(0, sigma_spread)), every effect and season in units of it."""
    rng = np.random.default_rng(seed)
    # Their own streams: the series drawn from `seed` are the same whatever the grouping and spread.
    spread_rng = np.random.default_rng([seed, 1])
    group_rng = np.random.default_rng([seed, 2])
    grids = []
    for length in LENGTHS:
        rows, truth = [], []
        n = 0
        for effect, (family, size) in EFFECTS.items():
            for seasonal in (False, True):
                for r in range(reps):
                    lower = r % 2 == 1
                    t = np.arange(length)
                    sigma = SIGMA * float(np.exp(spread_rng.normal(0, sigma_spread)))
                    base = np.full(length, LEVEL)
                    if seasonal:
                        base = base + 2 * sigma * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
                    noise = rng.normal(0, SIGMA, length) * (sigma / SIGMA)
                    start = int(rng.integers(length - 12, length - 6))
                    effect_path = np.zeros(length)
                    after = t >= start
                    if family == "drift":
                        effect_path = np.where(after, size * sigma * (t - start + 1) / 6, 0.0)
                    elif family == "shift":
                        effect_path = np.where(after, size * sigma, 0.0)
                    elif family == "spike":
                        effect_path = np.where(t == start, size * sigma, 0.0)
                    elif family == "volatility":
                        noise = np.where(after, noise * size, noise)
                    # Deterioration: down for higher-is-better, up for lower-is-better.
                    direction = 1.0 if lower else -1.0
                    values = np.round(base + noise + direction * effect_path, 2)
                    target = LEVEL + (1.5 * sigma if lower else -1.5 * sigma)
                    sid = f"L{length}-{n:05d}"
                    rows.append((sid, "lower" if lower else "higher", values, target))
                    truth.append(
                        (sid, effect, family, size, seasonal, length, start if family != "noise" else -1)
                    )
                    n += 1
        # KPIs of `services` series each, drawn at random among the series of one direction.
        kpi_of = {}
        for direction in ("higher", "lower"):
            ids = [sid for sid, d, _, _ in rows if d == direction]
            for i, j in enumerate(group_rng.permutation(len(ids))):
                kpi_of[ids[j]] = f"{direction}-{i // services:04d}"
        rows = [(sid, kpi_of[sid], v, tg) for sid, _, v, tg in rows]
        periods = _months(length)
        frame = pl.DataFrame(
            {
                "period": periods * len(rows),
                "service": [sid for sid, _, _, _ in rows for _ in periods],
                "kpi": [k for _, k, _, _ in rows for _ in periods],
                "actual": np.concatenate([v for _, _, v, _ in rows]),
                "target": np.concatenate([np.full(length, tg) for _, _, _, tg in rows]),
                "weight": [None] * (len(rows) * length),
            },
            schema_overrides={"weight": pl.Float64},
        ).with_columns(pl.col("service", "kpi").cast(pl.Categorical))
        kpis = sorted(set(kpi_of.values()))
        catalog = pl.DataFrame(
            {
                "kpi": kpis,
                "direction": [k.split("-")[0] for k in kpis],
                "tolerance": [5.0] * len(kpis),
                "agg_time": ["mean"] * len(kpis),
                "unit": [""] * len(kpis),
            }
        )
        history = model.with_gap(frame.lazy(), catalog).collect()
        truth_frame = pl.DataFrame(
            truth,
            orient="row",
            schema=["service", "effect", "family", "size", "seasonal", "length", "start"],
        )
        grids.append(Grid(history, catalog, truth_frame))
    return grids


def firings(grid: Grid, params=None) -> pl.DataFrame:
    """Every firing of the statistical detectors (replay semantics), with its period index."""
    ev = engine.evaluate(grid.history, grid.catalog, None, params)
    out = []
    for kind, fired in ev.fired.items():
        prev = np.zeros_like(fired.active)
        prev[:, 1:] = fired.active[:, :-1]
        s, t = np.nonzero(fired.active & ~prev)
        out.append(pl.DataFrame({"service": [ev.panel.service[i] for i in s], "kind": kind, "t": t}))
    return pl.concat(out, how="vertical_relaxed")


def score(grids: list[Grid], params=None) -> dict:
    """Per detector and effect: recall, precision, median delay; per detector: false alarm share."""
    fired = pl.concat([firings(g, params) for g in grids])
    truth = pl.concat([g.truth for g in grids])
    table = []
    for effect, (family, size) in EFFECTS.items():
        if family == "noise":
            continue
        kind = DETECTOR_OF[family]
        ev = truth.filter(pl.col("effect") == effect)
        f = fired.filter(pl.col("kind") == kind).join(
            ev.select("service", "start", "seasonal", "length"), on="service"
        )
        f = f.with_columns((pl.col("t") - pl.col("start")).alias("delay"))
        f = f.with_columns(pl.col("delay").is_between(0, MATCH).alias("match"))
        first = f.filter(pl.col("match")).group_by("service").agg(pl.col("delay").min())
        row = {
            "detector": kind,
            "effect": effect,
            "size": size,
            "series": ev.height,
            "recall": first.height / ev.height,
            "precision": (f["match"].sum() / f.height) if f.height else None,
            "median_delay": float(first["delay"].median()) if first.height else None,
        }
        found = ev.with_columns(pl.col("service").is_in(first["service"].implode()).alias("found"))

        def share(*where: pl.Expr, found: pl.DataFrame = found) -> float:
            return found.filter(*where)["found"].mean()

        row["recall_plain"], row["recall_seasonal"] = share(~pl.col("seasonal")), share(pl.col("seasonal"))
        for length in LENGTHS:
            row[f"recall_{length}"] = share(pl.col("length") == length)
        row["cells"] = {
            ideal.cell_name(n, s): share(pl.col("length") == n, pl.col("seasonal") == s)
            for n in LENGTHS
            for s in (False, True)
        }
        table.append(row)
    noise = truth.filter(pl.col("family") == "noise")
    alarms = {}
    for kind in BAD_KINDS:
        hit = fired.filter(pl.col("kind") == kind).join(noise.select("service", "seasonal"), on="service")
        alarms[kind] = {
            "all": hit["service"].n_unique() / noise.height,
            "plain": hit.filter(~pl.col("seasonal"))["service"].n_unique()
            / noise.filter(~pl.col("seasonal")).height,
            "seasonal": hit.filter(pl.col("seasonal"))["service"].n_unique()
            / noise.filter(pl.col("seasonal")).height,
        }
    return {"table": table, "false_alarms": alarms, "series": truth.height}


def _fmt(x, pct=True):
    if x is None:
        return "–"
    return f"{x:.2f}" if pct else f"{x:g}"


TARGET_RECALL, TARGET_DELAY, TARGET_FALSE_ALARMS = 0.9, 3, 0.05


def _ideal_rows(result: dict, key: str) -> dict[str, dict]:
    return {r["effect"]: r for r in result.get(key, {}).get("table", [])}


def verdicts(result: dict) -> list[dict]:
    """The issue's targets (effects of 2σ and more: recall ≥ 0.9 with median delay ≤ 3; at most 5 % of
    noise-only series with a false alarm, per detector), each met or not, and, for the effects, whether
    the ideal references (benchmarks/ideal.py) meet it: `reachable` knowing σ and the level, `reachable_own`
    learning them from the series' own past, `reachable_pooled` knowing σ (as the KPI's services tell
    it) and learning the level and season from the series' own past, `reachable_pooled_form` the same
    without knowing which series have a season."""
    known, own = _ideal_rows(result, "ideal"), _ideal_rows(result, "ideal_own")
    pooled, form = _ideal_rows(result, "ideal_pooled"), _ideal_rows(result, "ideal_pooled_form")

    def meets(row):
        if row is None:
            return None
        delay = row["median_delay"]
        return row["recall"] >= TARGET_RECALL and delay is not None and delay <= TARGET_DELAY

    out = []
    for r in result["table"]:
        if r["size"] < 2 or r["effect"] not in known:
            continue
        out.append(
            {
                "target": f"{r['detector']} {r['effect']}",
                "met": meets(r),
                "reachable": meets(known[r["effect"]]),
                "reachable_own": meets(own.get(r["effect"])),
                "reachable_pooled": meets(pooled.get(r["effect"])),
                "reachable_pooled_form": meets(form.get(r["effect"])),
            }
        )
    for kind, a in result["false_alarms"].items():
        out.append(
            {
                "target": f"{kind} false alarms",
                "met": a["all"] <= TARGET_FALSE_ALARMS,
                "reachable": None,
                "reachable_own": None,
                "reachable_pooled": None,
                "reachable_pooled_form": None,
            }
        )
    return out


CELLS_EFFECT = "shift 2σ"  # the target at the edge: where ours loses it, cell by cell


def print_synthetic(result: dict) -> None:
    print(
        f"Synthetic grid: {result['series']} series (lengths {LENGTHS}, with and without seasonality), "
        f"KPIs of {result.get('services', SERVICES)} services"
    )
    known, own = _ideal_rows(result, "ideal"), _ideal_rows(result, "ideal_own")
    pooled, form = _ideal_rows(result, "ideal_pooled"), _ideal_rows(result, "ideal_pooled_form")
    refs_named = "known σ / own past / σ from the KPI / same, season unknown"
    print(
        "| detector | effect | recall | precision | median delay | recall plain / seasonal "
        f"| recall 24 / 36 / 60 | ideal recall: {refs_named} | ideal delay: {refs_named} |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in result["table"]:
        refs = [x.get(r["effect"], {}) for x in (known, own, pooled, form)]
        print(
            f"| {r['detector']} | {r['effect']} | {_fmt(r['recall'])} | {_fmt(r['precision'])} | "
            f"{_fmt(r['median_delay'], False)} | {_fmt(r['recall_plain'])} / {_fmt(r['recall_seasonal'])} | "
            f"{_fmt(r['recall_24'])} / {_fmt(r['recall_36'])} / {_fmt(r['recall_60'])} | "
            + " / ".join(_fmt(x.get("recall")) for x in refs)
            + " | "
            + " / ".join(_fmt(x.get("median_delay"), False) for x in refs)
            + " |"
        )
    print()
    print("False alarms: share of noise-only series with any firing (all / plain / seasonal)")
    print("| detector | all | plain | seasonal |")
    print("|---|---:|---:|---:|")
    for kind, a in result["false_alarms"].items():
        print(f"| {kind} | {a['all']:.3f} | {a['plain']:.3f} | {a['seasonal']:.3f} |")
    cells_of = next((r for r in result["table"] if r["effect"] == CELLS_EFFECT), None)
    if cells_of and cells_of.get("cells") and own:
        print()
        print(
            f"{cells_of['detector']} {CELLS_EFFECT} by length and form: ours against the references "
            "that learn from the series' past"
        )
        print("| length, form | ours | own past | σ from the KPI | same, season unknown |")
        print("|---|---:|---:|---:|---:|")
        for name, recall in cells_of["cells"].items():
            refs = [x.get(CELLS_EFFECT, {}).get("cells", {}).get(name) for x in (own, pooled, form)]
            print(f"| {name} | {_fmt(recall)} | " + " | ".join(_fmt(x) for x in refs) + " |")
    if "pooling" in result:
        print()
        print(
            "The anomaly's σ pooled within a KPI (lib.signals.pool): the same series, as KPIs of one "
            "service (nothing pooled), of 10, and of 10 whose noise σ differ (× exp(N(0, s)))"
        )
        print("| KPIs | spike 3σ | spike 5σ | 5σ: 24 / 36 / 60 | false alarms |")
        print("|---|---:|---:|---:|---:|")
        for row in result["pooling"]:
            print(
                f"| {row['label']} | {_fmt(row['spike 3σ'])} | {_fmt(row['spike 5σ'])} | "
                f"{_fmt(row['recall_24'])} / {_fmt(row['recall_36'])} / {_fmt(row['recall_60'])} | "
                f"{row['false_alarms']:.3f} |"
            )
    if known:
        print()
        print(
            "Ideal references (benchmarks/ideal.py), the classic test of each family on the same kind of "
            "series and periods, one threshold per family for 5 % false alarms: 'known σ' knows each "
            "series' level, season and σ; 'own past' fits them on the series' own earlier values "
            "(exact t test): what the classic test achieves learning each series from its own history; "
            "'σ from the KPI' knows σ (as many alike services of a KPI tell it) and fits the level and "
            "season on the series' own past; 'season unknown', the same without knowing which series "
            "have a season (it fits one on every series until two years of past, then where an F test "
            "finds one)."
        )
        print()
        print("Targets (effects ≥ 2σ: recall ≥ 0.9 with median delay ≤ 3; false alarms ≤ 5 %)")
        print(
            "| target | met | reachable knowing σ | reachable from the series' own past "
            "| reachable with σ from the KPI | reachable with σ from the KPI, season unknown |"
        )
        print("|---|---|---|---|---|---|")
        word = {True: "yes", False: "no", None: "–"}
        ours = {f"{r['detector']} {r['effect']}": r for r in result["table"]}

        def figures(r: dict | None) -> str:
            # The recall to three decimals (a reference at 0.897 is not one at 0.90), and the delay
            # where it is what misses the target.
            if not r:
                return ""
            late = r["median_delay"] is not None and r["median_delay"] > TARGET_DELAY
            return f" ({r['recall']:.3f}" + (f", delay {r['median_delay']:g})" if late else ")")

        for v in verdicts(result):
            row = ours.get(v["target"])
            keys = ("reachable", "reachable_own", "reachable_pooled", "reachable_pooled_form")
            kind = v["target"].removesuffix(" false alarms")
            alarms = result["false_alarms"].get(kind) if row is None else None
            cells = [word[v["met"]] + (figures(row) if row else f" ({alarms['all']:.3f})" if alarms else "")]
            for key, refs in zip(keys, (known, own, pooled, form), strict=True):
                cells.append(word[v.get(key)] + figures(refs.get(row["effect"]) if row else None))
            print(f"| {v['target']} | " + " | ".join(cells) + " |")


POOLING_CASES = (("1 service", 1, 0.0), ("10 services", 10, 0.0), ("10, σ × e^N(0, 0.35)", 10, 0.35))


def pooling(reps: int, seed: int, scored: dict | None = None) -> list[dict]:
    """The anomaly detector on the grid's series grouped into KPIs of 1 and 10 services, and of 10
    services whose noise differs: what pooling σ within a KPI brings, and what it costs when the
    services' noises differ. `scored`: a score() of the default grid (same reps and seed), reused."""
    out = []
    for label, services, spread in POOLING_CASES:
        if scored is not None and (services, spread) == (SERVICES, 0.0):
            result = scored
        else:
            result = score(make_grid(reps, seed, services, spread))
        rows = {r["effect"]: r for r in result["table"] if r["detector"] == "anomaly"}
        five = rows["spike 5σ"]
        out.append(
            {
                "label": label,
                "services": services,
                "sigma_spread": spread,
                "spike 3σ": rows["spike 3σ"]["recall"],
                "spike 5σ": five["recall"],
                **{f"recall_{n}": five[f"recall_{n}"] for n in LENGTHS},
                "false_alarms": result["false_alarms"]["anomaly"]["all"],
            }
        )
    return out


# --- Turing Change Point Dataset ------------------------------------------------------------------

TCPD_MARGIN = 5


def _true_positives(truth: set[int], pred: set[int], margin: int = TCPD_MARGIN) -> set[int]:
    """TCPD's rule: each annotated point matches at most one prediction, the closest within margin."""
    left = set(pred)
    found = set()
    for tau in sorted(truth):
        close = sorted((abs(tau - x), x) for x in left if abs(tau - x) <= margin)
        if close:
            found.add(tau)
            left.remove(close[0][1])
    return found


def tcpd_f1(annotations: dict[str, list[int]], predictions: list[int], margin: int = TCPD_MARGIN) -> float:
    """F1 of the paper (van den Burg & Williams 2020): index 0 added to every set, precision against
    the union of the annotators' points, recall averaged over annotators."""
    sets = [set(v) | {0} for v in annotations.values()]
    pred = set(predictions) | {0}
    union = set().union(*sets)
    precision = len(_true_positives(union, pred, margin)) / len(pred)
    recall = sum(len(_true_positives(s, pred, margin)) / len(s) for s in sets) / len(sets)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _tcpd_series(path: Path) -> list[tuple[str, np.ndarray, str]]:
    out = []
    for f in sorted((path / "datasets").glob("*.json")):
        data = json.loads(f.read_text())
        if data["n_dim"] != 1:
            continue  # the paper's univariate figures; run_log has two dimensions
        raw = data["series"][0]["raw"]
        values = np.array([np.nan if v is None else float(v) for v in raw])
        grain = "month" if data["time"].get("format") == "%Y-%m" else "year"
        out.append((data["name"], values, grain))
    return out


def _tcpd_history(values: np.ndarray, grain: str) -> tuple[pl.DataFrame, list[date]]:
    n = len(values)
    if grain == "month":
        periods = [date(1900 + i // 12, i % 12 + 1, 1) for i in range(n)]
    else:  # yearly, or a plain index: no season assumed
        periods = [date(1000 + i, 1, 1) for i in range(n)]
    keep = ~np.isnan(values)
    frame = pl.DataFrame(
        {
            "period": [p for p, k in zip(periods, keep, strict=True) if k],
            "service": "tcpd",
            "kpi": "series",
            "actual": values[keep],
            "target": None,
            "weight": None,
        },
        schema_overrides={"target": pl.Float64, "weight": pl.Float64},
    ).with_columns(pl.col("service", "kpi").cast(pl.Categorical))
    return frame, periods


def level_shift_points(values: np.ndarray, grain: str, params=None) -> dict[str, list[int]]:
    """Replay the level-shift detector over a series, both ways (a change either way is a
    deterioration of one of the two directions): firing periods and estimated change points."""
    frame, periods = _tcpd_history(values, grain)
    index = {p: i for i, p in enumerate(periods)}
    fired, located = set(), set()
    for direction in ("higher", "lower"):
        catalog = pl.DataFrame(
            {
                "kpi": ["series"],
                "direction": [direction],
                "tolerance": [0.0],
                "agg_time": ["mean"],
                "unit": [""],
            }
        )
        history = model.with_gap(frame.lazy(), catalog).collect()
        ev = engine.evaluate(history, catalog, None, params)
        if not ev.fired:
            continue
        f = ev.fired["level_shift"]
        prev = np.zeros_like(f.active)
        prev[:, 1:] = f.active[:, :-1]
        for t in np.flatnonzero(f.active[0] & ~prev[0]):
            at = index[ev.panel.periods[t]]
            fired.add(at)
            since = f.numbers["since"][0, t]
            located.add(index[ev.panel.periods[int(since)]] if not np.isnan(since) else at)
    return {"fired": sorted(fired), "located": sorted(located)}


def binseg_points(values: np.ndarray) -> list[int]:
    """ruptures' binary segmentation with the paper's default settings: change in mean, MBIC-like
    penalty 3·log(n) on the standardised series, at most 5 change points (R changepoint's Q = 5)."""
    import ruptures as rpt

    keep = np.flatnonzero(~np.isnan(values))
    x = values[keep]
    x = (x - x.mean()) / (x.std() or 1.0)
    algo = rpt.Binseg(model="l2", min_size=1, jump=1).fit(x)
    bkps = algo.predict(pen=3 * math.log(len(x)))[:-1]
    if len(bkps) > 5:
        bkps = algo.predict(n_bkps=5)[:-1]
    return [int(keep[b]) for b in bkps]


def tcpd(path: Path, params=None) -> dict:
    annotations = json.loads((path / "annotations.json").read_text())
    rows = []
    for name, values, grain in _tcpd_series(path):
        ann = annotations[name]
        ours = level_shift_points(values, grain, params)
        ref = binseg_points(values)
        rows.append(
            {
                "series": name,
                "n": len(values),
                "grain": grain,
                "f1": tcpd_f1(ann, ours["located"]),
                "f1_fired": tcpd_f1(ann, ours["fired"]),
                "f1_binseg": tcpd_f1(ann, ref),
                "f1_zero": tcpd_f1(ann, []),
                "ours": ours["located"],
                "binseg": ref,
            }
        )
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("f1", "f1_fired", "f1_binseg", "f1_zero")}
    return {"series": rows, "mean": mean}


def print_tcpd(result: dict) -> None:
    print(f"TCPD (margin {TCPD_MARGIN}): level_shift replayed with default parameters, both directions")
    print("| series | n | F1 (change point) | F1 (firing period) | binseg (ruptures) | zero |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in result["series"]:
        print(
            f"| {r['series']} | {r['n']} | {r['f1']:.3f} | {r['f1_fired']:.3f} | {r['f1_binseg']:.3f} | "
            f"{r['f1_zero']:.3f} |"
        )
    m = result["mean"]
    print(
        f"| **mean** | | **{m['f1']:.3f}** | {m['f1_fired']:.3f} | {m['f1_binseg']:.3f} | "
        f"{m['f1_zero']:.3f} |"
    )


# --- Sample organisation ---------------------------------------------------------------------------

# The signal kinds that find each kind of planted story (sample_data/stories.json).
STORY_KINDS = {
    "silent_drift": ("silent_drift",),
    "anomaly": ("anomaly",),
    "projected_miss": ("projected_miss",),
    "level_shift": ("level_shift",),
    "off_target_streak": ("off_target_streak",),
    "over_performer": ("win_streak", "win_record"),
    "corrective_action": ("off_target_streak",),  # the slip; the recovery is checked apart
}


def sample_history() -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    from lib.sample import SAMPLE_DIR, load_sample

    loaded = load_sample()
    lf = model.rollup_time(loaded.data.lazy(), loaded.catalog, "month", "month")
    history = model.with_gap(lf, loaded.catalog).collect().sort("period", "service", "kpi")
    stories = json.loads((SAMPLE_DIR / "stories.json").read_text())
    return history, loaded.catalog, stories


def sample_eval() -> dict:
    """Every planted story found with its kind, in replay: a firing of one of its kinds between its
    start and six periods later (stories as long as the history: from the start of the history);
    and how many calm series (no story) any warning fires on, in replay and at the last period."""
    from lib.signals import detect, replay

    history, catalog, stories = sample_history()
    started = time.perf_counter()
    now = detect(history, catalog)
    seconds_detect = time.perf_counter() - started
    started = time.perf_counter()
    trail = replay(history, catalog)
    seconds_replay = time.perf_counter() - started
    rows = []
    for story in stories:
        start = date.fromisoformat(story["start"])
        kinds = STORY_KINDS[story["kind"]]
        mine = trail.filter(
            (pl.col("service") == story["service"])
            & (pl.col("kpi") == story["kpi"])
            & pl.col("kind").is_in(kinds)
        )
        hits = mine.filter(pl.col("period") >= start).sort("period")
        first = hits.row(0, named=True) if hits.height else None
        delay = None
        if first is not None:
            delay = (first["period"].year - start.year) * 12 + first["period"].month - start.month
        found = first is not None and delay is not None and delay <= MATCH
        if story["kind"] == "corrective_action":
            action = date.fromisoformat(story["params"]["action_period"])
            back = trail.filter(
                (pl.col("service") == story["service"])
                & (pl.col("kpi") == story["kpi"])
                & (pl.col("kind") == "win_back_on_target")
                & (pl.col("period") == action)
            )
            found = found and back.height == 1
        active = now.filter((pl.col("service") == story["service"]) & (pl.col("kpi") == story["kpi"]))
        rows.append(
            {
                "kind": story["kind"],
                "service": story["service"],
                "kpi": story["kpi"],
                "start": story["start"],
                "found": found,
                "fired": str(first["period"]) if first else None,
                "signal": first["kind"] if first else None,
                "delay": delay,
                "active_now": sorted(set(active["kind"].to_list())),
            }
        )
    story_series = {(s["service"], s["kpi"]) for s in stories}
    bad = trail.filter(pl.col("polarity") == "bad")
    calm = bad.filter(
        ~pl.struct("service", "kpi").is_in(
            pl.DataFrame({"service": [a for a, _ in story_series], "kpi": [b for _, b in story_series]})
            .to_struct()
            .implode()
        )
    )
    n_series = history.select("service", "kpi").unique().height
    calm_now = now.filter(pl.col("polarity") == "bad").join(
        calm.select("service", "kpi").unique(), on=["service", "kpi"]
    )
    return {
        "stories": rows,
        "found": sum(r["found"] for r in rows),
        "series": n_series,
        "calm_series": n_series - len(story_series),
        "calm_with_warning_replay": calm.select("service", "kpi").unique().height,
        "calm_warnings_by_kind": dict(calm.group_by("kind").len().sort("kind").iter_rows()),
        "calm_with_warning_now": calm_now.select("service", "kpi").unique().height,
        "warnings_now": now.filter(pl.col("polarity") == "bad").height,
        "good_news_now": now.filter(pl.col("polarity") == "good").height,
        "seconds_detect": round(seconds_detect, 3),
        "seconds_replay": round(seconds_replay, 3),
    }


def print_sample(result: dict) -> None:
    print(
        f"Sample organisation: {result['found']} of {len(result['stories'])} planted stories found "
        "with their kind"
    )
    print("| story | service — KPI | start | found | first firing | delay | active at the last period |")
    print("|---|---|---|---|---|---:|---|")
    for r in result["stories"]:
        print(
            f"| {r['kind']} | {r['service']} — {r['kpi']} | {r['start']} | {'yes' if r['found'] else 'NO'} | "
            f"{r['signal'] or '–'} {r['fired'] or ''} | {r['delay'] if r['delay'] is not None else '–'} | "
            f"{', '.join(r['active_now']) or '–'} |"
        )
    print(
        f"Calm series (no story): {result['calm_with_warning_replay']} of {result['calm_series']} get a "
        f"warning at some period of the replay ({result['calm_warnings_by_kind']}); "
        f"{result['calm_with_warning_now']} at the last period. At the last period: {result['warnings_now']} "
        f"warnings, {result['good_news_now']} good news. "
        f"detect {result['seconds_detect']} s, replay {result['seconds_replay']} s."
    )


# --- Speed ------------------------------------------------------------------------------------------


def _timed(fn, repeat: int = 3) -> tuple[float, float, object]:
    """(best wall seconds, CPU seconds of that run, result) over `repeat` runs."""
    best = (math.inf, math.inf, None)
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if wall < best[0]:
            best = (wall, cpu, out)
    return best


def wide_history(services: int = 200, kpis: int = 50, months: int = 36, seed: int = 5) -> tuple:
    """services × kpis monthly series (10,000 × 36 by default): noise, a third seasonal, a tenth with
    a shift, half lower-is-better, targets just on the good side."""
    rng = np.random.default_rng(seed)
    n = services * kpis
    t = np.arange(months)
    values = 100 + rng.normal(0, 2, (n, months))
    seasonal = rng.random(n) < 1 / 3
    values[seasonal] += 4 * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6, (seasonal.sum(), 1)))
    shifted = rng.random(n) < 0.1
    values[shifted] -= np.where(t >= months - 5, 6.0, 0.0)
    names = [f"k{i:02d}" for i in range(kpis)]
    lower = np.array([i % 2 == 1 for i in range(kpis)])
    sign = np.where(np.tile(lower, services), -1.0, 1.0)
    values = np.where(sign[:, None] < 0, 200 - values, values)
    target = np.where(sign < 0, 103.0, 97.0)
    periods = _months(months)
    frame = pl.DataFrame(
        {
            "period": np.tile(np.array(periods, dtype="datetime64[D]"), n),
            "service": np.repeat([f"s{i:03d}" for i in range(services)], kpis * months),
            "kpi": np.tile(np.repeat(names, months), services),
            "actual": values.ravel(),
            "target": np.repeat(target, months),
            "weight": np.full(n * months, np.nan),
        }
    ).with_columns(pl.col("period").cast(pl.Date), pl.col("service", "kpi").cast(pl.Categorical))
    catalog = pl.DataFrame(
        {
            "kpi": names,
            "direction": ["lower" if lo else "higher" for lo in lower],
            "tolerance": [5.0] * kpis,
            "agg_time": ["sum" if i % 3 == 0 else "mean" for i in range(kpis)],
            "unit": [""] * kpis,
        }
    )
    return model.with_gap(frame.lazy(), catalog).collect().sort("period", "service", "kpi"), catalog


def speed() -> dict:
    import os

    from lib.signals import detect, replay

    out: dict = {"load_average": os.getloadavg()[0]}
    history, catalog, _ = sample_history()
    wall, cpu, found = _timed(lambda: detect(history, catalog))
    out["sample_detect"] = {
        "series": history.select("service", "kpi").unique().height,
        "rows": history.height,
    }
    out["sample_detect"] |= {"wall": wall, "cpu": cpu, "signals": found.height}
    wall, cpu, _ = _timed(lambda: replay(history, catalog), 1)
    out["sample_replay"] = {"wall": wall, "cpu": cpu}
    history, catalog = wide_history()
    wall, cpu, found = _timed(lambda: detect(history, catalog))
    out["wide_detect"] = {"series": 10_000, "periods": 36, "wall": wall, "cpu": cpu, "signals": found.height}
    cache = ROOT / "benchmarks" / ".cache" / "extract_10000000.parquet"
    if cache.exists():
        data = pl.read_parquet(cache)
        catalog = pl.read_parquet(cache.with_name("extract_10000000_catalog.parquet"))

        def monthly() -> pl.DataFrame:
            rollup = model.rollup_time(data.lazy(), catalog, "month", "day")
            return model.with_gap(rollup, catalog).collect().sort("period", "service", "kpi")

        wall_r, cpu_r, history = _timed(monthly, 1)
        wall, cpu, found = _timed(lambda: detect(history, catalog), 2)
        series = history.select("service", "kpi").unique().height
        out["extract_10m"] = {
            "rows": data.height,
            "series": series,
            "months": history["period"].n_unique(),
            "rollup_wall": wall_r,
            "wall": wall,
            "cpu": cpu,
            "signals": found.height,
        }
    return out


def print_speed(result: dict) -> None:
    print(
        f"Speed (best of runs; load average {result['load_average']:.1f} from other jobs on this "
        "2-core machine)"
    )
    print("| case | size | detect wall | detect CPU | signals |")
    print("|---|---|---:|---:|---:|")
    s = result["sample_detect"]
    print(
        f"| sample organisation | {s['series']} series, {s['rows']} rows | {s['wall']:.2f} s | "
        f"{s['cpu']:.2f} s | {s['signals']} |"
    )
    r = result["sample_replay"]
    print(f"| sample, replay of every month | 36 periods | {r['wall']:.2f} s | {r['cpu']:.2f} s | – |")
    w = result["wide_detect"]
    print(
        f"| synthetic | 10,000 series × 36 months | {w['wall']:.2f} s | {w['cpu']:.2f} s | {w['signals']} |"
    )
    if "extract_10m" in result:
        e = result["extract_10m"]
        print(
            f"| 10M-row extract rolled up to months | {e['series']} series × {e['months']} months "
            f"(roll-up {e['rollup_wall']:.2f} s) | {e['wall']:.2f} s | {e['cpu']:.2f} s | {e['signals']} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--reps", type=int, default=100, help="series per cell (effect × seasonality × length)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--services", type=int, default=SERVICES, help="services per KPI of the grid")
    ap.add_argument(
        "--sigma-spread", type=float, default=0.0, help="σ differing between series: SIGMA × exp(N(0, this))"
    )
    ap.add_argument("--tcpd", type=Path, help="folder of the Turing Change Point Dataset")
    ap.add_argument("--sample", action="store_true", help="planted stories of the sample organisation")
    ap.add_argument("--speed", action="store_true", help="timings: sample, 10,000 × 36, the 10M-row extract")
    args = ap.parse_args(argv)
    if args.services < 1 or args.sigma_spread < 0:
        ap.error("--services must be at least 1 and --sigma-spread at least 0")
    out: dict = {}
    if args.tcpd:
        out["tcpd"] = tcpd(args.tcpd)
    elif args.sample:
        out["sample"] = sample_eval()
    elif args.speed:
        out["speed"] = speed()
    else:
        started = time.perf_counter()
        grids = make_grid(args.reps, args.seed, args.services, args.sigma_spread)
        out["synthetic"] = score(grids)
        out["synthetic"]["services"] = args.services
        if args.services == SERVICES and not args.sigma_spread:
            out["synthetic"]["pooling"] = pooling(args.reps, args.seed, out["synthetic"])
        out["synthetic"]["ideal"] = ideal.evaluate(seed=args.seed)
        out["synthetic"]["ideal_own"] = ideal.evaluate(n=4000, seed=args.seed, reference="own")
        out["synthetic"]["ideal_pooled"] = ideal.evaluate(n=4000, seed=args.seed, reference="pooled")
        out["synthetic"]["ideal_pooled_form"] = ideal.evaluate(
            n=4000, seed=args.seed, reference="pooled_form"
        )
        out["synthetic"]["targets"] = verdicts(out["synthetic"])
        out["synthetic"]["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(out, indent=1, default=str))
    else:
        if "synthetic" in out:
            print_synthetic(out["synthetic"])
        if "tcpd" in out:
            print_tcpd(out["tcpd"])
        if "sample" in out:
            print_sample(out["sample"])
        if "speed" in out:
            print_speed(out["speed"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
