"""The one workaround that reaches into Gradio's internals works on the Gradio installed, and that Gradio is
one of the releases it was written for."""

from __future__ import annotations

from importlib.metadata import version

import gradio as gr
from packaging.specifiers import SpecifierSet

from interviewer.web.internals import GRADIO_VERSIONS, forget_browser_session


def test_installed_gradio_is_a_release_the_workaround_was_written_for():
    assert version("gradio") in SpecifierSet(",".join(GRADIO_VERSIONS)), (
        f"gradio {version('gradio')}: check interviewer/web/internals.py against its state_holder, then widen "
        f"GRADIO_VERSIONS {GRADIO_VERSIONS}"
    )


def test_forgetting_a_browser_session_drops_gradios_copy_of_it():
    with gr.Blocks() as demo:
        gr.Textbox()
    holder = demo.state_holder
    assert isinstance(holder.session_data, dict) and isinstance(holder.time_last_used, dict)
    holder.session_data["abc"] = object()
    holder.time_last_used["abc"] = 0.0
    holder.session_data["other"] = object()
    forget_browser_session(demo, "abc")
    assert "abc" not in holder.session_data and "abc" not in holder.time_last_used
    assert "other" in holder.session_data  # only that browser session's
    forget_browser_session(demo, None)  # no session hash: nothing to do
