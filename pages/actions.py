"""Actions: the dataset's corrective actions — counts, filters, table, timeline, create, follow up."""

from datetime import date

import streamlit as st

from lib import actions as A
from lib.charts.gantt import gantt
from lib.export import to_csv, to_xlsx
from lib.fmt import fmt_datetime, fmt_int
from lib.i18n import t
from lib.store import Conflict, NotFound, SignalRef, ValidationError, issue_message
from lib.ui import page_setup
from lib.ui import store as ui
from lib.ui.text import md_escape

GANTT_ROWS = 60  # bars drawn at most (soonest due first): a taller chart reads as a wall
C, E = "_ac_", "_ae_"  # widget key prefixes of the create and edit forms
PICK = "_action_pick"  # the action followed below (the selectbox draws it: its own state would be lost
PICK_W = "_w_action_pick"  # when the options' labels change, e.g. someone renames the action)

ctx = page_setup("actions")
lang, view, ds = ctx.lang, ctx.view, ctx.dataset
store = ui.store()
today = date.today()
ss = st.session_state
services = sorted(ctx.domain.services)
kpis = sorted(ctx.domain.kpis)


def _blank() -> dict:
    return {
        "service": None,
        "kpi": None,
        "title": "",
        "description": "",
        "owner": "",
        "start": today,
        "due": None,
        "status": "planned",
        "priority": "medium",
        "expected_effect": "",
    }


def _fill(prefix: str, values: dict) -> None:
    for field, value in values.items():
        ss[prefix + field] = value


def _typed(prefix: str) -> dict:
    values = {f: ss.get(prefix + f) for f in A.EDITABLE}
    for f in ("title", "description", "owner", "expected_effect"):
        values[f] = (values[f] or "").strip()
    return values


def _values(action) -> dict:
    return {f: getattr(action, f) for f in A.EDITABLE}


def _issues(issues) -> None:
    for issue in issues:
        text = md_escape(issue_message(issue, lang))
        (st.error if issue.level == "error" else st.warning)(text)


# --- Writes (run in widget callbacks, before the page is drawn) -----------------------------------------


def _create(who: str) -> None:
    typed, signal = _typed(C), ss.get(C + "signal")
    try:
        action, issues = store.create_action(
            ds.slug,
            **{**typed, "service": typed["service"] or ""},
            signal=SignalRef(**signal) if signal else None,
            author=who,
            known_services=services,
            known_kpis=kpis,
        )
    except ValidationError as exc:  # the form keeps what was typed
        ss[C + "outcome"] = ("refused", exc.issues, None)
        return
    ss[C + "outcome"] = ("created", issues, action.id)
    _fill(C, _blank())
    ss.pop(C + "signal", None)
    ss[PICK] = action.id


def _rebase(action, keep_typed: bool = False) -> None:
    """Start editing from `action` as saved (keep_typed: the user's values stay in the form)."""
    ss[E + "base"] = {"id": action.id, "version": action.version, "values": _values(action)}
    if not keep_typed:
        _fill(E, _values(action))


def _update(who: str, changes: dict, typed: dict) -> None:
    base = ss[E + "base"]
    try:
        action, issues = store.update_action(
            base["id"],
            changes,
            expected_version=base["version"],
            author=who,
            known_services=services,
            known_kpis=kpis,
        )
    except Conflict as exc:  # nothing written; the typed values stay in the form
        ss[E + "outcome"] = ("conflict", exc, typed)
        return
    except ValidationError as exc:
        ss[E + "outcome"] = ("refused", exc.issues)
        return
    except NotFound:
        ss[E + "outcome"] = ("gone",)
        return
    ss[E + "outcome"] = ("saved", issues, action.version)
    ss.pop(E + "conflict", None)
    _rebase(action, keep_typed=True)
    for field in changes:
        ss[E + field] = getattr(action, field)


def _save(who: str) -> None:
    typed = _typed(E)
    changes = A.changed_fields(ss[E + "base"]["values"], typed)
    if not changes:
        ss[E + "outcome"] = ("nothing",)
        return
    _update(who, changes, typed)


def _set_status(status: str, who: str) -> None:
    _update(who, {"status": status}, {**_typed(E), "status": status})


def _comment(who: str) -> None:
    try:
        store.add_comment(ss[E + "base"]["id"], ss.get("_cm_text") or "", author=who)
    except ValidationError as exc:
        ss["_cm_outcome"] = exc.issues
        return
    ss["_cm_text"] = ""


# --- Page ----------------------------------------------------------------------------------------------

st.title(t("actions_page.title", lang))
st.caption(t("actions_page.intro", lang))

for key, value in _blank().items():
    ss.setdefault(C + key, value)
