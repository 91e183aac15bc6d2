"""The whole walk of issue 24 in Chromium at 1280 px and 390 px (tests/support/walk.py, which also writes the
screenshots of docs/screenshots/): setup, three questions with a hint, a retry, a skip, End with an answer not
sent (kept as a draft), the summary, History with and without data, an empty summary. Nothing may run past the
window's edge, and the draft must reach the history."""

from __future__ import annotations

import json

import pytest

from interviewer.config import Settings
from interviewer.owner import ALL_OWNERS
from interviewer.store import Store
from tests.support.browser import served
from tests.support.walk import WIDTHS, walk

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_full_walk_clips_nothing_and_loses_no_text(browser, width, tmp_path):
    with served(Settings(grader="offline", data_dir=tmp_path / "data")) as url:
        clipped = walk(url, tmp_path, width, browser)
    assert {view: wide for view, wide in clipped.items() if wide} == {}
    assert len(list(tmp_path.glob(f"*-{width}.png"))) == 8  # every view was reached and drawn
    store = Store(tmp_path / "data")
    walked = next(r for r in store.sessions(ALL_OWNERS) if r.total == 3)
    turns = json.loads(store.transcript(walked.id).to_json())["turns"]
    assert [t["attempt"] for t in turns] == [1, 2, 1, 1] and turns[2]["skipped"]
    assert turns[3]["draft"] == "Half an answer I have not sent yet" and turns[3]["answer"] is None
