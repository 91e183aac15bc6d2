"""What a story shows, for the offline grader's experience questions: context, the teller's own actions, an
outcome with numbers; and, for each part, the sentence that shows it most."""

from __future__ import annotations

import re

from .keypoints import Reply
from .models import KeyPoint

CONTEXT = re.compile(
    r"\b(project|team|company|client|customer|startup|product|platform|goal|needed|problem|challenge|"
    r"requirement|constraint|deadline|stakeholders?|role|tasked|at my (last|previous|current) (job|role|company)|"
    r"we were|our)\b",
    re.IGNORECASE,
)
OWN_ACTION = re.compile(
    r"\bI\s+(?:\w+ly\s+)?(?:\w+ed|built|wrote|led|ran|set up|chose|made|took|drove|owned|found|kept|put|"
    r"spent|did|began|brought|rewrote|split|cut|dug|sat|taught|fought|shipped|own)\b|\bmy (role|job|part)\b",
)
OUTCOME = re.compile(
    r"\b(reduc\w*|improv\w*|increas\w*|decreas\w*|cut|saved?|sav\w+|achiev\w*|result\w*|outcome|impact|went from|"
    r"dropped|grew|faster|slower|accuracy|latency|throughput|cost|adopt\w*|launched|shipped|lesson|learn(ed|t)|"
    r"in hindsight|next time|would (do|have done) differently)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\b\d+(\.\d+)?\s*(%|x\b|percent|ms\b|s\b|seconds|minutes|hours|days|weeks|k\b|m\b)?")


def parts(reply: Reply, parts: list[tuple[str, int, int, re.Pattern[str]]]) -> list[KeyPoint]:
    """The STAR parts of a story, each with the sentence that shows it most (a different one for each part where
    the story has one)."""
    taken: set[int] = set()
    out = []
    for label, count, enough, pattern in parts:
        status = "covered" if count >= enough else "partial" if count else "missed"
        evidence = None
        hits = [len(pattern.findall(s)) for s in reply.sentences]
        if count and any(hits):
            ranked = sorted(range(len(hits)), key=lambda i: (-hits[i], i))
            choice = next((i for i in ranked if hits[i] and i not in taken), ranked[0])
            taken.add(choice)
            evidence = reply.sentences[choice]
        out.append(KeyPoint(point=label, status=status, evidence=evidence))
    return out
