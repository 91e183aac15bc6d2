"""The semantic layer's cost: model load time, milliseconds per grading of a ~150-word reply (by meaning and by
words), and how much the process grows. Prints its figures; targets (issue 22): median grading <= 150 ms with
the model loaded, growth <= 300 MB.

Usage: .venv/bin/python bench/semantic.py [--runs 30]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from interviewer.bank import DEFAULT_BANK, load_bank
from interviewer.grading.models import GradeRequest
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.semantic import SemanticLayer, layer_for

REPLY = (
    "Retrieval-augmented generation fetches passages relevant to the question from a document store and puts them "
    "in the prompt, so the model answers from sources it can cite instead of only from what it memorised. First the "
    "documents are split into chunks and embedded; at query time the question is embedded too, the nearest chunks "
    "are found with a vector index, often reranked, and the top few go into the context. It reduces hallucination "
    "and keeps answers current without retraining, but quality depends on retrieval: bad chunking or a weak "
    "embedding model returns the wrong passages, and long contexts cost tokens and latency. I would evaluate "
    "retrieval recall and answer faithfulness separately, for example with a labelled set of questions, and I "
    "would watch the cost per query, since every retrieved passage adds prompt tokens that the model must read."
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(grader: OfflineGrader, request: GradeRequest, runs: int) -> list[float]:
    grader.assess(request)  # warm: the bank's vectors, caches
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        grader.assess(request)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    question = next(q for q in load_bank(DEFAULT_BANK).questions if q.kind == "technical")
    request = GradeRequest(question=question.text, reference=question.reference, answer=REPLY)
    print(f"reply: {len(REPLY.split())} words; {runs} gradings each; question: {question.text[:60]}")
    words = timed(OfflineGrader(semantic=SemanticLayer.off()), request, runs)
    before = rss_mb()
    layer = layer_for(True, None, Path(tempfile.mkdtemp()))
    start = time.perf_counter()
    assert layer.embedder() is not None, layer.reason
    load = time.perf_counter() - start
    meaning = timed(OfflineGrader(semantic=layer), request, runs)
    grown = rss_mb() - before
    for name, ms in (("by words", words), ("by meaning", meaning)):
        print(f"{name:<11} median {statistics.median(ms):6.1f} ms   min {min(ms):6.1f}   max {max(ms):6.1f}")
    print(f"model load (checksum + onnxruntime + tokenizer): {load:.2f} s")
    print(f"process growth with the model loaded and used: {grown:.0f} MB (resident, {before:.0f} -> {rss_mb():.0f})")


if __name__ == "__main__":
    main()
