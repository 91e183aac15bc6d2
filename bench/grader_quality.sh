#!/usr/bin/env bash
# Grader quality on the labelled set: the offline grader's agreement figures, then a naive baseline
# (count of lowercase words shared by reference and answer) scored the same way, and the difference.
#
# Usage: bash bench/grader_quality.sh [LABELLED.jsonl]   (run from anywhere; paths are relative to the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
INPUT="${1:-tests/data/labelled_genai_misc.jsonl}"

if [[ -x .venv/bin/interviewer ]]; then
    PY=.venv/bin/python
    INTERVIEWER=(.venv/bin/interviewer)
else
    PY="${PYTHON:-python3}"
    INTERVIEWER=("$PY" -m interviewer)
fi

echo "== offline grader: ${INTERVIEWER[*]} eval --input $INPUT --grader offline"
"${INTERVIEWER[@]}" eval --input "$INPUT" --grader offline 2>/dev/null

OFFLINE_JSON="$(mktemp)"
trap 'rm -f "$OFFLINE_JSON"' EXIT
"${INTERVIEWER[@]}" eval --input "$INPUT" --grader offline --json >"$OFFLINE_JSON" 2>/dev/null

echo
echo "== naive baseline: shared lowercase words between reference and answer"
"$PY" - "$INPUT" "$OFFLINE_JSON" <<'PY'
import json
import re
import sys

from interviewer.evaluate import EvalReport, LabelledResult, evaluate

path, offline_path = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


results = [
    LabelledResult(question=r["question"], level=r.get("level", ""), true_score=r["score"],
                   overall=float(len(words(r["reference"]) & words(r["answer"]))))
    for r in rows
]
naive = evaluate(results)
offline = EvalReport.model_validate_json(open(offline_path, encoding="utf-8").read())


def fmt(value):
    return "n/a" if value is None else f"{value:.3f}"


def diff(a, b):
    return "n/a" if a is None or b is None else f"{a - b:+.3f}"


# The baseline's score is a raw word count, so its mean absolute error on the 1-5 scale means nothing.
for name, a in (("all replies", naive.all), ("without 'wrong' level", naive.without_wrong)):
    print(f"{name:<22} n={a.n:<4} spearman={fmt(a.spearman)}  pairwise={fmt(a.pairwise_accuracy)}  mae=n/a")
print("mean shared words by level:")
for level, value in naive.mean_by_level.items():
    print(f"  {level:<10} {value:5.1f}")

print()
print("== offline grader minus naive baseline")
for name, o, n in (("all replies", offline.all, naive.all),
                   ("without 'wrong' level", offline.without_wrong, naive.without_wrong)):
    print(f"{name:<22} spearman {diff(o.spearman, n.spearman)}  pairwise {diff(o.pairwise_accuracy, n.pairwise_accuracy)}")
ww = offline.without_wrong
ok = (ww.spearman or 0) >= 0.85 and (ww.pairwise_accuracy or 0) >= 0.9
print(f"target without 'wrong' (spearman >= 0.85, pairwise >= 0.9): {'met' if ok else 'NOT met'}")
PY
