"""The offline grader: deterministic key-point coverage against the reference, no network.

It measures what words can show (which key points the reply covers, how much it explains,
how it is put together) and says plainly that it cannot judge correctness. Scores are kept
to one decimal so that close replies stay ordered; the overall is computed from them and the
rubric's weights, with the criteria it cannot assess left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..bank import Question, extract_key_points
from ..rubric import Rubric, load_rubric
from ..tokens import Usage
from . import text as t
from .models import (
    CORRECTNESS_NOT_ASSESSED,
    EMPTY_ANSWER,
    INJECTION,
    NO_ANSWER,
    OFF_TOPIC,
    CriterionScore,
    Grade,
    GradeRequest,
    KeyPoint,
    assemble_grade,
)
from .relevance import Corpus, abbreviations, bundled_corpus, terms

_EXPLAINS = re.compile(
    r"\b(because|since|so that|which means|this means|that means|therefore|thus|hence|for example|"
    r"for instance|e\.g\.|such as|whereas|however|trade-?offs?|compared (to|with)|versus|vs\.?|instead|unlike|"
    r"in contrast|the reason|leads? to|results? in|allows?|enables?|prevents?|avoids?|depends on|otherwise|"
    r"on the other hand|downside|upside|drawback|benefit|cost of|at the expense)\b",
    re.IGNORECASE,
)
_STRUCTURE = re.compile(
    r"(^|\n)\s*([-*•]|\d+[.)])\s|\b(first(ly)?|second(ly)?|third|finally|in short|overall|to sum up|"
    r"on one hand|then|next)\b",
    re.IGNORECASE,
)
_CONTEXT = re.compile(
    r"\b(project|team|company|client|customer|startup|product|platform|goal|needed|problem|challenge|"
    r"requirement|constraint|deadline|stakeholders?|role|tasked|at my (last|previous|current) (job|role|company)|"
    r"we were|our)\b",
    re.IGNORECASE,
)
_OWN_ACTION = re.compile(
    r"\bI\s+(?:\w+ly\s+)?(?:\w+ed|built|wrote|led|ran|set up|chose|made|took|drove|owned|found|kept|put|"
    r"spent|did|began|brought|rewrote|split|cut|dug|sat|taught|fought|shipped|own)\b|\bmy (role|job|part)\b",
)
_OUTCOME = re.compile(
    r"\b(reduc\w*|improv\w*|increas\w*|decreas\w*|cut|saved?|sav\w+|achiev\w*|result\w*|outcome|impact|went from|"
    r"dropped|grew|faster|slower|accuracy|latency|throughput|cost|adopt\w*|launched|shipped|lesson|learn(ed|t)|"
    r"in hindsight|next time|would (do|have done) differently)\b",
    re.IGNORECASE,
)
# Off-topic (see _grade_technical), tuned on the dev sets only (tests/data/labelled_genai_misc.jsonl, dev/):
# margins are of cosines over TF-IDF terms; QUESTION_TERMS is a share of the question's rarity-weighted terms.
OFF_TOPIC_COVERAGE = 0.2
OFF_TOPIC_FIT = 0.10
OFF_TOPIC_MARGIN = -0.10
OFF_TOPIC_QUESTION_TERMS = 0.25
EXPERIENCE_OFF_TOPIC_MARGIN = -0.12
"""Stories share more words across questions (team, project, I decided): a wider margin before calling one a
story for another question. (-0.10 did better on the dev sets but flagged a good validation story: kept.)"""
OFF_TOPIC_RELEVANCE = 0.3
"""What is left of an off-topic reply's coverage, depth and communication credit: its matches are incidental."""
EXPERIENCE_OFF_TOPIC_RELEVANCE = 0.09
"""The same for a story told for another question: its credit is in its structure (context, actions, numbers),
which a story for any question has, so it is cut deeper."""

_NUMBER = re.compile(r"\b\d+(\.\d+)?\s*(%|x\b|percent|ms\b|s\b|seconds|minutes|hours|days|weeks|k\b|m\b)?")