draft = ui.take_draft()
if draft:
    _fill(C, {**_blank(), **A.draft_values(draft, services, kpis)})
    ss[C + "signal"] = draft.get("signal")
    ss[C + "open"] = True
    ss.pop(C + "outcome", None)

everything = store.actions_frame(ds.slug)
# The shared filters: the services and KPIs chosen in the sidebar (or in the link) apply here too.
scoped = everything
if view.services:
    scoped = scoped.filter(scoped["service"].is_in(list(view.services)))
if view.kpis:
    scoped = scoped.filter(scoped["kpi"].is_in(list(view.kpis)))

counts = A.counts(scoped, today)
for col, key in zip(st.columns(4), ("open", "overdue", "due_this_month", "done"), strict=True):
    col.metric(t(f"actions_page.count.{key}", lang), fmt_int(counts[key], lang))

outcome = ss.pop(C + "outcome", None)
# The expander's open state is the session's (keyed): it stays open while the user works in it, and
# opens by itself for a draft from a signal.
with st.expander(
    t("actions_page.create.title", lang), icon=":material/add_task:", key=C + "open", on_change="rerun"
):
    if signal := ss.get(C + "signal"):
        st.info(md_escape(t("actions_page.create.from_signal", lang, message=signal["message"])))
    with st.form("_create_form", border=False):
        a, b = st.columns(2)
        a.selectbox(
            t("actions_page.field.service", lang),
            services,
            key=C + "service",
            placeholder=t("actions_page.create.pick_service", lang),
        )
        b.selectbox(
            t("actions_page.field.kpi", lang),
            kpis,
            key=C + "kpi",
            placeholder=t("actions_page.create.no_kpi", lang),
        )
        st.text_input(t("actions_page.field.title", lang), key=C + "title", max_chars=200)
        st.text_area(t("actions_page.field.description", lang), key=C + "description", height=80)
        a, b, c = st.columns(3)
        a.text_input(t("actions_page.field.owner", lang), key=C + "owner")
        b.date_input(t("actions_page.field.start", lang), key=C + "start", format="DD/MM/YYYY")
        c.date_input(t("actions_page.field.due", lang), key=C + "due", format="DD/MM/YYYY")
        a, b = st.columns(2)
        a.selectbox(
            t("actions_page.field.status", lang),
            A.STATUSES,
            key=C + "status",
            format_func=lambda s: A.status_label(s, lang),
        )
        b.selectbox(
            t("actions_page.field.priority", lang),
            A.PRIORITIES,
            key=C + "priority",
            format_func=lambda p: A.priority_label(p, lang),
        )
        st.text_area(t("actions_page.field.expected_effect", lang), key=C + "expected_effect", height=68)
        st.form_submit_button(
            t("actions_page.create.save", lang),
            type="primary",
            icon=":material/save:",
            on_click=ui.attempt,
            args=("create", _create),
        )
    ui.author_prompt("create", lang)
    if outcome:
        if outcome[0] == "created":
            st.success(t("actions_page.create.created", lang, id=outcome[2]), icon=":material/check_circle:")
        else:
            st.error(t("actions_page.create.refused", lang), icon=":material/error:")
        _issues(outcome[1])

# --- Filters, table, downloads, timeline ---------------------------------------------------------------

f1, f2, _ = st.columns([3, 2, 3], vertical_alignment="bottom")
due = f1.segmented_control(
    t("actions_page.filter.due", lang),
    A.DUE_FILTERS,
    format_func=lambda d: t(f"actions_page.filter.{d}", lang),
    key="_af_due",
)
scope = f2.radio(
    t("actions_page.filter.scope", lang),
    A.SCOPES,
    format_func=lambda s: t(f"actions_page.filter.{s}", lang),
    horizontal=True,
    key="_af_scope",
    disabled=bool(ss.get("_af_status")),  # statuses picked below say which ones to show
)
f3, f4, f5 = st.columns(3)
statuses = f3.multiselect(
    t("actions_page.field.status", lang),
    A.STATUSES,
    format_func=lambda s: A.status_label(s, lang),
    placeholder=t("common.filters.all", lang),
    key="_af_status",
)
owners = f4.multiselect(
    t("actions_page.field.owner", lang),
    A.distinct(scoped, "owner"),
    placeholder=t("common.filters.all", lang),
    key="_af_owner",
)
picked_services = f5.multiselect(
    t("actions_page.field.service", lang),
    A.distinct(scoped, "service"),
    placeholder=t("common.filters.all", lang),
    key="_af_service",
)
query = A.ActionQuery(
    due=due, scope=scope, statuses=tuple(statuses), owners=tuple(owners), services=tuple(picked_services)
)
shown = A.filter_actions(scoped, query, today)
st.subheader(
    t("actions_page.table.title", lang, n=fmt_int(shown.height, lang), total=fmt_int(scoped.height, lang))
)
if shown.is_empty():
    st.info(t("actions_page.table.empty", lang), icon=":material/filter_alt_off:")
