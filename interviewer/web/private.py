"""This process's own temp folder: 0700, a new random name at each start. Every download is written in it,
and Gradio's cache of uploads and outputs too (`GRADIO_TEMP_DIR`, set before Gradio is imported: it reads it
then), so no other local user can read a transcript or an uploaded bank, or plant a link where one will be
written. (Before, the History tab wrote to a fixed `$TMPDIR/interviewer-past/<id>`, following links.)"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path


@cache
def private_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="interviewer-"))


def keep_gradio_files_private() -> None:
    """Gradio's cache inside the private folder, unless the host chose one (`GRADIO_TEMP_DIR`)."""
    if not os.environ.get("GRADIO_TEMP_DIR"):
        cache_folder = private_folder() / "gradio"
        cache_folder.mkdir(mode=0o700, exist_ok=True)
        os.environ["GRADIO_TEMP_DIR"] = str(cache_folder)