@dataclass(frozen=True)
class _Reply:
    """The reply as the grader sees it, with any text addressed to the grader taken out."""

    text: str
    stems: frozenset[str]
    words: int
    sentences: list[str]
    sentence_stems: list[frozenset[str]]


@dataclass(frozen=True)
class _Asked:
    """The question and reference as the grader matches replies against them (worked out once per grading)."""

    question_stems: frozenset[str]
    reference_terms: frozenset[str]
    defined: dict[str, str]
    """Abbreviations the question or reference define."""


class OfflineGrader:
    name = "offline"

    def __init__(self, rubrics: dict[str, Rubric] | None = None, corpus: Corpus | None = None) -> None:
        self.rubrics = rubrics or {k: load_rubric(k) for k in ("technical", "experience")}
        self._corpus = corpus
        """The questions whose vocabulary tells one subject from another (default: the bundled banks')."""

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = bundled_corpus()
        return self._corpus

    def knowing(self, questions: Iterable[Question]) -> OfflineGrader:
        """This grader, telling apart the subjects of these questions too (the banks in use), not only the
        bundled banks': a reply to a neighbouring question of the candidate's own bank is then noticed."""
        return OfflineGrader(self.rubrics, Corpus.with_bundled((q.text, q.reference) for q in questions))

    async def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade:
        """The Grader interface (async like every grader); no tokens are spent here."""
        return self.assess(request)

    def assess(self, request: GradeRequest) -> Grade:
        """Grade a reply at once: deterministic key-point coverage, depth and structure."""
        reply_text = request.full_reply()
        flags: list[str] = [CORRECTNESS_NOT_ASSESSED]
        if not reply_text.strip():
            return self._minimum(request, [EMPTY_ANSWER, *flags], "The reply is empty.")
        reply_text, injected = t.without_injection(reply_text)
        if injected:
            flags.append(INJECTION)
        defined = abbreviations([request.question, request.reference])
        reply = _read(reply_text, defined)
        question_stems = frozenset(terms(request.question, defined))
        reference_terms = frozenset(terms(request.reference, defined))
        own_words = reply.stems - question_stems
        # A few words that say nothing of the subject are no answer; a few that use the reference's terms
        # ("Retrieve then generate") are a short, weak answer, graded as one.
        beyond_question = reply.stems - frozenset(t.content_stems(request.question))  # "RAG" asks; "retrieve" answers
        on_subject = beyond_question & reference_terms
        if t.is_non_answer(reply_text) or (len(own_words) < 3 and not on_subject):
            reason = "The reply does not answer the question" + (
                " (text addressed to the grader is ignored)." if injected else "."
            )
            return self._minimum(request, [NO_ANSWER, *flags], reason)
        if request.kind == "experience":
            return self._grade_experience(request, reply, question_stems, flags)
        return self._grade_technical(request, reply, _Asked(question_stems, reference_terms, defined), flags)

    # -- technical -------------------------------------------------------------------------------

    def _grade_technical(self, request: GradeRequest, reply: _Reply, asked: _Asked, flags: list[str]) -> Grade:
        rubric = self.rubrics["technical"]
        points = request.key_points or extract_key_points(request.reference)
        question_stems = asked.question_stems
        given = set(request.hinted)  # key points a hint gave away are not the reply's own coverage
        judged = [
            KeyPoint(point=p, status="hinted") if p in given else _judge_point(p, reply, question_stems, asked.defined)
            for p in points
        ]
        if any(f.answer for f in request.followups):  # what the follow-up answers added, apart from the first reply
            first = _read(t.without_injection(request.answer)[0], asked.defined)
            judged = [_recovered_or(k, first, question_stems, asked.defined) for k in judged]
        covered = sum(k.status == "covered" for k in judged)
        recovered = sum(k.status == "recovered" for k in judged)
        partial = sum(k.status == "partial" for k in judged)
        credited = covered + rubric.recovery_credit * recovered + 0.5 * partial
        ratio = credited / max(1, len(judged))
        own_fit, other_fit = self.corpus.fit(reply.text, request.question, request.reference)
        # An answer to a neighbouring question (tuned on the dev sets only; tests/test_grader_quality.py): another
        # question fits the reply's words clearly better; or it covers few key points and barely fits this one;
        # or another fits at least as well and the reply says little of this question's own terms.
        lead = own_fit - other_fit
        off_topic = (
            lead < OFF_TOPIC_MARGIN
            or (ratio < OFF_TOPIC_COVERAGE and own_fit < OFF_TOPIC_FIT)
            or (lead < 0 and self._says_of_question(question_stems, reply) < OFF_TOPIC_QUESTION_TERMS)
        )
        if off_topic:
            flags.append(OFF_TOPIC)
            ratio *= OFF_TOPIC_RELEVANCE
        # Vocabulary shared with the whole reference, beyond the question's own words: catches
        # replies that cover the substance in other sentences than the key points.
        ref_stems = asked.reference_terms - question_stems
        vocab = len(ref_stems & reply.stems) / max(1, len(ref_stems)) * (OFF_TOPIC_RELEVANCE if off_topic else 1.0)
        relevance = min(1.0, (ratio + vocab) / 0.45) * (OFF_TOPIC_RELEVANCE if off_topic else 1.0)

        coverage = 1 + 4 * min(1.0, 0.75 * ratio / 0.5 + 0.25 * vocab / 0.35)
        depth = 1 + relevance * _depth_signal(reply, question_stems)
        communication = _communication(reply, relevance, off_topic)
        scores = {"coverage": coverage, "depth": depth, "communication": communication}
        justification = {
            "coverage": f"Covers {covered + recovered} of {len(judged)} key points of the reference"
            + (f" ({recovered} only after the follow-up)" if recovered else "")
            + (f" and touches {partial} more." if partial else "."),
            "depth": _depth_words(depth),
            "communication": _communication_words(reply),
        }
        missed = [k.point for k in judged if k.status == "missed"]
        suggestions = [f"Cover: {p}" for p in missed[:5]]
        if depth < 3:
            suggestions.append("Explain why and how, not only what: add a mechanism, a trade-off or an example.")
        return self._grade(rubric, scores, justification, judged, flags, suggestions)

    def _says_of_question(self, question_stems: frozenset[str], reply: _Reply) -> float:
        """The share of the question's own terms the reply uses, each weighed by how rare it is in the banks."""
        weights = {x: self.corpus.idf(x) for x in question_stems}
        return sum(weights[x] for x in question_stems & reply.stems) / (sum(weights.values()) or 1.0)

    # -- experience ------------------------------------------------------------------------------

    def _grade_experience(
        self, request: GradeRequest, reply: _Reply, question_stems: frozenset[str], flags: list[str]
    ) -> Grade:
        rubric = self.rubrics["experience"]
        text = reply.text
        domain = (frozenset(terms(request.reference)) | question_stems) & reply.stems
        relevance = min(1.0, len(domain) / 5)
        own_fit, other_fit = self.corpus.fit(reply.text, request.question, request.reference)
        lead = own_fit - other_fit
        if lead < EXPERIENCE_OFF_TOPIC_MARGIN:  # a story that answers another question
            flags.append(OFF_TOPIC)
            relevance *= EXPERIENCE_OFF_TOPIC_RELEVANCE
        context_hits = {m.group(0).lower() for m in _CONTEXT.finditer(text)}
        action_hits = len(_OWN_ACTION.findall(text))
        outcome_hits = {m.group(0).lower() for m in _OUTCOME.finditer(text)}
        numbers = [m.group(0) for m in _NUMBER.finditer(text) if m.group(2)]
        substance = min(1.0, len(reply.stems - question_stems) / 45)
        explains = min(1.0, len(_EXPLAINS.findall(text)) / 3)

        scores = {
            "situation": 1 + relevance * min(4.0, 1.2 * len(context_hits)),
            "actions": 1 + relevance * min(4.0, 0.9 * action_hits),
            "technical_substance": 1 + relevance * 4 * (0.6 * substance + 0.4 * explains),
            "outcome": 1 + relevance * min(4.0, 1.0 * min(len(outcome_hits), 2) + 1.0 * min(len(numbers), 2)),
            "communication": _communication(reply, relevance, OFF_TOPIC in flags),
        }
        structure = [
            _structure_point("Context: the project, its goal and your role", len(context_hits), 2, text, _CONTEXT),
            _structure_point("Your own actions and decisions ('I ...')", action_hits, 2, text, _OWN_ACTION),
            _structure_point(
                "Technical substance: methods, tools, challenges", round(substance * 3), 2, text, _EXPLAINS
            ),
            _structure_point("A measurable outcome (numbers)", len(numbers), 1, text, _NUMBER),
        ]
        justification = {
            "situation": f"{len(context_hits)} signs of context (project, goal, team, constraints).",
            "actions": f"{action_hits} first-person actions ('I built', 'I decided', ...).",
            "technical_substance": f"{len(reply.stems - question_stems)} distinct technical and content words; "
            "correctness not assessed.",
            "outcome": f"{len(numbers)} measured figures and {len(outcome_hits)} words of result or learning.",
            "communication": _communication_words(reply),
        }
        tips = {
            "situation": "Open with the situation: the project, its goal, the constraints and your role.",
            "actions": "Say what you did yourself ('I designed...', 'I chose... because...').",
            "technical_substance": "Name the techniques and tools, the hard part, and why you chose them.",
            "outcome": "End with a measured outcome (numbers: time saved, accuracy, cost) and what you learned.",
        }
        suggestions = [tip for name, tip in tips.items() if scores[name] < 3.5]
        return self._grade(rubric, scores, justification, structure, flags, suggestions)

    # -- shared ----------------------------------------------------------------------------------

    def _grade(
        self,
        rubric: Rubric,
        scores: dict[str, float],
        justification: dict[str, str],
        key_points: list[KeyPoint],
        flags: list[str],
        suggestions: list[str],
    ) -> Grade:
        scores = {k: round(min(5.0, max(1.0, v)), 1) for k, v in scores.items()}
        strengths = [
            f"{c.name.replace('_', ' ').capitalize()}: {justification[c.name]}"
            for c in rubric.criteria
            if scores.get(c.name, 0) >= 4
        ]
        return assemble_grade(
            rubric,
            scores,
            justification,
            key_points,
            strengths=strengths,
            suggestions=suggestions,
            grader=self.name,
            flags=flags,
        )

    def _minimum(self, request: GradeRequest, flags: list[str], reason: str) -> Grade:
        rubric = self.rubrics[request.kind]
        points = [] if request.kind == "experience" else request.key_points or extract_key_points(request.reference)
        judged = [KeyPoint(point=p, status="missed") for p in points]
        criteria = [
            CriterionScore(name=c.name, score=0 if EMPTY_ANSWER in flags else 1, weight=c.weight, justification=reason)
            for c in rubric.criteria
            if c.name != "correctness"
        ]
        return Grade(
            overall=0,
            criteria=criteria,
            key_points=judged,
            missed=points,
            suggestions=["Give an answer, even a partial one: say what you know and reason from it."]
            + [f"Cover: {p}" for p in points[:3]],
            grader=self.name,
            flags=flags,
        )


