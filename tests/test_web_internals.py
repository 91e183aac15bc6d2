"""The one workaround that reaches into Gradio's internals works on the Gradio installed, and that Gradio is
one of the releases it was written for."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import gradio as gr
import pytest
from packaging.specifiers import SpecifierSet

from interviewer.web.internals import GRADIO_VERSIONS, LeanBlocks, forget_browser_session, quiet_monitoring


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


def _postprocess(blocks_class, returned):
    """What an event whose function returned `returned` sends the page, and how many of its outputs the
    page's session state now holds as rebuilt components (not the ones the page was built with)."""
    from gradio.state_holder import SessionState

    with blocks_class() as demo:
        boxes = [gr.Textbox(label=f"box {i}") for i in range(3)]
        gr.Button().click(lambda: None, None, boxes)
    fn = next(iter(demo.fns.values()))
    state = SessionState(demo)
    sent = asyncio.run(demo.postprocess_data(fn, returned(boxes), state))
    return sent, sum(state.blocks_config.blocks[box._id] is not box for box in boxes)


def test_lean_blocks_send_what_gradio_sends_without_rebuilding_the_outputs_left_out():
    for returned in (
        lambda b: {b[1]: "typed"},  # one output given, two left out
        lambda b: {b[0]: "a", b[2]: gr.update(visible=False)},  # a value and a property update
        lambda b: ["a", "b", "c"],  # not a dict: Gradio's own path
    ):
        gradios, rebuilt_by_gradio = _postprocess(gr.Blocks, returned)
        leans, rebuilt_here = _postprocess(LeanBlocks, returned)
        assert leans == gradios
        if isinstance(returned([1, 2, 3]), dict):
            assert rebuilt_here < rebuilt_by_gradio  # Gradio rebuilt each output left out
    sent, rebuilt = _postprocess(LeanBlocks, lambda b: {b[1]: "typed"})
    assert sent == [{"__type__": "update"}, "typed", {"__type__": "update"}] and rebuilt == 0


def test_lean_blocks_leave_a_key_that_is_not_an_output_to_gradio_to_refuse():
    stranger = gr.Textbox(render=False)
    with pytest.raises(ValueError, match="not specified as output"):
        _postprocess(LeanBlocks, lambda b: {b[0]: "a", stranger: "b"})


def test_the_monitoring_summary_is_not_recomputed_after_every_event(monkeypatch):
    monkeypatch.delenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", raising=False)
    quiet_monitoring()
    with gr.Blocks() as demo:
        gr.Textbox()
    demo.queue()
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY >= 1000  # Gradio's default, 1, recomputes it every event
    monkeypatch.setenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", "7")
    quiet_monitoring()  # a host's own setting wins
    assert demo.queue()._queue.ANAYLTICS_CACHE_FREQUENCY == 7
