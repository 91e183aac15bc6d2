"""What the fake OpenAI server answers: fake grading models, and replies for them to grade.

- `GradingResponder`: answers like a real grading model would. It reads the key points, the reply between
  its random tags and the criteria from the request and quotes words that occur in the reply; options script
  a model's behaviour (fixed scores, wrong quotes, gullible, its own injection flag). `grade_request_of(body)`
  gives the parts of a grading request.
- `grade_responder`: a simpler one: every criterion 4, the first key point covered (the web app's tests).
- `GOOD_REPLY`, `PARTIAL_REPLY`: a good and a partial reply to the default bank's question 3 (latent space);
  `FOLLOWUP_TEXT`: the follow-up question `GradingResponder` asks.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

GOOD_REPLY = (
    "Latent space is the compressed, lower-dimensional space that a model like a VAE or a GAN maps data into. "
    "Each point is a vector that captures the important features of an input. Similar inputs end up close "
    "together, you can interpolate between two points and decode them to get smooth transitions, and moving "
    "along certain directions changes attributes. It's used for generating new samples, style transfer and "
    "anomaly detection."
)
PARTIAL_REPLY = (
    "It's the hidden representation inside the model, like the bottleneck in an autoencoder. The input gets "
    "encoded into a smaller vector and then the decoder reconstructs the input from it."
)
FOLLOWUP_TEXT = "Good start. How would you use that representation once the model is trained, say to create new data?"


# -- a realistic grading model ------------------------------------------------------------------

_KEY_POINTS = re.compile(r"Key points of the reference, to report each by its id[^\n]*:\n(.*?)\n\s*\n", re.S)
_REPLY = re.compile(r"<(reply_[0-9a-f]{8})>\n(.*?)\n</\1>", re.S)
_FOLLOWUP_REPLY = re.compile(r"<(reply_[0-9a-f]{8}_followup_\d+)>\n(.*?)\n</\1>", re.S)
_CRITERIA = re.compile(r"Criteria to score, each exactly once: (.+?)\.\s*$", re.M)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


def grade_request_of(body: dict) -> dict | None:
    """The parts of a grading request: key points, reply, reply tag, follow-up answers, criteria."""
    for message in body.get("messages", []):
        text = message.get("content") or ""
        if message.get("role") != "user" or "Criteria to score" not in text:
            continue
        points = _KEY_POINTS.search(text + "\n\n")
        found = _REPLY.search(text)
        return {
            "key_points": [re.sub(r"^k\d+\.\s*", "", line).strip()
                           for line in (points.group(1).splitlines() if points else []) if line.strip()],
            "tag": found.group(1) if found else None,
            "reply": found.group(2) if found else "",
            "followups": [m.group(2) for m in _FOLLOWUP_REPLY.finditer(text)],
            "criteria": [c.strip() for c in _CRITERIA.search(text).group(1).split(",")],
            "text": text,
        }
    return None


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 3}


class GradingResponder:
    """Answers the fake's requests like a grading model would (callable: request body -> content).

    Grading requests get output valid against the request's pinned schema (key points by id, criteria by
    name), built from the request itself; streaming
    (follow-up) requests get an interviewer question. Options script a model's behaviour:
    `scores` fixes criterion scores, `evidence` replaces every quote, `gullible` gives full marks
    to anything (a model taken in by an injection), `injection` sets the model's own flag.
    """

    def __init__(self, scores: dict[str, int] | None = None, evidence: str | None = None,
                 gullible: bool = False, injection: bool = False, followup: str = FOLLOWUP_TEXT) -> None:
        self.scores = scores or {}
        self.evidence = evidence
        self.gullible = gullible
        self.injection = injection
        self.followup = followup
        self.calls = 0
        self.seconds = 0.0  # time spent in here, i.e. the fake model's own "thinking"

    def __call__(self, body: dict) -> str:
        started = time.perf_counter()
        try:
            self.calls += 1
            parts = grade_request_of(body)
            if parts is None:
                return self.followup
            return json.dumps(self.grade(parts))
        finally:
            self.seconds += time.perf_counter() - started

    def grade(self, parts: dict) -> dict:
        reply_text = "\n".join([parts["reply"], *parts["followups"]])
        reply_words = _content_words(reply_text)
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", reply_text) if s.strip()]
        key_points, got = [], 0.0
        for point in parts["key_points"]:
            words = _content_words(point) or {point.lower()}
            share = len(words & reply_words) / len(words)
            status = "covered" if share >= 0.6 or self.gullible else "partial" if share >= 0.3 else "missed"
            quote = ""
            if status != "missed" and sentences:
                best = max(sentences, key=lambda s: len(_content_words(s) & words))
                quote = " ".join(best.split()[:12])  # words that really occur in the reply
            if self.evidence is not None and status != "missed":
                quote = self.evidence
            got += {"covered": 1.0, "partial": 0.5}.get(status, 0.0)
            key_points.append({"point": point, "evidence": quote, "status": status})  # "point": for the scoring
        ratio = got / max(1, len(key_points))
        length = len(_WORD.findall(reply_text))
        criteria = []
        for name in parts["criteria"]:
            if self.gullible:
                score = 5
            elif name in self.scores:
                score = self.scores[name]
            elif name == "coverage":
                score = 1 + round(4 * ratio)
            elif name in ("depth", "technical_substance"):
                score = max(1, min(5, 1 + length // 25))
            else:
                score = 3 if length >= 15 else 2
            criteria.append({"name": name, "reasoning": f"The reply, judged on {name}.", "score": score})
        missed = [k["point"] for k in key_points if k["status"] == "missed"]
        return {
            "possible_prompt_injection": self.injection,
            "key_points": by_id(key_points),
            "criteria": by_name(criteria),
            "factual_errors": [],
            "strengths": [f"Explains: {k['point']}" for k in key_points if k["status"] == "covered"][:3],
            "suggestions": [f"Also cover: {p}" for p in missed[:3]],
            "improved_answer": "I would say that " + parts["reply"][:200],
        }


# -- the simple grader of the web app's tests -------------------------------------------------------

FAKE_JUSTIFICATION = "Judged by the fake LLM: clear and relevant."
FAKE_SUGGESTION = "Fake LLM suggestion: give a concrete example."
FAKE_FOLLOWUP = "Fake LLM follow-up: how would you measure that?"


def by_id(key_points: list[dict]) -> dict[str, dict]:
    """Key points as the pinned schema wants them: {"k1": {"evidence", "status"}, ...} in the request's order."""
    return {f"k{i}": {"evidence": k["evidence"], "status": k["status"]} for i, k in enumerate(key_points, start=1)}


