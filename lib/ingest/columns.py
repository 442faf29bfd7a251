"""Find the header row and map source headers to the canonical columns of lib.contract."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lib.contract import (
    AMBIGUOUS_HEADERS,
    CATALOG_COLUMNS,
    COLUMN_BY_NAME,
    REQUIRED,
    canonical_column,
    normalise_header,
    parse_direction,
)
from lib.ingest.report import Notice

HEADER_SEARCH_ROWS = 10  # title rows above the header: look this far down for it
IGNORE = ""  # a manual mapping to "" (or None) leaves the column aside


def _target(header: str, mapping: Mapping[str, str | None] | None) -> str | None:
    if mapping and header in mapping:
        return mapping[header] or None
    return canonical_column(header)


def header_score(
    cells: Sequence[str | None], mapping: Mapping[str, str | None] | None = None
) -> tuple[int, int]:
    """(required columns recognised, columns recognised) in one candidate header row."""
    found = {_target(str(c).strip(), mapping) for c in cells if c is not None and str(c).strip()}
    found.discard(None)
    return sum(1 for name in REQUIRED if name in found), len(found)


def catalog_score(cells: Sequence[str | None]) -> int:
    """Catalog columns recognised beside a kpi column (0 without one); a sheet or file with a period
    or actual column is an extract, not a catalog."""
    found = {canonical_column(str(c)) for c in cells if c is not None and str(c).strip()}
    if "kpi" not in found or "period" in found or "actual" in found:
        return 0
    return len(found & set(CATALOG_COLUMNS)) - 1


def find_header_row(
    rows: Sequence[Sequence[str | None]], mapping: Mapping[str, str | None] | None = None
) -> int:
    """Index of the header among the first rows: the first with the best score, else the first
    non-empty row (the report then lists its cells so the user can map them by hand)."""
    best, best_score = None, (0, 0)
    first_nonempty = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if first_nonempty is None and any(c is not None and str(c).strip() for c in row):
            first_nonempty = i
        score = header_score(row, mapping)
        if score[1] >= 2 and score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    return first_nonempty if first_nonempty is not None else 0


@dataclass
class ColumnMap:
    """Which source column (by position) feeds which canonical column."""

    by_name: dict[str, int] = field(default_factory=dict)  # canonical -> position of the source column
    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical (report.columns)
    unmapped: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [name for name in REQUIRED if name not in self.by_name]


def map_headers(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None = None,
    values_of: Callable[[int], Sequence[str]] | None = None,
) -> ColumnMap:
    """Map headers (as written) to canonical columns.

    A manual `mapping` wins over recognition; two headers for one column: the first wins (warning);
    unknown headers are listed in `unmapped`. An ambiguous header ("Direction": a department in
    French, higher/lower-is-better in English) is the service unless another column is the service
    or its values (`values_of(position)`, distinct non-empty values) are direction words.
    """
    out = ColumnMap()
    targets: list[str | None] = []
    for header in headers:
        target = _target(header, mapping)
        if mapping and header in mapping and target is not None and target not in COLUMN_BY_NAME:
            target = canonical_column(target)  # a hand mapping may name a synonym
        targets.append(target)

    manual = set(mapping or ())
    plain_service = any(
        t == "service" and (h in manual or normalise_header(h) not in AMBIGUOUS_HEADERS)
        for h, t in zip(headers, targets, strict=True)
    )
    for i, header in enumerate(headers):
        key = normalise_header(header)
        if header in manual or key not in AMBIGUOUS_HEADERS:
            continue
        other = AMBIGUOUS_HEADERS[key][1]
        values = [v for v in (values_of(i) if values_of else ()) if v]
        words = bool(values) and all(parse_direction(v) is not None for v in values)
        if plain_service or words:
            targets[i] = other
            if not plain_service:  # only the values decided: say so (beside a service column it is plain)
                out.notices.append(Notice("ambiguous_header", {"header": header, "column": other}))
        else:
            plain_service = True

    for i, (header, target) in enumerate(zip(headers, targets, strict=True)):
        if not header.strip():
            continue
        if target is None:
            out.unmapped.append(header)
            continue
        if target in out.by_name:
            kept = headers[out.by_name[target]]
            out.notices.append(
                Notice("duplicate_column", {"column": target, "kept": kept, "ignored": header})
            )
            out.unmapped.append(header)
            continue
        out.by_name[target] = i
        out.columns[header] = target
    if out.unmapped:
        out.notices.append(Notice("unmapped_columns", {"columns": ", ".join(out.unmapped)}))
    return out
