#!/usr/bin/env bash
# Grader quality: the offline grader's agreement with labelled replies on the dev sets it was tuned on and on
# the validation set it never was (the real figure), by meaning (the semantic layer, the default) and by words
# (INTERVIEWER_SEMANTIC=0) side by side, then a naive baseline (lowercase words shared by the reference and the answer).
#
# Usage: bash bench/grader_quality.sh   (run from anywhere; paths are relative to the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SETS=(tests/data/labelled_genai_misc.jsonl tests/data/dev tests/data/validation)

if [[ -x .venv/bin/interviewer ]]; then
    PY=.venv/bin/python
    INTERVIEWER=(.venv/bin/interviewer)
else
    PY="${PYTHON:-python3}"
    INTERVIEWER=("$PY" -m interviewer)
fi

INPUTS=()
for set in "${SETS[@]}"; do INPUTS+=(--input "$set"); done
echo "== offline grader by meaning (the embedding model) and by words (INTERVIEWER_SEMANTIC=0), side by side:" \
    "dev (the seed bank; more dev banks) and validation (never tuned on)"
"${INTERVIEWER[@]}" eval "${INPUTS[@]}" --grader offline --both-readings 2>/dev/null
echo

echo "== the library's replies (part of dev, labelled before the grader scored them), graded as a session in" \
    "the library's banks grades them (whole banks known)"
"${INTERVIEWER[@]}" eval --input tests/data/dev/library --bank bank/library --grader offline --both-readings \
    2>/dev/null
echo

echo "== naive baseline: shared lowercase words between reference and answer"
"$PY" - "${SETS[@]}" <<'PY'
import json
import re
import sys
from pathlib import Path

from interviewer.batch import labelled_files
from interviewer.evaluate import LabelledResult, evaluate


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def fmt(value):
    return "n/a" if value is None else f"{value:.3f}"


for name in sys.argv[1:]:
    rows = [json.loads(line) for path in labelled_files(Path(name))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    naive = evaluate([
        LabelledResult(question=r["question"], level=r.get("level", ""), true_score=r["score"],
                       overall=float(len(words(r["reference"]) & words(r["answer"]))),
                       question_id=str(r.get("id", "")).split("/")[0])
        for r in rows
    ])
    # The baseline's score is a raw word count, so its mean absolute error on the 1-5 scale means nothing.
    for label, a in (("all replies", naive.all), ("without 'wrong' level", naive.without_wrong)):
        print(f"{Path(name).stem:<20} {label:<22} n={a.n:<4} spearman={fmt(a.spearman)}  "
              f"pairwise={fmt(a.pairwise_accuracy)}")
PY
