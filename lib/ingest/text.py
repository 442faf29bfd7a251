"""Delimited text files (CSV, TSV, TXT): encoding, separator, header row, records with line numbers.

Line numbers are physical lines of the file (1 = first line; blank lines count). A record that spans
several lines (a quoted field holding a line break) is numbered by the line it starts on.

Two readers give the same result: Polars reads well-formed files (the common case, fast), and
Python's csv module reads the rest (multi-line quoted fields, stray quotes, old Mac line ends).
Field counts come from the raw lines, so a record with too many or too few fields is reported
(code field_count) instead of being padded or truncated.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from lib.ingest.columns import find_header_row, header_score
from lib.ingest.report import Notice, Rejection
from lib.ingest.table import LINE, RawTable, ReadError, select, with_columns

SEPARATORS = (";", ",", "\t", "|")
_LINE_END = re.compile(r"\r\n|\n|\r")  # what Polars and the csv module count as line ends (not \f or \x1c)
SAMPLE_BYTES = 64 * 1024  # enough lines to settle the separator and find the header
CHUNKS = 8  # pieces a large Windows-1252 file is transcoded and read in, side by side
CHUNK_MIN_BYTES = 8 * 1024 * 1024
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f]")  # not tab, line ends, form feed, Ctrl-Z
SHOWN_LINE_CHARS = 200  # a rejected line is quoted this long at most


CP1252 = "Windows-1252"
# C1 controls (how Latin-1 reads bytes 0x80-0x9F) -> the Windows-1252 characters of those bytes. The
# five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) keep their Latin-1 reading.
_C1 = [chr(b) for b in range(0x80, 0xA0) if bytes([b]).decode("cp1252", errors="ignore")]
_CP1252 = [bytes([ord(c)]).decode("cp1252") for c in _C1]
_C1_TABLE = str.maketrans(dict(zip(_C1, _CP1252, strict=True)))


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    # In a UTF-8 file, a byte that is not UTF-8 is read as Windows-1252 (Latin-1 where undefined):
    # files pasted together from two exports are often like that.
    assert isinstance(error, UnicodeDecodeError)
    bad = bytes(error.object[error.start : error.end])
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error("vigie_cp1252", _cp1252_bytes)


def fix_cp1252(text: str | None) -> str | None:
    """A value of a Windows-1252 file read as Latin-1, with its cp1252-only characters restored."""
    return None if text is None else text.translate(_C1_TABLE)


def fix_cp1252_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(_C1, _CP1252)


def encoding_of(data: bytes, name: str) -> str:
    """The codec of a text file: utf-32, utf-16(-le/-be), utf-8-sig, utf-8 or cp1252 (meaning
    Windows-1252 with Latin-1 for its five undefined bytes), from its head. Raises ReadError for
    binary content."""
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return "utf-32"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    bom = data.startswith(codecs.BOM_UTF8)
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without a BOM: ASCII text with a NUL beside every character.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
        raise ReadError("not_text", file=name)
    if data.isascii():
        return "utf-8"
    try:
        # Only the head: decoding 80 MB in Python costs 60-120 ms, and Polars checks the rest as it
        # reads (read_text falls back to cp1252 when it finds a bad byte further on).
        codecs.getincrementaldecoder("utf-8")().decode(data[:65536], final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if bom else "utf-8"


_LABELS = {
    "utf-32": "UTF-32",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-8": "UTF-8",
    "cp1252": CP1252,
    "utf-8+cp1252": "UTF-8 + " + CP1252,
}


def to_utf8(data: bytes, encoding: str, name: str) -> bytes:
    """The whole file as UTF-8 bytes without BOM.

    Windows-1252 text is transcoded as Latin-1, which is more than twice as fast: the 27 characters
    where the two differ (€ ’ œ …, bytes 0x80-0x9F) then stand as C1 control characters, which
    `fix_cp1252` turns back, on the few distinct values that are kept.
    """
    if encoding == "cp1252":
        return latin1_to_utf8(data, 0, len(data))
    if encoding == "utf-8+cp1252":
        start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        return data[start:].decode("utf-8", errors="vigie_cp1252").encode("utf-8")
    if encoding in ("utf-8", "utf-8-sig"):
        return data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    return _recode(data, encoding, name)


TRANSCODE_BYTES = 256 * 1024


def latin1_to_utf8(data: bytes, start: int, end: int) -> bytes:
    """data[start:end] read as Latin-1, as UTF-8 bytes. Done in pieces that stay in the CPU cache
    (about 30% faster than in one go on tens of MB, and no fresh pages to fault in)."""
    if end - start <= TRANSCODE_BYTES:
        return str(data[start:end], "latin-1").encode("utf-8")
    view = memoryview(data)
    return b"".join(
        str(view[i : min(i + TRANSCODE_BYTES, end)], "latin-1").encode("utf-8")
        for i in range(start, end, TRANSCODE_BYTES)
    )


def _recode(data: bytes, codec: str, name: str) -> bytes:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ReadError("not_text", file=name) from exc
    return text.lstrip("\ufeff").encode("utf-8")


def is_blank(data: bytes) -> bool:
    """Nothing but whitespace (the cheap test first: copying a large file to strip it costs)."""
    return not data[:65536].strip() and not data.strip()


def _check_text(sample: str, name: str) -> None:
    """Binary content that happens to decode (an image, an archive) has NULs or many control codes."""
    controls = len(_CONTROLS.findall(sample))
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise ReadError("not_text", file=name)


def _records(lines: list[str], sep: str) -> list[tuple[int, list[str]]]:
    """(0-based physical line, fields) of each record of a sample, quotes respected."""
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep, quotechar='"', strict=False)
    out = []
    line = 0
    try:
        for fields in reader:
            out.append((line, fields))
            line = reader.line_num
    except csv.Error:
        pass
    return out


def _blank(fields: list[str]) -> bool:
    return not any(f.strip() for f in fields)


def detect_layout(
    sample: str, mapping: Mapping[str, str | None] | None = None
) -> tuple[str, int, list[str], int]:
    """(separator, header line index, headers, lines before the table such as "sep=;").

    Every candidate separator splits the whole sample; the winner recognises the most headers, then
    gives the same field count on the most lines (so decimal commas in a ";" file do not fool it).
    """
    lines = _LINE_END.split(sample)
    if lines and lines[-1] == "":
        lines.pop()
    if len(sample) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the sample may end in the middle of a line
    skip = 0
    forced = None
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        forced = lines[0].strip()[4]  # Excel's "sep=;" hint line
        skip = 1
    best: tuple | None = None
    for sep in (forced,) if forced else SEPARATORS:
        records = [(i + skip, f) for i, f in _records(lines[skip:], sep) if not _blank(f)]
        if not records:
            continue
        rows = [f for _, f in records]
        h = find_header_row(rows, mapping)
        header_line, headers = records[h]
        body = [len(f) for _, f in records[h + 1 :]] or [len(headers)]
        width, count = Counter(body).most_common(1)[0]
        consistent = sum(1 for n in body if n == len(headers)) / len(body)
        score = (header_score(headers, mapping), len(headers) > 1, round(consistent, 2), width)
        if best is None or score > best[0]:
            best = (score, sep, header_line, [h.strip() for h in headers])
    if best is None:
        return SEPARATORS[0], skip, [], skip
    _, sep, header_line, headers = best
    return sep, header_line, headers, skip


def _unused_byte(data: bytes) -> str:
    for candidate in ("\x1f", "\x1e", "\x1d", "\x1c", "\x01"):
        if candidate.encode() not in data:
            return candidate
    return ""


_LONE_CR = re.compile(rb"\r(?!\n)")


def _read_chunk(
    data: bytes, skip: int | None, sep: str, width: int
) -> tuple[pl.DataFrame, pl.Series | None] | None:
    """Records (c0..c{width-1}, __raw line, __blank) of one buffer whose header is after `skip`
    lines (None: no header, the first line has all its fields), and the field count of each record;
    None when the exact reader is needed.

    The raw lines are only read when some record may have the wrong number of fields: Polars
    refuses extra fields, and a record is only suspect of missing fields when its last one is empty.
    """
    names = RawTable.column_names(width)
    options = {
        "separator": sep,
        "has_header": skip is not None,
        "skip_lines": skip or 0,
        "new_columns": names,
        "infer_schema": False,
        "quote_char": '"',
        "raise_if_empty": False,
    }
    ragged = False
    try:
        frame = pl.read_csv(data, **options)
    except pl.exceptions.ComputeError:  # a line with more fields than the header
        ragged = True
        try:
            frame = pl.read_csv(data, truncate_ragged_lines=True, **options)
        except pl.exceptions.PolarsError:
            return None
    except pl.exceptions.PolarsError:
        return None
    if frame.width != width:
        return None
    all_null = pl.all_horizontal(pl.col(c).is_null() for c in names)
    quoted = b'"' in data
    short = width > 1 and select(frame, (pl.col(names[-1]).is_null() & ~all_null).any()).item()
    if not (ragged or quoted or short or width == 1):
        no_raw = pl.lit(None, dtype=pl.String).alias("__raw")
        return with_columns(frame, no_raw, all_null.alias("__blank")), None  # every record is whole
    other = _unused_byte(data)
    if not other:
        return None
    lines = pl.read_csv(
        data,
        has_header=False,
        separator=other,
        quote_char=None,
        skip_lines=0 if skip is None else skip + 1,
        infer_schema=False,
        new_columns=["line"],
        raise_if_empty=False,
    )
    if lines.width == 0 or lines.height != frame.height:
        return None  # a quoted field holds a line break: records and lines do not match
    line = pl.col("line")
    seps = line.str.count_matches(sep, literal=True)
    if quoted:
        quotes = line.str.count_matches('"', literal=True)
        if lines.select((quotes % 2 == 1).any()).item():
            return None
        outside = line.str.replace_all(r'"[^"]*"', "").str.count_matches(sep, literal=True)
        seps = pl.when(quotes > 0).then(outside).otherwise(seps)
    counts = select(lines, (seps + 1).fill_null(1).cast(pl.Int64)).to_series()
    raw = lines["line"]
    empty_line = raw.is_null() | (raw.str.strip_chars(f' \t{sep}"\u00a0') == "")
    blank = select(frame, all_null).to_series() | empty_line
    return with_columns(frame, raw.alias("__raw"), blank.alias("__blank")), counts


def _cp1252_chunks(data: bytes, header_line: int, sep: str, width: int) -> Iterator[tuple[bytes, int | None]]:
    """The body of a Windows-1252 file in CHUNKS pieces cut at line ends, each transcoded (as
    Latin-1): piece k+1 is transcoded while Polars reads piece k. A piece whose first line lacks
    fields gets the header line in front, so that Polars knows the width."""
    start = 0
    for _ in range(header_line):
        start = data.find(b"\n", start) + 1
    end = data.find(b"\n", start)
    body = len(data) if end < 0 else end + 1
    header = data[start:body].rstrip(b"\r\n").decode("latin-1").encode("utf-8") + b"\n"
    step = max(1, (len(data) - body) // CHUNKS)
    separator = sep.encode()
    while body < len(data):
        cut = data.find(b"\n", min(body + step, len(data) - 1))
        cut = len(data) if cut < 0 else cut + 1
        first = data.find(b"\n", body, cut)
        piece = latin1_to_utf8(data, body, cut)
        if data.count(separator, body, cut if first < 0 else first) == width - 1:
            yield piece, None
        else:
            yield header + piece, 0
        body = cut


def _fast_read(
    chunks: Iterable[tuple[bytes, int | None]], sep: str, width: int
) -> tuple[pl.DataFrame, pl.Series | None] | None:
    """`_read_chunk` over consecutive pieces of a file, read by a worker thread (Polars releases
    the GIL) while the next piece is prepared; None when any piece needs the exact reader."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = [pool.submit(_read_chunk, data, skip, sep, width) for data, skip in chunks]
        results = [f.result() for f in futures]
    if not results or any(r is None for r in results):
        return None
    if len(results) == 1:
        return results[0]
    frames = [r[0] for r in results if r is not None]
    counts = [r[1] for r in results if r is not None]
    if all(c is None for c in counts):
        return pl.concat(frames, how="vertical", rechunk=False), None
    counts = [
        pl.repeat(width, f.height, dtype=pl.Int64, eager=True) if c is None else c
        for f, c in zip(frames, counts, strict=True)
    ]
    return pl.concat(frames, how="vertical", rechunk=False), pl.concat(counts)


