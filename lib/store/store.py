"""Store: corrective actions, their comments and history, and team notes, in SQLite or PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Row, and_, insert, select, update

from lib.config import Settings
from lib.i18n import LANGS
from lib.store import frames, validate
from lib.store.migrations import MIGRATIONS, Migration, current_version, migrate
from lib.store.model import (
    DATE_FIELDS,
    EDITABLE,
    SAMPLE_AUTHOR,
    Action,
    Change,
    Comment,
    Conflict,
    Issue,
    Note,
    NotFound,
    SignalRef,
    ValidationError,
)
from lib.store.sample import load_stories, sample_action, sample_notes, sample_open_actions
from lib.store.schema import actions, briefings, comments, make_engine, notes, sqlite_url
from lib.store.schema import changes as change_rows

BRIEFING_AUTHOR_MAX = 200  # the created_by column
_ACTION_COLUMNS = [actions.c[name] for name in frames.ACTION_SCHEMA]
_NOTE_COLUMNS = [notes.c[name] for name in frames.NOTE_SCHEMA]
_ORDER = (actions.c.due.is_(None), actions.c.due, actions.c.id)  # by due date, undated last
_DEFAULTS: dict[str, object] = {
    "service": "",
    "kpi": None,
    "title": "",
    "description": "",
    "owner": "",
    "start": None,  # today
    "due": None,
    "status": "planned",
    "priority": "medium",
    "expected_effect": "",
}


def _as_date(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


def _as_text(value: object) -> str | None:
    """A field's value in the history: dates ISO, empty as None."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _from_text(field: str, value: str | None) -> object:
    if value is None:
        return None
    return date.fromisoformat(value) if field in DATE_FIELDS else value


def _action(row: Row) -> Action:
    m = row._mapping
    signal = None
    if m["signal_kind"] is not None:
        signal = SignalRef(m["signal_kind"], m["signal_period"], m["signal_severity"], m["signal_message"])
    values = {k: m[k] for k in frames.ACTION_SCHEMA if not k.startswith("signal_")}
    return Action(**values, signal=signal)


def _raise_errors(issues: list[Issue]) -> list[Issue]:
    if any(i.level == "error" for i in issues):
        raise ValidationError(issues)
    return issues