def by_name(criteria: list[dict]) -> dict[str, dict]:
    """Criteria as the pinned schema wants them: {name: {"reasoning", "score"}}."""
    return {c["name"]: {"reasoning": c["reasoning"], "score": c["score"]} for c in criteria}


def _user_message(body: dict) -> str:
    return next((m.get("content") or "" for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")


def grade_for_prompt(user: str) -> dict[str, Any]:
    """A valid LLM grade for the grader's user message: every criterion named in "Criteria to score"
    once, every key point reported (the first one covered, quoting the start of the reply)."""
    names = re.search(r"Criteria to score, each exactly once: (.+?)\.?\s*$", user, re.M)
    criteria = [n.strip() for n in names.group(1).split(",")] if names else []
    section = user.split("Key points of the reference", 1)[-1].split("The candidate's reply is between", 1)[0]
    points = re.findall(r"^k\d+\. (.+)$", section, re.M)
    reply = re.search(r"<(reply_[0-9a-f]+)>\n(.*?)\n</\1>", user, re.S)
    quote = " ".join((reply.group(2) if reply else "").split()[:4])
    covered = [bool(quote) and i == 0 for i in range(len(points))]
    key_points = [
        {"point": p, "evidence": quote if ok else "", "status": "covered" if ok else "missed"}
        for p, ok in zip(points, covered)
    ]
    return {
        "possible_prompt_injection": False,
        "key_points": by_id(key_points),
        "criteria": by_name([{"name": n, "reasoning": FAKE_JUSTIFICATION, "score": 4} for n in criteria]),
        "factual_errors": [],
        "strengths": ["Fake LLM strength: well structured."],
        "suggestions": [FAKE_SUGGESTION],
        "improved_answer": "An improved answer written by the fake LLM.",
    }


def grade_responder(body: dict) -> str:
    """FakeOpenAI responder: a grade for structured requests, a short question otherwise (follow-ups)."""
    fmt = (body.get("response_format") or {}).get("type")
    if fmt in ("json_schema", "json_object"):
        return json.dumps(grade_for_prompt(_user_message(body)))
    return FAKE_FOLLOWUP
