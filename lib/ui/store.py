"""The actions store for the pages: one Store per process, who is writing, and the way to the Actions
page with a prefilled draft.

Every write goes through `attempt`: it runs at once when the author is known (the signed-in user, or
the name given earlier in this session); otherwise it waits while `author_prompt` asks for a name once,
then runs with it, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib.filters import ViewState
from lib.i18n import t
from lib.store import Store
from lib.ui import data
from lib.ui.navigate import open_page

AUTHOR_KEY = "_author"  # the name this session's user gave
PENDING_KEY = "_author_pending"  # (where, write) waiting for a name
DRAFT_KEY = "_action_draft"  # what the Actions page's create form opens with
ACTIONS_SCRIPT = "pages/actions.py"


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


def create_action_from(draft: dict, raw: ViewState) -> None:
    """Open the Actions page with its create form prefilled from `draft` (service, kpi, title,
    signal), keeping the URL filters."""
    st.session_state[DRAFT_KEY] = dict(draft)
    open_page(ACTIONS_SCRIPT, raw)


def take_draft() -> dict | None:
    """The draft left for the create form, consumed (it prefills the form once)."""
    return st.session_state.pop(DRAFT_KEY, None)