def _recovered_or(judged: KeyPoint, first: _Reply, question_stems: frozenset[str], defined: dict[str, str]) -> KeyPoint:
    """A point covered by the replies together but not by the first one alone was recovered after the follow-up."""
    if judged.status != "covered" or _judge_point(judged.point, first, question_stems, defined).status == "covered":
        return judged
    return judged.model_copy(update={"status": "recovered"})


def _read(text: str, defined: dict[str, str]) -> _Reply:
    sentences = t.sentences(text)
    sentence_stems = [frozenset(terms(x, defined)) for x in sentences]
    return _Reply(text, frozenset().union(*sentence_stems), len(t.words(text)), sentences, sentence_stems)


def _judge_point(point: str, reply: _Reply, question_stems: frozenset[str], defined: dict[str, str]) -> KeyPoint:
    own = set(terms(point, defined))
    stems = (own - question_stems) or own
    if not stems:
        return KeyPoint(point=point, status="missed")
    hit = stems & reply.stems
    share = len(hit) / len(stems)
    if share >= 0.6 or len(hit) >= 3:
        status = "covered"
    elif hit and (share >= 0.3 or len(hit) >= 2):
        status = "partial"
    else:
        return KeyPoint(point=point, status="missed")
    best = max(range(len(reply.sentences)), key=lambda i: len(stems & reply.sentence_stems[i]))
    return KeyPoint(point=point, status=status, evidence=_window(reply.sentences[best], stems))


