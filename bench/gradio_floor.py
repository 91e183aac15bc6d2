"""Gradio's own floor: the CPU a minimal Gradio app spends per gradio_client call on this machine.

A Blocks app with one gr.State, a chatbot and a textbox, whose async handlers only wait 1 s (like an LLM
call) and echo, is driven exactly as bench/load.py drives the real app: N clients, each /start then K
/answer calls. Compare its wall-time ratio and CPU per call with bench/load.py's: the difference is what
the interviewer itself adds.

    python bench/gradio_floor.py [--clients 50] [--answers 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gradio as gr  # noqa: E402
from gradio_client import Client  # noqa: E402

from tests.support.net import free_port  # noqa: E402


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        state = gr.State(None)
        chat = gr.Chatbot()
        box = gr.Textbox()

        async def start(n: float = 5, s=None):
            return [{"role": "assistant", "content": "Question 1"}], "", {"n": n}

        async def answer(text: str = "", s=None):
            await asyncio.sleep(1.0)  # the LLM call
            history = [{"role": "user", "content": text}, {"role": "assistant", "content": "Score 50/100"}]
            return history, "", s

        gr.Button().click(start, [gr.Number(5, visible=False), state], [chat, box, state], api_name="start",
                          concurrency_limit=None)
        gr.Button().click(answer, [box, state], [chat, box, state], api_name="answer", concurrency_limit=None)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--answers", type=int, default=5)
    args = parser.parse_args()
    demo = build()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"

    def session(times: list[float]) -> None:
        client = Client(url, verbose=False, download_files=False, ssl_verify=False)
        t0 = time.perf_counter()
        client.predict(5, api_name="/start")
        for k in range(args.answers):
            client.predict(f"answer {k}", api_name="/answer")
        times.append(time.perf_counter() - t0)

    one: list[float] = []
    session(one)
    many: list[float] = []
    threads = [threading.Thread(target=session, args=(many,)) for _ in range(args.clients)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    calls = args.clients * (1 + args.answers)
    print(f"minimal Gradio app, handlers waiting 1 s: {args.clients} clients x (1 start + {args.answers} answers)")
    print(f"one session {one[0]:.2f} s; {args.clients} sessions {wall:.2f} s; ratio {wall / one[0]:.2f}x")
    print(f"CPU (app and clients in this process): {cpu:.1f} s for {calls} calls = {cpu / calls * 1000:.0f} ms/call "
          f"({os.cpu_count()} CPUs)")
    demo.close()


if __name__ == "__main__":
    main()
