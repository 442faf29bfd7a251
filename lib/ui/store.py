"""The actions store for the pages: one Store per process, who is writing, the way to the Actions page
with a prefilled draft, and the Actions page's forms (their fields and their writes).

Every write goes through `attempt`: it runs at once when the author is known (the signed-in user, or
the name given earlier in this session); otherwise it waits while `author_prompt` asks for a name once,
then runs with it, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st

from lib.actions import EDITABLE, PRIORITIES, STATUSES, changed_fields, priority_label, status_label
from lib.filters import ViewState
from lib.i18n import t
from lib.store import Action, Conflict, NotFound, SignalRef, Store, ValidationError
from lib.ui import data
from lib.ui.navigate import open_page

AUTHOR_KEY = "_author"  # the name this session's user gave
PENDING_KEY = "_author_pending"  # (where, write) waiting for a name
DRAFT_KEY = "_action_draft"  # what the Actions page's create form opens with
ACTIONS_SCRIPT = "pages/actions.py"
CREATE, EDIT = "_ac_", "_ae_"  # widget key prefixes of the Actions page's create and edit forms
PICK = "_action_pick"  # the action followed on the Actions page


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The store of the configured database (SQLite in the data folder by default), sample seeded."""
    s = Store.from_settings(data.settings())
    s.seed_sample()
    return s


def signed_in_user() -> str | None:
    """The signed-in user's name (or email) when the app has authentication and they are logged in."""
    user = st.user
    # Without an [auth] configuration st.user holds no login (AppTest fills a placeholder email):
    # trust it only when it says the user is logged in.
    if not user.get("is_logged_in", False):
        return None
    name = str(user.get("name") or user.get("email") or "").strip()
    return name or None


def author() -> str | None:
    """Who writes: the signed-in user, else the name given in this session, else None (ask)."""
    return signed_in_user() or (st.session_state.get(AUTHOR_KEY) or None)


def attempt(where: str, write: Callable[[str], None]) -> None:
    """Run `write(author)` now, or once the user has given a name (the prompt shows at `where`).

    Meant for widget callbacks, so a write and its outcome happen before the page is drawn."""
    who = author()
    if who:
        st.session_state.pop(PENDING_KEY, None)
        write(who)
    else:
        st.session_state[PENDING_KEY] = (where, write)


def _give_name(key: str) -> None:
    name = str(st.session_state.get(key) or "").strip()
    if not name:
        st.session_state[f"{key}_empty"] = True
        return
    st.session_state[AUTHOR_KEY] = name
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending:
        pending[1](name)


def author_prompt(where: str, lang: str) -> None:
    """Ask for a name here when a write attempted at `where` is waiting for one (nothing otherwise)."""
    pending = st.session_state.get(PENDING_KEY)
    if not pending or pending[0] != where:
        return
    key = f"_author_input_{where}"
    with st.container(border=True):
        st.markdown(f"**:material/badge: {t('actions_page.author.title', lang)}**")
        st.caption(t("actions_page.author.help", lang))
        with st.form(f"_author_form_{where}", border=False):
            st.text_input(t("actions_page.author.name", lang), key=key, max_chars=100)
            st.form_submit_button(
                t("actions_page.author.save", lang), on_click=_give_name, args=(key,), type="primary"
            )
        if st.session_state.pop(f"{key}_empty", False):
            st.error(t("actions_page.author.empty", lang))


# Streamlit's date fields draw day and month as ~18 px wide segments: WCAG 2.2's 24 px target size
# (axe's target-size rule) asks for more room around each.
_DATE_SEGMENTS = (
    "<style>[data-testid='stDateInput'] [role='spinbutton']{min-width:24px;min-height:24px;"
    "display:inline-flex;align-items:center;justify-content:center}</style>"
)


def action_fields(
    prefix: str, lang: str, services: list[str], kpis: list[str], *, service_placeholder: str | None = None
) -> None:
    """An action's editable fields (inside a form), keyed `prefix + field`; values from session state."""
    label = lambda field: t(f"actions_page.field.{field}", lang)  # noqa: E731
    a, b = st.columns(2)
    a.selectbox(label("service"), services, key=prefix + "service", placeholder=service_placeholder)
    b.selectbox(label("kpi"), kpis, key=prefix + "kpi", placeholder=t("actions_page.create.no_kpi", lang))
    st.text_input(label("title"), key=prefix + "title", max_chars=200)
    st.text_area(label("description"), key=prefix + "description", height=80)
    a, b, c = st.columns(3)
    st.html(_DATE_SEGMENTS)
    a.text_input(label("owner"), key=prefix + "owner")
    b.date_input(label("start"), key=prefix + "start", format="DD/MM/YYYY")
    c.date_input(label("due"), key=prefix + "due", format="DD/MM/YYYY")
    a, b = st.columns(2)
    a.selectbox(label("status"), STATUSES, key=prefix + "status", format_func=lambda s: status_label(s, lang))
    b.selectbox(
        label("priority"), PRIORITIES, key=prefix + "priority", format_func=lambda p: priority_label(p, lang)
    )
    st.text_area(label("expected_effect"), key=prefix + "expected_effect", height=68)