def _window(sentence: str, stems: set[str], margin: int = 3, limit: int = 16) -> str:
    """The stretch of a sentence around the words that match a key point: a short, exact quote."""
    tokens = sentence.split()
    hits = [i for i, tok in enumerate(tokens) if set(t.content_stems(tok)) & stems]
    if not hits:
        return t.shorten(sentence, limit)
    start, end = max(0, hits[0] - margin), min(len(tokens), hits[-1] + margin + 1)
    end = min(end, start + limit)
    return " ".join(tokens[start:end])


def _structure_point(label: str, count: int, enough: int, text: str, pattern: re.Pattern[str]) -> KeyPoint:
    status = "covered" if count >= enough else "partial" if count else "missed"
    evidence = None
    if count and (m := pattern.search(text)):
        sentence = next((s for s in t.sentences(text) if m.group(0) in s), m.group(0))
        evidence = t.shorten(sentence)
    return KeyPoint(point=label, status=status, evidence=evidence)


def _depth_signal(reply: _Reply, question_stems: frozenset[str]) -> float:
    """0-4 from how much the reply explains (reasons, trade-offs, examples) and how much it says."""
    richness = min(1.0, len(reply.stems - question_stems) / 45)
    explains = min(1.0, len(_EXPLAINS.findall(reply.text)) / 4)
    return 4 * (0.55 * richness + 0.45 * explains)


