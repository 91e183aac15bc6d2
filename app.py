"""The web app: `python app.py` serves it on 127.0.0.1 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change).

`demo` is built at import without launching, so `gradio app.py` (reload mode) works too.
"""

import sys

from interviewer.config import load_settings
from interviewer.errors import InterviewerError

try:
    load_settings()  # names a wrong setting before gradio's import reads GRADIO_SERVER_PORT and fails on it
    from interviewer.web.app import build_app, launch

    demo = build_app()
except InterviewerError as exc:  # a wrong setting: say which, without a traceback
    if __name__ != "__main__":
        raise
    sys.exit(f"error: {exc}")

if __name__ == "__main__":
    try:
        launch(demo)
    except InterviewerError as exc:
        sys.exit(f"error: {exc}")
    except OSError as exc:  # e.g. the port is taken: one line, not Gradio's traceback
        sys.exit(f"error: cannot serve the app ({exc}); set GRADIO_SERVER_PORT to a free port")
