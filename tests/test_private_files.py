"""Downloads and Gradio's cache in a private per-process folder (issue 25, item 5): 0700 folders, 0600 files,
no fixed shared name another local user could read or plant a link in."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.presentation import transcript_filename
from interviewer.service import App
from interviewer.store import Store
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.history_events import HistoryTab
from interviewer.web.private import private_folder
from interviewer.web.setup import bundled_banks

ME = Owner.browser("c" * 24)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_gradio_reads_its_cache_folder_from_the_private_folder_uploads_included():
    code = (
        "import os, stat, interviewer.web.app\n"
        "from gradio import route_utils, utils\n"
        "cache = os.environ['GRADIO_TEMP_DIR']\n"
        "print(cache, route_utils.DEFAULT_TEMP_DIR, utils.get_upload_folder(),"
        " oct(stat.S_IMODE(os.stat(os.path.dirname(cache)).st_mode)))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "GRADIO_TEMP_DIR"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    cache, uploads, outputs, folder_mode = out.split()
    assert cache == uploads == outputs and Path(cache).name == "gradio"
    assert Path(cache).parent.name.startswith("interviewer-") and folder_mode == "0o700"


def test_a_past_sessions_files_are_private_and_no_planted_link_is_followed(tmp_path):
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data")
    app = App(Store(tmp_path / "data"), settings)
    h = Handlers(app, bundled_banks(settings))
    form = StartForm([next(iter(h.banks))], 1, "in-order", "practice", False, "", "", "", None)
    ws = asyncio.run(h.start(form, ME, None, "t")).ws
    asyncio.run(_all(h.answer("Bias audits and human oversight.", ws)))
    session_id = ws.session.session_id
    victim = tmp_path / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    planted = Path(tempfile.gettempdir()) / "interviewer-past" / session_id  # where it used to be written
    planted.mkdir(parents=True, exist_ok=True)
    for fmt in ("markdown", "json", "html"):  # another local user's links where the files used to go
        link = planted / transcript_filename(ws.session.transcript(), fmt)
        link.unlink(missing_ok=True)
        link.symlink_to(victim)
    past = HistoryTab(app, h.banks).open_past(session_id, ME)
    assert past.files and victim.read_text(encoding="utf-8") == "mine"
    for written in map(Path, past.files):
        assert written.is_relative_to(private_folder()) and mode(written) == 0o600
        assert mode(written.parent) == 0o700 or written.parent.is_relative_to(private_folder())
    assert mode(private_folder()) == 0o700
    assert mode(Path(h.download("json", ws))) == 0o600 and Path(ws.folder).is_relative_to(private_folder())


async def _all(events):
    return [vm async for vm in events]