def create_action_from(draft: dict, raw: ViewState) -> None:
    """Open the Actions page with its create form prefilled from `draft` (service, kpi, title,
    signal), keeping the URL filters."""
    st.session_state[DRAFT_KEY] = dict(draft)
    open_page(ACTIONS_SCRIPT, raw)


def take_draft() -> dict | None:
    """The draft left for the create form, consumed (it prefills the form once)."""
    return st.session_state.pop(DRAFT_KEY, None)


@dataclass(frozen=True)
class ActionForms:
    """The Actions page's writes, run in widget callbacks (before the page is drawn): each leaves its
    outcome in session state for the page to show, and the forms keep what was typed when refused."""

    store: Store
    dataset: str
    services: list[str]
    kpis: list[str]
    today: date

    def blank(self) -> dict:
        return {
            "service": None,
            "kpi": None,
            "title": "",
            "description": "",
            "owner": "",
            "start": self.today,
            "due": None,
            "status": "planned",
            "priority": "medium",
            "expected_effect": "",
        }

    @staticmethod
    def fill(prefix: str, values: dict) -> None:
        for field, value in values.items():
            st.session_state[prefix + field] = value

    @staticmethod
    def typed(prefix: str) -> dict:
        values = {f: st.session_state.get(prefix + f) for f in EDITABLE}
        for f in ("title", "description", "owner", "expected_effect"):
            values[f] = (values[f] or "").strip()
        return values

    @staticmethod
    def values(action: Action) -> dict:
        return {f: getattr(action, f) for f in EDITABLE}

    def create(self, who: str) -> None:
        typed, signal = self.typed(CREATE), st.session_state.get(CREATE + "signal")
        try:
            action, issues = self.store.create_action(
                self.dataset,
                **{**typed, "service": typed["service"] or ""},
                signal=SignalRef(**signal) if signal else None,
                author=who,
                known_services=self.services,
                known_kpis=self.kpis,
            )
        except ValidationError as exc:  # the form keeps what was typed
            st.session_state[CREATE + "outcome"] = ("refused", exc.issues, None)
            return
        st.session_state[CREATE + "outcome"] = ("created", issues, action.id)
        self.fill(CREATE, self.blank())
        st.session_state.pop(CREATE + "signal", None)
        st.session_state[PICK] = action.id

    def rebase(self, action: Action, keep_typed: bool = False) -> None:
        """Start editing from `action` as saved (keep_typed: the user's values stay in the form)."""
        st.session_state[EDIT + "base"] = {
            "id": action.id,
            "version": action.version,
            "values": self.values(action),
        }
        if not keep_typed:
            self.fill(EDIT, self.values(action))

    def _update(self, who: str, changes: dict, typed: dict) -> None:
        base = st.session_state[EDIT + "base"]
        try:
            action, issues = self.store.update_action(
                base["id"],
                changes,
                expected_version=base["version"],
                author=who,
                known_services=self.services,
                known_kpis=self.kpis,
            )
        except Conflict as exc:  # nothing written; the typed values stay in the form
            st.session_state[EDIT + "outcome"] = ("conflict", exc, typed)
            return
        except ValidationError as exc:
            st.session_state[EDIT + "outcome"] = ("refused", exc.issues)
            return
        except NotFound:
            st.session_state[EDIT + "outcome"] = ("gone",)
            return
        st.session_state[EDIT + "outcome"] = ("saved", issues, action.version)
        st.session_state.pop(EDIT + "conflict", None)
        self.rebase(action, keep_typed=True)
        for field in changes:
            st.session_state[EDIT + field] = getattr(action, field)

    def save(self, who: str) -> None:
        typed = self.typed(EDIT)
        changes = changed_fields(st.session_state[EDIT + "base"]["values"], typed)
        if not changes:
            st.session_state[EDIT + "outcome"] = ("nothing",)
            return
        self._update(who, changes, typed)

    def set_status(self, status: str, who: str) -> None:
        self._update(who, {"status": status}, {**self.typed(EDIT), "status": status})

    def comment(self, who: str) -> None:
        try:
            self.store.add_comment(
                st.session_state[EDIT + "base"]["id"], st.session_state.get("_cm_text") or "", author=who
            )
        except ValidationError as exc:
            st.session_state["_cm_outcome"] = exc.issues
            return
        st.session_state["_cm_text"] = ""

    def keep_mine(self, current: Action, typed: dict) -> None:
        """After a conflict, a merge: the fields the user changed keep their values, the others take the
        saved ones; the next save starts from `current`."""
        started = st.session_state[EDIT + "base"]["values"]
        for field in EDITABLE:
            if typed.get(field) == started.get(field):
                st.session_state[EDIT + field] = getattr(current, field)
        self.rebase(current, keep_typed=True)
        st.session_state.pop(EDIT + "conflict", None)

    def take_theirs(self, current: Action) -> None:
        self.rebase(current)
        st.session_state.pop(EDIT + "conflict", None)
