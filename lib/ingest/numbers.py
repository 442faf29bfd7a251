"""Numbers written the French or the English way, parsed with vectorised Polars string expressions.

"1 234,5" (space, NBSP or narrow NBSP thousands), "1.234,5", "1,234.5", "85,3 %" (kept as 85.3: the
unit says %), "+5", "−5" (Unicode minus). The decimal separator is decided per column from its
values: a value that can only be read one way ("1,5", "1.234,5", "1.234.567") settles it; "1.234"
alone reads as a decimal unless the column (or, failing that, the file) shows comma decimals. A value
using the thousands separator must group digits by three, so "1,5" in an English column is not a
number rather than a silent 15.

Speed: the evidence is first looked for in a sample spread over the column (every value when the
sample cannot tell); the plain conversion runs on every row, and only the rows it fails on go
through the slower cleaning ("%", "+", "−").
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lib.ingest.table import select, with_columns

SPACES = r"[\s\u00a0\u202f']"  # \s is Unicode-aware in Polars: NBSP and narrow NBSP are included
PLAIN = r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$"  # how a spreadsheet writes a numeric cell as text
SPACE_CHARS = (" ", "\u00a0", "\u202f", "\t", "'")
SAMPLE_ROWS = 20_000


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # "," or "."

    @property
    def thousands(self) -> str:
        return "." if self.decimal == "," else ","


def _clean(e: pl.Expr, full: bool) -> pl.Expr:
    """Spaces out; with `full`, also a trailing '%', a leading '+' and the Unicode minus."""
    e = e.str.replace_all(SPACES, "")
    if full:
        e = e.str.strip_suffix("%").str.strip_prefix("+").str.replace("\u2212", "-", literal=True)
    return e


def _votes(e: pl.Expr, excel: bool) -> tuple[pl.Expr, pl.Expr]:
    """(values only readable with a decimal comma, values only readable with a decimal dot)."""
    n_comma = e.str.count_matches(",", literal=True)
    n_dot = e.str.count_matches(".", literal=True)
    after_comma = e.str.len_bytes() - e.str.find(",", literal=True) - 1
    after_dot = e.str.len_bytes() - e.str.find(".", literal=True) - 1
    dot_first = e.str.find(".", literal=True) < e.str.find(",", literal=True)
    both = (n_comma > 0) & (n_dot > 0)
    only_comma = (n_comma > 0) & (n_dot == 0)
    only_dot = (n_dot > 0) & (n_comma == 0)
    comma = (both & dot_first) | (only_comma & (n_comma == 1) & (after_comma != 3)) | (only_dot & (n_dot > 1))
    dot = (both & ~dot_first) | (only_dot & (n_dot == 1) & (after_dot != 3)) | (only_comma & (n_comma > 1))
    if excel:  # numeric cells arrive as plain "1234.5": only text cells say how people write numbers
        text = ~e.str.contains(PLAIN)
        comma, dot = comma & text, dot & text
    return comma.fill_null(False).sum(), dot.fill_null(False).sum()


def _count_votes(frame: pl.DataFrame, columns: list[str], excel: bool) -> dict[str, tuple[int, int]]:
    cleaned = select(frame, [_clean(pl.col(c), full=True) for c in columns])  # once, not once per use
    exprs = []
    for c in columns:
        comma, dot = _votes(pl.col(c), excel)
        exprs += [comma.alias(f"{c}|,"), dot.alias(f"{c}|.")]
    row = select(cleaned, exprs).row(0, named=True)
    return {c: (row[f"{c}|,"], row[f"{c}|."]) for c in columns}


def _sample(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return frame.select(columns).gather_every(max(1, frame.height // SAMPLE_ROWS))


def _has(frame: pl.DataFrame, columns: list[str], chars: tuple[str, ...]) -> dict[tuple[str, str], bool]:
    row = select(
        frame,
        [pl.col(c).str.contains(ch, literal=True).any().alias(f"{c}|{ch}") for c in columns for ch in chars],
    ).row(0)
    return dict(zip([(c, ch) for c in columns for ch in chars], row, strict=True))


def decide_formats(
    frame: pl.DataFrame, columns: list[str], *, hint: str | None = None, excel: bool = False
) -> dict[str, NumberFormat]:
    """The decimal separator of each String column (a sample first; every value when it cannot tell)."""
    if not columns:
        return {}
    sample = _sample(frame, columns)
    votes = _count_votes(sample, columns, excel)
    has = _has(sample, columns, (",", "."))
    undecided = [c for c in columns if votes[c][0] == votes[c][1]]
    if undecided and sample.height < frame.height:
        has |= _has(frame, undecided, (",", "."))
        full = [c for c in undecided if has[(c, ",")] or has[(c, ".")]]
        if full:
            votes.update(_count_votes(frame, full, excel))
    total_comma = sum(v[0] for v in votes.values())
    total_dot = sum(v[1] for v in votes.values())
    file_choice = None if total_comma == total_dot else ("," if total_comma > total_dot else ".")
    out = {}
    for c in columns:
        comma, dot = votes[c]
        if comma != dot:
            choice = "," if comma > dot else "."
        elif has[(c, ",")] and not has[(c, ".")]:
            choice = (
                file_choice or hint or ","
            )  # evidence both ways: the French reading  # "12,5" / "1,234" and nothing else to go on: French
        elif has[(c, ".")] and not has[(c, ",")]:
            choice = "," if file_choice == "," else "."  # "1.234" alone reads as a decimal
        else:
            choice = file_choice or hint or ","  # evidence both ways: the French reading
        out[c] = NumberFormat(choice)
    return out


def _convert(e: pl.Expr, fmt: NumberFormat, thousands_seen: bool) -> tuple[pl.Expr, pl.Expr]:
    """(Float64 value or null, thousands separator misused) of a cleaned text expression."""
    t, d = fmt.thousands, fmt.decimal
    bad_grouping = pl.lit(False)
    if thousands_seen:
        grouped = e.str.contains(rf"^-?\d{{1,3}}(?:\{t}\d{{3}})+(?:\{d}\d*)?$")
        bad_grouping = e.str.contains(t, literal=True) & ~grouped
        e = e.str.replace_all(t, "", literal=True)
    if d == ",":
        e = e.str.replace(",", ".", literal=True)
    value = e.cast(pl.Float64, strict=False)
    return pl.when(bad_grouping).then(None).otherwise(value), bad_grouping


@dataclass
class NumberPlan:
    """How to parse the number columns of a frame, decided from a sample (see `plan_numbers`)."""

    strings: list[str]
    numeric: list[str]
    formats: dict[str, NumberFormat]
    exprs: list[pl.Expr]  # add <column>__num (Float64, null where the plain reading fails) and __blank


def plan_numbers(
    frame: pl.DataFrame, columns: list[str], *, hint: str | None = None, excel: bool = False
) -> NumberPlan:
    """The plain conversion of each column, ready to run with other work in one query.

    It removes the spaces the sample shows and, when the sample has no thousands separator, leaves
    values that have one to the retry of `finish_numbers` (so "1.234" in a comma-decimal column is
    never read as 1.234): the sample decides speed, never values.
    """
    numeric = [c for c in columns if frame.schema[c].is_numeric()]
    strings = [c for c in columns if c not in numeric]
    text = frame.select(pl.col(c).cast(pl.String) for c in strings)
    formats = decide_formats(text, strings, hint=hint, excel=excel)
    in_sample = _has(_sample(text, strings), strings, (*SPACE_CHARS, ",", ".")) if strings else {}
    exprs: list[pl.Expr] = []
    for c in strings:
        t = formats[c].thousands
        source = pl.col(c).cast(pl.String)
        spaces = [ch for ch in SPACE_CHARS if in_sample[(c, ch)]]
        if in_sample[(c, t)]:
            cleaned = source.str.replace_many(spaces, [""] * len(spaces)) if spaces else source
            value, _ = _convert(cleaned, formats[c], True)
        else:
            # One pass: spaces out, the decimal comma to a dot, and the thousands separator to "x" so
            # that a value holding one fails here and goes to the careful retry.
            swaps = dict.fromkeys(spaces, "") | {t: "x"} | ({",": "."} if formats[c].decimal == "," else {})
            cleaned = source.str.replace_many(list(swaps), list(swaps.values()))
            value = cleaned.cast(pl.Float64, strict=False)
        if excel:
            plain = cleaned.str.contains(PLAIN)
            value = pl.when(plain).then(cleaned.cast(pl.Float64, strict=False)).otherwise(value)
        exprs += [value.alias(f"{c}__num"), (source.is_null() | (cleaned == "")).alias(f"{c}__blank")]
    for c in numeric:
        value = pl.col(c).cast(pl.Float64)
        # A NaN float is how Parquet writers spell "no value"; infinity is not a measurement.
        exprs += [
            value.fill_nan(None).alias(f"{c}__num"),
            value.fill_nan(None).is_null().alias(f"{c}__blank"),
        ]
    return NumberPlan(strings, numeric, formats, exprs)


def retry_numbers(frame: pl.DataFrame, plan: NumberPlan) -> pl.DataFrame:
    """Retry the rows the plain conversion failed on with the full cleaning ("85 %", "+5", "−5",
    "1.234,5"): usually none or few, so only those rows are worked on."""
    strings = plan.strings
    if not strings:
        return frame
    failed = {c: ~pl.col(f"{c}__blank") & pl.col(f"{c}__num").is_null() for c in strings}
    retry = frame.select(pl.any_horizontal(failed.values())).to_series()
    if not retry.any():
        return frame
    index = retry.arg_true()
    fixed = frame[index].select(
        *(
            pl.when(failed[c])
            .then(_convert(_clean(pl.col(c).cast(pl.String), full=True), plan.formats[c], True)[0])
            .otherwise(pl.col(f"{c}__num"))
            .alias(f"{c}__num")
            for c in strings
        ),
        *(
            (pl.col(c).is_null() | (_clean(pl.col(c).cast(pl.String), full=False) == "")).alias(f"{c}__blank")
            for c in strings
        ),
    )
    return frame.with_columns(frame[name].clone().scatter(index, fixed[name]) for name in fixed.columns)


def number_values(plan: NumberPlan) -> list[pl.Expr]:
    """Each column set to its Float64 value, and `<column>__bad`; drop `<column>__num` after."""
    columns = [*plan.strings, *plan.numeric]
    num = {c: pl.col(f"{c}__num") for c in columns}
    bad = {c: ~pl.col(f"{c}__blank") & (num[c].is_null() | ~num[c].is_finite()) for c in columns}
    return [bad[c].alias(f"{c}__bad") for c in columns] + [
        pl.when(bad[c]).then(None).otherwise(num[c]).alias(c) for c in columns
    ]


def finish_numbers(frame: pl.DataFrame, plan: NumberPlan) -> pl.DataFrame:
    """`retry_numbers`, then the values and `<column>__bad`."""
    frame = retry_numbers(frame, plan)
    drop = [f"{c}__num" for c in (*plan.strings, *plan.numeric)]
    return with_columns(frame, number_values(plan)).drop(drop)


def parse_number_columns(
    frame: pl.DataFrame, columns: list[str], *, hint: str | None = None, excel: bool = False
) -> tuple[pl.DataFrame, dict[str, NumberFormat]]:
    """Parse `columns` of `frame` in place to Float64 and add Boolean columns `<column>__bad` (a
    non-blank value that is not a finite number: "nan", "inf" and "n/a" are not numbers) and
    `<column>__blank` (nothing written)."""
    plan = plan_numbers(frame, columns, hint=hint, excel=excel)
    return finish_numbers(with_columns(frame, plan.exprs), plan), plan.formats
