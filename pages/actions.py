"""Actions: the dataset's corrective actions — counts, filters, table, timeline, create, follow up."""

from datetime import date

import streamlit as st

from lib import actions as A
from lib.charts.gantt import gantt
from lib.export import to_csv, to_xlsx
from lib.fmt import fmt_datetime, fmt_int
from lib.i18n import t
from lib.store import NotFound, issue_message
from lib.ui import page_setup
from lib.ui import store as ui
from lib.ui.text import md_escape

GANTT_ROWS = 60  # bars drawn at most (soonest due first): a taller chart reads as a wall
C, E, PICK = ui.CREATE, ui.EDIT, ui.PICK
# The selectbox draws PICK: its own state would be lost when the options' labels change (a rename).
PICK_W = "_w_action_pick"

ctx = page_setup("actions")
lang, view, ds = ctx.lang, ctx.view, ctx.dataset
store = ui.store()
today = date.today()
ss = st.session_state
services = sorted(ctx.domain.services)
kpis = sorted(ctx.domain.kpis)
forms = ui.ActionForms(store, ds.slug, services, kpis, today)


def _issues(issues) -> None:
    for issue in issues:
        text = md_escape(issue_message(issue, lang))
        (st.error if issue.level == "error" else st.warning)(text)


# --- Page ----------------------------------------------------------------------------------------------

st.title(t("actions_page.title", lang))
st.caption(t("actions_page.intro", lang))

for key, value in forms.blank().items():
    ss.setdefault(C + key, value)
draft = ui.take_draft()
if draft:
    forms.fill(C, {**forms.blank(), **A.draft_values(draft, services, kpis)})
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
        ui.action_fields(
            C, lang, services, kpis, service_placeholder=t("actions_page.create.pick_service", lang)
        )
        st.form_submit_button(
            t("actions_page.create.save", lang),
            type="primary",
            icon=":material/save:",
            on_click=ui.attempt,
            args=("create", forms.create),
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
    forms.rebase(current)
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
    # The action's own names stay choosable even if the dataset no longer has them.
    own = base["values"]
    ui.action_fields(E, lang, sorted({*services, own["service"]}), sorted({*kpis, own["kpi"]} - {None}))
    st.form_submit_button(
        t("actions_page.edit.save", lang),
        type="primary",
        icon=":material/save:",
        on_click=ui.attempt,
        args=("edit", forms.save),
    )
b1, b2, _ = st.columns([1, 1, 3])
b1.button(
    t("actions_page.edit.done", lang),
    icon=":material/task_alt:",
    disabled=current.status == "done",
    on_click=ui.attempt,
    args=("edit", lambda who: forms.set_status("done", who)),
)
b2.button(
    t("actions_page.edit.drop", lang),
    icon=":material/block:",
    disabled=current.status == "dropped",
    on_click=ui.attempt,
    args=("edit", lambda who: forms.set_status("dropped", who)),
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

        k1.button(
            t("actions_page.conflict.keep_mine", lang),
            icon=":material/edit:",
            on_click=forms.keep_mine,
            args=(exc.current, typed),
        )
        k2.button(
            t("actions_page.conflict.take_theirs", lang),
            icon=":material/download:",
            on_click=forms.take_theirs,
            args=(exc.current,),
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
        args=("comment", forms.comment),
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
