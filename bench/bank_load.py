"""Time loading a bank of 10,000 questions in the default format (target: under 1 second).

Usage: python bench/bank_load.py [--questions N] [--runs R]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interviewer.bank import load_bank  # noqa: E402

TARGET_SECONDS = 1.0


def question_block(n: int) -> str:
    """One question in the format of bank/genai_misc.md, varied so every detail is exercised."""
    kind = n % 5
    if kind == 0:
        body = (
            "*(Customize with your actual experience)*\n\n"
            f"**Project:** Built system number {n} for document drafting with accuracy requirements.\n\n"
            "**Challenges:** Factual accuracy, domain terminology, formatting standards, hallucinations.\n\n"
            f"**Outcome:** Reduced drafting time by {n % 90 + 5}% while keeping accuracy."
        )
    elif kind == 1:
        body = (
            f"Concept {n} is a lower-dimensional representation that captures essential features.\n\n"
            "**Properties:** Similar points cluster, smooth interpolation, controllable outputs.\n\n"
            "- first consequence of the idea\n"
            "  - a nested detail\n"
            "- second consequence, with a trade-off\n\n"
            "1. Step one\n"
            "2. Step two\n"
        )
    elif kind == 2:
        body = (
            "**Usage:** Load the model, then run it:\n\n"
            "```python\n"
            "# load the model (a comment, not a heading)\n"
            f"## {n + 1}. not a question either\n"
            "model = AutoModel.from_pretrained(\"name\")\n"
            "```\n\n"
            "**Benefits:** Rapid prototyping, consistent preprocessing, minimal code."
        )
    elif kind == 3:
        body = (
            "| Model | Quality | Stability |\n"
            "|-------|---------|-----------|\n"
            "| GAN   | sharp   | unstable  |\n"
            "| VAE   | blurry  | stable    |\n\n"
            "Loss: $L = E_q[\\log p(x|z)] - KL(q||p)$.\n\n"
            "**Trade-offs:** GANs for quality, VAEs for stability, diffusion for both."
        )
    else:
        body = (
            "**Steps:** Load model and tokenizer → Prepare dataset → Configure training → Train → Evaluate.\n\n"
            "**Features:** Automatic head adaptation, gradient checkpointing, learning rate scheduling."
        )
    return f"## {n}. What about topic {n}, and how would you explain it in an interview?\n\n**Answer:**\n{body}\n"


def generate(path: Path, count: int) -> None:
    parts = ["# Generated benchmark bank\n"]
    parts += [question_block(n) for n in range(1, count + 1)]
    parts.append("---\n\n*A closing note: these questions are generated for the benchmark.*\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_bank.md"
        generate(path, args.questions)
        size = path.stat().st_size
        times: list[float] = []
        loaded = 0
        for _ in range(args.runs):
            start = time.perf_counter()
            bank = load_bank(path)
            times.append(time.perf_counter() - start)
            loaded = len(bank.questions)
        experience = bank.experience_count
    median, best = statistics.median(times), min(times)
    print(f"bank: {args.questions:,} questions generated ({size / 1e6:.1f} MB)")
    print(f"questions loaded: {loaded:,} ({experience:,} experience)")
    print(f"runs: {args.runs}; median: {median:.3f} s; best: {best:.3f} s")
    print(f"target: < {TARGET_SECONDS:.0f} s  ->  {'OK' if median < TARGET_SECONDS else 'TOO SLOW'}")
    if loaded != args.questions:
        print(f"error: expected {args.questions} questions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