def _exact_read(text: str, sep: str, header_line: int, width: int) -> tuple[pl.DataFrame, pl.Series]:
    """The same as `_fast_read` with Python's csv module: slower, for the files Polars cannot split."""
    physical = _LINE_END.split(text)  # the csv module's line ends, not str.splitlines' (\f, \x1c, ...)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    lines, counts, raws, blanks = [], [], [], []
    start = 0
    for fields in reader:
        first_line, start = start, reader.line_num
        if first_line <= header_line:
            continue
        lines.append(first_line)
        counts.append(len(fields))
        raws.append(physical[first_line] if first_line < len(physical) else "")
        blanks.append(_blank(fields))
        for i in range(width):
            value = fields[i] if i < len(fields) else None
            columns[i].append(value if value else None)
    frame = pl.DataFrame(
        dict(zip(RawTable.column_names(width), columns, strict=True)) | {"__raw": raws},
        schema=dict.fromkeys([*RawTable.column_names(width), "__raw"], pl.String),
    )
    frame = with_columns(
        frame,
        pl.Series(LINE, [n + 1 for n in lines], dtype=pl.Int64),
        pl.Series("__blank", blanks, dtype=pl.Boolean),
    )
    return frame, pl.Series(counts, dtype=pl.Int64)


class _NotUtf8(Exception):
    """A file whose head is UTF-8 has a byte further on that is not."""


