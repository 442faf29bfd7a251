"""Chart validation in the app: skipped in use for speed, on under test (VIGIE_VALIDATE_CHARTS=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# An invalid spec (a mark size must be a number): serialising it either raises or not.
SCRIPT = """
import altair as alt, lib.ui

def chart():
    return alt.Chart(alt.Data(values=[{"a": 1}])).mark_point(size="big").encode(x="a:Q")

for build in (chart, lambda: alt.layer(chart(), chart())):
    try:
        build().to_dict()
        print("serialised")
    except Exception as exc:
        print(type(exc).__name__)
"""


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("1", ["SchemaValidationError"] * 2), ("0", ["serialised"] * 2), (None, ["serialised"] * 2)],
)
def test_the_app_validates_charts_only_when_asked(setting, expected):
    env = {k: v for k, v in os.environ.items() if k != "VIGIE_VALIDATE_CHARTS"}
    if setting is not None:
        env["VIGIE_VALIDATE_CHARTS"] = setting
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == expected