class Store:
    """The actions and notes database; migrates it on start. Thread-safe: one engine, one pool."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] | None = None,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self._engine = make_engine(url)
        self._clock = clock or (lambda: datetime.now(UTC))
        try:
            migrate(self._engine, migrations, clock=self._clock)
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Store:
        """settings.database_url, else a SQLite file `vigie.db` in the data folder (created)."""
        return cls(settings.database_url or sqlite_url(settings.data_dir), **kwargs)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._engine.url!r})"  # the URL's repr hides its password

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return current_version(conn)

    # --- Transactions -----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            conn.execution_options(vigie_write=True)  # SQLite: BEGIN IMMEDIATE (schema.py)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    # --- Actions ----------------------------------------------------------------------------------

    def create_action(
        self,
        dataset: str,
        *,
        service: str,
        title: str,
        owner: str = "",
        kpi: str | None = None,
        description: str = "",
        start: date | None = None,
        due: date | None = None,
        status: str = "planned",
        priority: str = "medium",
        expected_effect: str = "",
        signal: SignalRef | None = None,
        author: str,
        known_services: Collection[str] | None = None,
        known_kpis: Collection[str] | None = None,
    ) -> tuple[Action, list[Issue]]:
        """A new action (version 1) and its warnings; ValidationError lists every error at once."""
        fields = {
            "service": service,
            "kpi": kpi,
            "title": title,
            "description": description,
            "owner": owner,
            "start": start,
            "due": due,
            "status": status,
            "priority": priority,
            "expected_effect": expected_effect,
            "signal": signal,
        }
        (action,), issues = self._create(
            dataset, [fields], author, known_services, known_kpis, numbered=False
        )
        return action, issues

    def create_actions(
        self,
        dataset: str,
        items: Iterable[Mapping[str, object]],
        *,
        author: str,
        known_services: Collection[str] | None = None,
        known_kpis: Collection[str] | None = None,
    ) -> tuple[list[Action], list[Issue]]:
        """Several new actions in one transaction, all or none (an import): create_action's fields each.

        Issues carry the item's 1-based position as values["row"]; one error anywhere refuses them all.
        """
        return self._create(dataset, items, author, known_services, known_kpis, numbered=True)

    def _create(
        self,
        dataset: str,
        items: Iterable[Mapping[str, object]],
        author: str,
        known_services: Collection[str] | None,
        known_kpis: Collection[str] | None,
        *,
        numbered: bool,
    ) -> tuple[list[Action], list[Issue]]:
        now = self._now()
        issues = validate.check_author(author)
        prepared = []
        for row, item in enumerate(items, start=1):
            unknown = set(item) - {*EDITABLE, "signal"}
            if unknown:
                raise ValueError(f"unknown action fields: {sorted(unknown)}")
            values = self._clean({k: item.get(k, v) for k, v in _DEFAULTS.items()})
            values["start"] = values["start"] or now.date()
            signal = item.get("signal")
            found = validate.check_action(
                values,
                today=now.date(),
                checked=EDITABLE,
                known_services=known_services,
                known_kpis=known_kpis,
            )
            if signal is not None:
                found += validate.check_length("signal_message", signal.message)  # type: ignore[union-attr]
            issues += [replace(i, values={**i.values, "row": row}) for i in found] if numbered else found
            prepared.append((values, signal))
        _raise_errors(issues)
        if not prepared:
            return [], issues
        with self._write() as conn:
            return self._insert_actions(conn, dataset, prepared, author.strip(), now), issues

    def update_action(
        self,
        action_id: int,
        changes: Mapping[str, object],
        *,
        expected_version: int,
        author: str,
        known_services: Collection[str] | None = None,
        known_kpis: Collection[str] | None = None,
    ) -> tuple[Action, list[Issue]]:
        """Apply `changes` if the action is still at `expected_version`, else Conflict (nothing written).

        One transaction: UPDATE ... WHERE id AND version, one Change row per changed field. Values equal
        to the saved ones are no change: nothing is written and the version stays.
        """
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}; editable: {EDITABLE}")
        now = self._now()
        wanted = self._clean(dict(changes))
        with self._write() as conn:
            current = self._get(conn, action_id)
            if current.version != expected_version:
                raise self._conflict(conn, current, expected_version)
            diff = {k: v for k, v in wanted.items() if v != getattr(current, k)}
            merged = {k: getattr(current, k) for k in EDITABLE} | diff
            issues = validate.check_author(author)
            issues += validate.check_action(
                merged, today=now.date(), checked=diff, known_services=known_services, known_kpis=known_kpis
            )
            _raise_errors(issues)
            if not diff:
                return current, issues
            author = author.strip()
            version = expected_version + 1
            done = conn.execute(
                update(actions)
                .where(and_(actions.c.id == action_id, actions.c.version == expected_version))
                .values(**diff, version=version, updated_at=now, updated_by=author)
            )
            if done.rowcount != 1:  # another writer got in between our read and our write
                raise self._conflict(conn, self._get(conn, action_id), expected_version)
            conn.execute(
                insert(change_rows),
                [
                    {
                        "action_id": action_id,
                        "version": version,
                        "field": field,
                        "old": _as_text(getattr(current, field)),
                        "new": _as_text(value),
                        "changed_at": now,
                        "changed_by": author,
                    }
                    for field, value in sorted(diff.items(), key=lambda kv: EDITABLE.index(kv[0]))
                ],
            )
        return replace(current, **diff, version=version, updated_at=now, updated_by=author), issues

    def get_action(self, action_id: int) -> Action:
        with self._read() as conn:
            return self._get(conn, action_id)

    def actions(self, dataset: str) -> list[Action]:
        """All of the dataset's actions, by due date (undated last), then id."""
        with self._read() as conn:
            rows = conn.execute(select(actions).where(actions.c.dataset == dataset).order_by(*_ORDER))
            return [_action(row) for row in rows]

    def actions_frame(self, dataset: str) -> pl.DataFrame:
        """actions() as a frame: one row each, the Action fields with the signal flattened (signal_*)."""
        with self._read() as conn:
            query = select(*_ACTION_COLUMNS).where(actions.c.dataset == dataset).order_by(*_ORDER)
            return frames.rows_frame(conn.execute(query), frames.ACTION_SCHEMA)

    def history(self, action_id: int) -> list[Change]:
        """Every changed field of every update, oldest first."""
        with self._read() as conn:
            self._get(conn, action_id)
            rows = conn.execute(
                select(change_rows)
                .where(change_rows.c.action_id == action_id)
                .order_by(change_rows.c.version, change_rows.c.id)
            )
            return [Change(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]

    # --- Comments ---------------------------------------------------------------------------------

    def add_comment(self, action_id: int, text: str, *, author: str) -> Comment:
        _raise_errors(validate.check_author(author) + validate.check_text(text))
        now, author, text = self._now(), author.strip(), text.strip()
        with self._write() as conn:
            self._get(conn, action_id)
            new_id = conn.execute(
                insert(comments),
                {
                    "action_id": action_id,
                    "text": text,
                    "created_at": now,
                    "created_by": author,
                    "updated_at": now,
                    "updated_by": author,
                },
            ).inserted_primary_key[0]
        return Comment(new_id, action_id, text, now, author)

    def comments(self, action_id: int) -> list[Comment]:
        """The action's comment thread, oldest first."""
        with self._read() as conn:
            self._get(conn, action_id)
            query = (
                select(
                    comments.c.id,
                    comments.c.action_id,
                    comments.c.text,
                    comments.c.created_at,
                    comments.c.created_by,
                )
                .where(comments.c.action_id == action_id)
                .order_by(comments.c.created_at, comments.c.id)
            )
            return [Comment(*row) for row in conn.execute(query)]

    # --- Notes ------------------------------------------------------------------------------------

    def add_note(
        self,
        dataset: str,
        *,
        service: str,
        kpi: str,
        period: date,
        text: str,
        author: str,
        known_services: Collection[str] | None = None,
        known_kpis: Collection[str] | None = None,
    ) -> Note:
        issues = validate.check_author(author)
        issues += validate.check_name("service", service, known_services)
        issues += validate.check_name("kpi", kpi, known_kpis)
        if not isinstance(period, date):
            issues.append(Issue("period", "empty_period", "error", {}))
        _raise_errors(issues + validate.check_text(text))
        now = self._now()
        with self._write() as conn:
            return self._insert_note(
                conn, dataset, service, kpi, _as_date(period), text.strip(), author.strip(), now
            )

    def notes(self, dataset: str, *, service: str | None = None, kpi: str | None = None) -> list[Note]:
        """The dataset's notes (not deleted), by period, service, KPI, then id."""
        with self._read() as conn:
            return [Note(*row) for row in conn.execute(self._notes_query(dataset, service, kpi))]

    def notes_frame(
        self, dataset: str, *, service: str | None = None, kpi: str | None = None
    ) -> pl.DataFrame:
        with self._read() as conn:
            return frames.rows_frame(
                conn.execute(self._notes_query(dataset, service, kpi)), frames.NOTE_SCHEMA
            )

    def delete_note(self, note_id: int, *, author: str) -> None:
        """Hides the note; its row stays with who deleted it and when."""
        _raise_errors(validate.check_author(author))
        now, author = self._now(), author.strip()
        with self._write() as conn:
            done = conn.execute(
                update(notes)
                .where(and_(notes.c.id == note_id, notes.c.deleted_at.is_(None)))
                .values(deleted_at=now, deleted_by=author, updated_at=now, updated_by=author)
            )
            if done.rowcount != 1:
                raise NotFound(f"no note {note_id}")

    # --- Briefings --------------------------------------------------------------------------------

    def record_briefing(
        self,
        dataset: str,
        *,
        version: int | None,
        link: str,
        lang: str,
        period: date,
        snapshot: dict,
        author: str,
    ) -> int:
        """Record a generated pack (its date is the store's clock); returns its id.

        `snapshot` must be plain JSON (lib.briefing.since.snapshot): ValueError otherwise, nothing written.
        An empty author is allowed (a pack downloaded before anyone gave a name), a longer one than the
        column holds is not.
        """
        if not dataset:
            raise ValueError("a briefing belongs to a dataset: its slug is required")
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
        if not isinstance(period, date):
            raise ValueError(f"period must be a date, got {type(period).__name__}")
        author = author.strip()
        if len(author) > BRIEFING_AUTHOR_MAX:
            raise ValueError(f"author is {len(author)} characters; at most {BRIEFING_AUTHOR_MAX}")
        try:
            text = json.dumps(snapshot, ensure_ascii=False, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the snapshot is not plain JSON: {exc}") from exc
        row = {
            "dataset": dataset,
            "created_at": self._now(),
            "created_by": author,
            "link": link,
            "lang": lang,
            "period": _as_date(period),
            "version": version,
            "snapshot": text,
        }
        with self._write() as conn:
            return conn.execute(insert(briefings), row).inserted_primary_key[0]

    def last_briefing(self, dataset: str) -> dict | None:
        """The dataset's latest recorded briefing (see `briefings`), or None."""
        found = self._briefings(dataset, limit=1)
        return found[0] if found else None

    def briefings(self, dataset: str) -> list[dict]:
        """The dataset's recorded briefings, newest first: {id, created_at, created_by, link, lang, period,
        version, snapshot}; a snapshot that no longer reads as JSON comes back as None."""
        return self._briefings(dataset)

    def _briefings(self, dataset: str, limit: int | None = None) -> list[dict]:
        query = (
            select(briefings)
            .where(briefings.c.dataset == dataset)
            .order_by(briefings.c.created_at.desc(), briefings.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            del row["dataset"]
            try:
                row["snapshot"] = json.loads(row["snapshot"])
            except ValueError:
                row["snapshot"] = None
        return rows

    # --- Sample -----------------------------------------------------------------------------------

    def seed_sample(self, dataset: str = "sample") -> int:
        """The sample organisation's corrective actions and notes, once: rows added (0 the next time).

        The done action comes first, then the open ones, dated from today (the clock's). A row counts
        as there when the sample author wrote one for the same thing, even if someone edited or
        deleted it since: seeding never brings back what was removed. The key is what cannot change:
        the service, KPI and start of the done action (fixed dates), the signal of an open one (its
        dates move with the seeding day; the signal is set at creation), a note's service, KPI, period.
        """
        stories = load_stories()
        now, added = self._now(), 0
        seed = [sample_action(stories), *sample_open_actions(stories, now.date())]
        note_rows = sample_notes(stories)
        with self._write() as conn:
            mine = and_(actions.c.dataset == dataset, actions.c.created_by == SAMPLE_AUTHOR)
            for act in seed:
                if act.signal is None:
                    same = [actions.c.service == act.service, actions.c.kpi == act.kpi]
                    same.append(actions.c.start == act.start)
                else:
                    same = [actions.c.signal_kind == act.signal.kind]
                    same.append(actions.c.signal_period == act.signal.period)
                if conn.execute(select(actions.c.id).where(mine, *same)).first() is None:
                    values = {k: v for k, v in asdict(act).items() if k != "signal"}
                    self._insert_actions(conn, dataset, [(values, act.signal)], SAMPLE_AUTHOR, now)
                    added += 1
            for note in note_rows:
                seeded = conn.execute(
                    select(notes.c.id).where(
                        notes.c.dataset == dataset,
                        notes.c.created_by == SAMPLE_AUTHOR,
                        notes.c.service == note.service,
                        notes.c.kpi == note.kpi,
                        notes.c.period == note.period,
                    )
                ).first()
                if seeded is None:
                    self._insert_note(
                        conn, dataset, note.service, note.kpi, note.period, note.text, SAMPLE_AUTHOR, now
                    )
                    added += 1
        return added

    # --- Internals --------------------------------------------------------------------------------

    @staticmethod
    def _clean(values: dict[str, object]) -> dict[str, object]:
        """Trim what people type around names and titles; '' KPI means none; datetimes mean their date."""
        out = dict(values)
        for key in ("title", "owner"):
            if isinstance(out.get(key), str):
                out[key] = out[key].strip()  # type: ignore[union-attr]
        if "kpi" in out and not (isinstance(out["kpi"], str) and out["kpi"].strip()):
            out["kpi"] = None
        for key in DATE_FIELDS & set(out):
            out[key] = _as_date(out[key])
        return out

    def _get(self, conn: Connection, action_id: int) -> Action:
        row = conn.execute(select(actions).where(actions.c.id == action_id)).first()
        if row is None:
            raise NotFound(f"no action {action_id}")
        return _action(row)

    @staticmethod
    def _insert_actions(
        conn: Connection,
        dataset: str,
        prepared: list[tuple[dict[str, object], SignalRef | None]],
        author: str,
        now: datetime,
    ) -> list[Action]:
        if not dataset:
            raise ValueError("an action belongs to a dataset: its slug is required")
        rows, made = [], []
        stamps = {"created_at": now, "created_by": author, "updated_at": now, "updated_by": author}
        for values, signal in prepared:
            flat = {f"signal_{k}": None for k in ("kind", "period", "severity", "message")}
            if signal is not None:
                signal = replace(signal, period=_as_date(signal.period), severity=float(signal.severity))
                flat |= {f"signal_{k}": v for k, v in asdict(signal).items()}
            rows.append({"dataset": dataset, **values, **flat, "version": 1, **stamps})
            made.append({"dataset": dataset, **values, "signal": signal, "version": 1, **stamps})
        # One constant statement for all rows (RETURNING through insertmanyvalues): compiled once.
        query = insert(actions).returning(actions.c.id, sort_by_parameter_order=True)
        ids = conn.execute(query, rows).scalars().all()
        return [Action(id=i, **m) for i, m in zip(ids, made, strict=True)]  # type: ignore[arg-type]

    @staticmethod
    def _insert_note(
        conn: Connection,
        dataset: str,
        service: str,
        kpi: str,
        period: date,
        text: str,
        author: str,
        now: datetime,
    ) -> Note:
        if not dataset:
            raise ValueError("a note belongs to a dataset: its slug is required")
        stamps = {"created_at": now, "created_by": author, "updated_at": now, "updated_by": author}
        row = {"dataset": dataset, "service": service, "kpi": kpi, "period": period, "text": text, **stamps}
        new_id = conn.execute(insert(notes), row).inserted_primary_key[0]
        return Note(new_id, dataset, service, kpi, period, text, now, author)

    @staticmethod
    def _notes_query(dataset: str, service: str | None, kpi: str | None):
        query = select(*_NOTE_COLUMNS).where(notes.c.dataset == dataset, notes.c.deleted_at.is_(None))
        if service is not None:
            query = query.where(notes.c.service == service)
        if kpi is not None:
            query = query.where(notes.c.kpi == kpi)
        return query.order_by(notes.c.period, notes.c.service, notes.c.kpi, notes.c.id)

    def _conflict(self, conn: Connection, current: Action, expected_version: int) -> Conflict:
        """What the others changed since `expected_version`, from the history: (base value, theirs)."""
        rows = conn.execute(
            select(change_rows.c.field, change_rows.c.old)
            .where(change_rows.c.action_id == current.id, change_rows.c.version > expected_version)
            .order_by(change_rows.c.version, change_rows.c.id)
        )
        base: dict[str, object] = {}
        for field, old in rows:
            base.setdefault(field, _from_text(field, old))
        theirs = {f: (b, getattr(current, f)) for f, b in base.items() if b != getattr(current, f)}
        return Conflict(current, theirs, expected_version)