def read_text(
    data: bytes,
    name: str,
    *,
    max_columns: int,
    mapping: Mapping[str, str | None] | None = None,
    force_exact: bool = False,
) -> RawTable:
    """Read delimited text into a RawTable (all values String, blank records left out)."""
    if is_blank(data):
        raise ReadError("empty_file", file=name)
    encoding = encoding_of(data, name)
    try:
        return _read_text(data, name, encoding, max_columns, mapping, force_exact)
    except _NotUtf8:
        return _read_text(data, name, "utf-8+cp1252", max_columns, mapping, force_exact)


def _utf8_text(utf8: bytes) -> str:
    try:
        return utf8.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc


def _read_text(
    data: bytes,
    name: str,
    encoding: str,
    max_columns: int,
    mapping: Mapping[str, str | None] | None,
    force_exact: bool,
) -> RawTable:
    cp1252 = encoding == "cp1252"
    chunked = cp1252 and len(data) > CHUNK_MIN_BYTES and b'"' not in data
    utf8 = None if chunked else to_utf8(data, encoding, name)
    head = data[:SAMPLE_BYTES] if chunked else utf8[:SAMPLE_BYTES]  # type: ignore[index]
    sample = head.decode("latin-1") if chunked else head.decode("utf-8", errors="ignore")
    _check_text(sample[:65536], name)
    if cp1252:
        sample = sample.translate(_C1_TABLE)  # headers as written, "€" and all
    sep, header_line, headers, _ = detect_layout(sample, mapping)
    if not headers or not any(headers):
        raise ReadError("empty_file", file=name)
    if len(headers) > max_columns:
        raise ReadError("too_many_columns", file=name, count=len(headers), limit=max_columns)
    width = len(headers)
    fast = None
    if not force_exact and not (b"\r" in data and _LONE_CR.search(data)):
        chunks = _cp1252_chunks(data, header_line, sep, width) if chunked else [(utf8, header_line)]
        fast = _fast_read(chunks, sep, width)  # type: ignore[arg-type]
    first = header_line + 2  # 1-based line of the first record, after the header line
    if fast is not None:
        frame, counts = fast
    else:  # (a bad UTF-8 byte also ends the fast path: the decode here then says so)
        text = _utf8_text(utf8 or to_utf8(data, encoding, name))
        frame, counts = _exact_read(text.translate(_C1_TABLE) if cp1252 else text, sep, header_line, width)
    # One pass adds the line numbers and tells whether anything must be taken out (filtering copies
    # every column, so it is only done when needed).
    # Without counts every record has `width` fields (no column of that constant is built).
    added = [] if counts is None else [counts.alias("__fields")]
    if LINE not in frame.columns:
        added.append(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias(LINE))
    frame = frame.lazy().with_columns(added).collect() if added else frame
    wrong_any = pl.lit(False) if counts is None else (pl.col("__fields") != width).any()
    has_blank, has_wrong = frame.select(pl.col("__blank").any(), wrong_any).row(0)
    if has_blank:
        frame = frame.filter(~pl.col("__blank"))
    if frame.is_empty():
        raise ReadError("header_only", file=name, columns=", ".join(h for h in headers if h))
    rejected = []
    wrong = pl.col("__fields") != width
    if has_wrong:
        for line, raw, found in frame.filter(wrong).select(LINE, "__raw", "__fields").iter_rows():
            shown = raw[:SHOWN_LINE_CHARS] if raw else raw
            value = fix_cp1252(shown) if cp1252 else shown
            rejected.append(
                Rejection(name, line, None, value, "field_count", {"expected": width, "found": found})
            )
    rows_read = frame.height
    if rejected:
        frame = frame.filter(~wrong)
    label = _LABELS[encoding]
    notices = (
        [] if encoding in ("utf-8", "utf-8-sig") else [Notice("encoding", {"file": name, "encoding": label})]
    )
    return RawTable(
        file=name,
        kind="text",
        headers=headers,
        frame=frame.drop("__raw", "__fields", "__blank", strict=False),
        cp1252=cp1252 and fast is not None,
        rejected=rejected,
        notices=notices,
        decimal_hint="," if sep == ";" else ("." if sep == "," else None),
        rows_read=rows_read,
    )