else:
    cols = A.headers(lang, A.TABLE_COLUMNS)
    event = st.dataframe(
        A.table_frame(shown, lang),
        hide_index=True,
        width="stretch",
        key="_actions_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "overdue_flag": st.column_config.TextColumn(cols["overdue_flag"]),
            "id": st.column_config.NumberColumn(cols["id"], format="%d", width=48),
            "title": st.column_config.TextColumn(cols["title"], width="medium"),
            "start": st.column_config.DateColumn(cols["start"], format="localized"),
            "due": st.column_config.DateColumn(cols["due"], format="localized"),
            **{
                c: st.column_config.TextColumn(cols[c])
                for c in ("service", "kpi", "owner", "status", "priority")
            },
        },
    )
    st.caption(t("actions_page.table.help", lang))
    rows = event.selection.rows if event else []
    clicked = int(shown["id"][rows[0]]) if rows else None
    if clicked is not None and clicked != ss.get("_table_pick"):
        ss[PICK] = clicked  # a new row picked in the table: follow it below
    ss["_table_pick"] = clicked
    # Built when clicked (an Excel file of 500 actions takes ~0.2 s): what is shown is what is downloaded.
    sheet = t("actions_page.title", lang)
    d1, d2, _ = st.columns([1, 1, 3])
    d1.download_button(
        t("actions_page.download_csv", lang),
        lambda: to_csv(A.export_frame(shown, lang), A.headers(lang)),
        file_name=A.export_name(ds.slug, today, "csv"),
        mime="text/csv",
        icon=":material/download:",
    )
    d2.download_button(
        t("actions_page.download_xlsx", lang),
        lambda: to_xlsx({sheet: A.export_frame(shown, lang)}, A.headers(lang)),
        file_name=A.export_name(ds.slug, today, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    st.altair_chart(gantt(shown.head(GANTT_ROWS), lang, today=today), width="stretch", theme=None)
    if shown.height > GANTT_ROWS:
        st.caption(
            t(
                "actions_page.gantt.cut",
                lang,
                shown=fmt_int(GANTT_ROWS, lang),
                total=fmt_int(shown.height, lang),
            )
        )

# --- One action: edit, close, comments, history --------------------------------------------------------

st.subheader(t("actions_page.edit.title", lang))
titles = dict(everything.select("id", "title").iter_rows())
if ss.get(PICK) not in titles:
    ss[PICK] = None
ss[PICK_W] = ss[PICK]
st.selectbox(
    t("actions_page.edit.pick", lang),
    list(titles),
    key=PICK_W,
    format_func=lambda i: f"#{i} — {titles[i]}",
    placeholder=t("actions_page.edit.pick_ph", lang),
    on_change=lambda: ss.update({PICK: ss[PICK_W]}),
)
picked = ss[PICK]
if picked is None:
    st.stop()
try:
    current = store.get_action(picked)
except NotFound:
    st.warning(t("actions_page.edit.gone", lang))
    st.stop()
base = ss.get(E + "base")
if base is None or base["id"] != picked:
    _rebase(current)
    ss.pop(E + "outcome", None)
    ss.pop(E + "conflict", None)
    base = ss[E + "base"]

meta = t(
    "actions_page.edit.meta",
    lang,
    created_by=current.created_by,
    created_at=fmt_datetime(current.created_at, lang),
    updated_by=current.updated_by,
    updated_at=fmt_datetime(current.updated_at, lang),
    version=current.version,
)
st.caption(md_escape(meta))
if current.signal:
    st.caption(md_escape(t("actions_page.create.from_signal", lang, message=current.signal.message)))
outcome = ss.pop(E + "outcome", None)
with st.form("_edit_form"):
    a, b = st.columns(2)
    a.selectbox(
        t("actions_page.field.service", lang),
        sorted({*services, base["values"]["service"]}),
        key=E + "service",
    )
    b.selectbox(
        t("actions_page.field.kpi", lang),
        kpis,
        key=E + "kpi",
        placeholder=t("actions_page.create.no_kpi", lang),
    )
    st.text_input(t("actions_page.field.title", lang), key=E + "title", max_chars=200)
    st.text_area(t("actions_page.field.description", lang), key=E + "description", height=80)
    a, b, c = st.columns(3)
    a.text_input(t("actions_page.field.owner", lang), key=E + "owner")
    b.date_input(t("actions_page.field.start", lang), key=E + "start", format="DD/MM/YYYY")
    c.date_input(t("actions_page.field.due", lang), key=E + "due", format="DD/MM/YYYY")
    a, b = st.columns(2)
    a.selectbox(
        t("actions_page.field.status", lang),
        A.STATUSES,
        key=E + "status",
        format_func=lambda s: A.status_label(s, lang),
    )
    b.selectbox(
        t("actions_page.field.priority", lang),
        A.PRIORITIES,
        key=E + "priority",
        format_func=lambda p: A.priority_label(p, lang),
    )
    st.text_area(t("actions_page.field.expected_effect", lang), key=E + "expected_effect", height=68)
    st.form_submit_button(
        t("actions_page.edit.save", lang),
        type="primary",
        icon=":material/save:",
        on_click=ui.attempt,
        args=("edit", _save),
    )
b1, b2, _ = st.columns([1, 1, 3])
b1.button(
    t("actions_page.edit.done", lang),
    icon=":material/task_alt:",
    disabled=current.status == "done",
    on_click=ui.attempt,
    args=("edit", lambda who: _set_status("done", who)),
)
b2.button(
    t("actions_page.edit.drop", lang),
    icon=":material/block:",
    disabled=current.status == "dropped",
    on_click=ui.attempt,
    args=("edit", lambda who: _set_status("dropped", who)),
)
ui.author_prompt("edit", lang)
if outcome:
    kind = outcome[0]
    if kind == "saved":
        st.success(t("actions_page.edit.saved", lang, version=outcome[2]), icon=":material/check_circle:")
        _issues(outcome[1])
    elif kind == "nothing":
        st.info(t("actions_page.edit.nothing", lang))
    elif kind == "refused":
        st.error(t("actions_page.edit.refused", lang), icon=":material/error:")
        _issues(outcome[1])
    elif kind == "gone":
        st.error(t("actions_page.edit.gone", lang))
    else:  # a conflict: show their changes beside what was typed, and let the user choose
        exc, typed = outcome[1], outcome[2]
        ss[E + "conflict"] = (exc, typed)
conflict = ss.get(E + "conflict")
if conflict and conflict[0].current.id == picked:
    exc, typed = conflict
    with st.container(border=True):
        st.error(
            md_escape(
                t(
                    "actions_page.conflict.message",
                    lang,
                    who=exc.current.updated_by,
                    when=fmt_datetime(exc.current.updated_at, lang),
                )
            ),
            icon=":material/sync_problem:",
        )
        headers = A.headers(lang, ("field", "started_from", "theirs", "yours"))
        st.dataframe(
            A.conflict_frame(exc.theirs, typed, lang).rename(headers),
            hide_index=True,
            width="stretch",
            column_config={
                headers[c]: st.column_config.TextColumn(width="medium") for c in headers if c != "field"
            },
        )
        st.caption(t("actions_page.conflict.help", lang))
        k1, k2, _ = st.columns([1.3, 1.3, 2])

        def _keep_mine(action=exc.current, typed=typed) -> None:
            # A merge: the fields the user changed keep their values, the others take the saved ones.
            started = ss[E + "base"]["values"]
            for field in A.EDITABLE:
                if typed.get(field) == started.get(field):
                    ss[E + field] = getattr(action, field)
            _rebase(action, keep_typed=True)
            ss.pop(E + "conflict", None)

        def _take_theirs(action=exc.current) -> None:
            _rebase(action)
            ss.pop(E + "conflict", None)

        k1.button(t("actions_page.conflict.keep_mine", lang), icon=":material/edit:", on_click=_keep_mine)
        k2.button(
            t("actions_page.conflict.take_theirs", lang), icon=":material/download:", on_click=_take_theirs
        )

st.markdown(f"**{t('actions_page.comments.title', lang)}**")
comments = store.comments(picked)
if not comments:
    st.caption(t("actions_page.comments.none", lang))
for comment in comments:
    with st.container(border=True):
        st.caption(md_escape(f"{comment.created_by} · {fmt_datetime(comment.created_at, lang)}"))
        st.markdown(md_escape(comment.text))
with st.form("_comment_form", border=False):
    st.text_area(t("actions_page.comments.new", lang), key="_cm_text", height=80)
    st.form_submit_button(
        t("actions_page.comments.add", lang),
        icon=":material/add_comment:",
        on_click=ui.attempt,
        args=("comment", _comment),
    )
ui.author_prompt("comment", lang)
if issues := ss.pop("_cm_outcome", None):
    _issues(issues)
st.markdown(f"**{t('actions_page.history.title', lang)}**")
history = A.history_frame(store.history(picked), lang)
if history.is_empty():
    st.caption(t("actions_page.history.none", lang))
else:
    st.dataframe(history.rename(A.headers(lang, history.columns)), hide_index=True, width="stretch")
