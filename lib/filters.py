"""The view state every page shares, and its URL form (query parameters).

Parsing never fails: unknown or malformed parameters are dropped and named, so the UI can say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lib.i18n import normalise_lang

SAMPLE_SLUG = "sample"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass(frozen=True)
class ViewState:
    dataset: str = SAMPLE_SLUG
    lang: str | None = None  # None: not chosen yet (browser language, else French)

    def with_(self, **changes: object) -> ViewState:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Dropped:
    """A query parameter that was not understood: `name=value`, and why (`unknown` or `malformed`)."""

    name: str
    value: str
    why: str


def parse_query(params: Mapping[str, Sequence[str]]) -> tuple[ViewState, list[Dropped]]:
    """Query parameters (each name with all its values) -> the view state and what was dropped."""
    state, dropped = ViewState(), []
    for name, values in params.items():
        value = values[-1] if values else ""
        if name == "dataset":
            if _SLUG.match(value):
                state = state.with_(dataset=value)
            else:
                dropped.append(Dropped(name, value, "malformed"))
        elif name == "lang":
            lang = normalise_lang(value)
            if lang and value.lower() == lang:
                state = state.with_(lang=lang)
            else:
                dropped.append(Dropped(name, value, "malformed"))
        else:
            dropped.append(Dropped(name, ", ".join(values), "unknown"))
    return state, dropped


def to_query(state: ViewState) -> dict[str, list[str]]:
    """The explicit URL form of a view: every parameter that is set."""
    query: dict[str, list[str]] = {"dataset": [state.dataset]}
    if state.lang:
        query["lang"] = [state.lang]
    return query