def _communication(reply: _Reply, relevance: float, off_topic: bool) -> float:
    """Structure and length, weighed by relevance; a reply to another question earns little floor for being well
    written (a complete story for a neighbouring question outscored a partial answer to this one)."""
    return 1 + ((0.1 if off_topic else 0.4) + 0.6 * relevance) * _communication_signal(reply)


def _communication_signal(reply: _Reply) -> float:
    """0-4 from what structure can show: several sentences of readable length, not too short or too long."""
    n_sentences = max(1, len(reply.sentences))
    avg = reply.words / n_sentences
    score = 1.5 if 6 <= avg <= 35 else 0.5
    score += min(1.0, (n_sentences - 1) / 3)
    score += 1.0 if 40 <= reply.words <= 400 else 0.5 if reply.words >= 20 else 0.0
    score += 0.5 if _STRUCTURE.search(reply.text) else 0.0
    return min(4.0, score)


def _depth_words(score: float) -> str:
    if score >= 4:
        return "Explains mechanisms, reasons or trade-offs with plenty of substance."
    if score >= 3:
        return "Explains some points; more reasons, trade-offs or examples would deepen it."
    if score >= 2:
        return "Mostly names ideas without explaining them."
    return "Says little of substance on the topic."


def _communication_words(reply: _Reply) -> str:
    words, sentences = reply.words, len(reply.sentences)
    return (f"{words} word{'s' * (words != 1)} in {sentences} sentence{'s' * (sentences != 1)} "
            "(judged on structure and length only).")  # fmt: skip
