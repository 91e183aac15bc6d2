"""The offline grader: deterministic key-point coverage against the reference, no network.

It measures what can be shown without judging correctness (which key points the reply covers, how much it
explains, how it is put together) and says plainly that it cannot judge correctness. With the semantic layer
(grading/semantic.py, on by default) it reads by meaning: a key point is covered when a sentence of the reply
says it in any words, and a reply is placed on its question by what it is about. Without it, it reads by words
(stems, synonyms, abbreviations). The grade's `grader` says which: `offline:meaning` or `offline:words`.
Scores are kept to one decimal so that close replies stay ordered; the overall is computed from them and the
rubric's weights, with the criteria it cannot assess left out. Thresholds: grading/thresholds.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..bank import Question, extract_key_points
from ..rubric import Rubric, load_rubric
from ..tokens import Usage
from . import meaning, story
from . import text as t
from . import thresholds as th
from .keypoints import Asked, Reply, judge_points, read_reply
from .meaning import Reading
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
from .semantic import Embedder, SemanticLayer, shared_layer

log = logging.getLogger(__name__)

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
MEANING = "offline:meaning"
WORDS = "offline:words"
"""The grader ids: by meaning (the semantic layer was used) or by words only (it was off or could not load)."""


class OfflineGrader:
    def __init__(
        self,
        rubrics: dict[str, Rubric] | None = None,
        corpus: Corpus | None = None,
        semantic: SemanticLayer | None = None,
        corpora: Mapping[tuple[str, str], Corpus] | None = None,
    ) -> None:
        self.rubrics = rubrics or {k: load_rubric(k) for k in ("technical", "experience")}
        self._corpus = corpus
        """The questions whose vocabulary tells one subject from another (default: the bundled banks')."""
        self._corpora = dict(corpora or {})
        """With several banks in use: the corpus of each question's own bank, by (question, reference)."""
        self._semantic = semantic
        """The embedding model (default: the process's, as the settings ask); SemanticLayer.off() for words only."""

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = bundled_corpus()
        return self._corpus

    def corpus_for(self, request: GradeRequest) -> Corpus:
        """The corpus this reply is graded against: its own bank's when several are in use."""
        return self._corpora.get((request.question, request.reference), self.corpus)

    @property
    def semantic(self) -> SemanticLayer:
        """The layer given, else the process's as the settings ask, looked up once per grader (not per grade)."""
        if self._semantic is None:
            self._semantic = shared_layer()
        return self._semantic

    @property
    def name(self) -> str:
        """`offline:meaning` when the embedding model can be used, else `offline:words` (waits for its load)."""
        return MEANING if self.semantic.embedder() else WORDS

    def knowing(self, questions: Iterable[Question]) -> OfflineGrader:
        """This grader, telling apart the subjects of these questions too (the banks in use), not only the
        bundled banks': a reply to a neighbouring question of the candidate's own bank is then noticed."""
        questions = list(questions)
        whole = Corpus.with_bundled((q.text, q.reference) for q in questions)
        banks: dict[str, list[Question]] = {}
        for q in questions:
            banks.setdefault(q.source, []).append(q)
        if len(banks) < 2:
            return OfflineGrader(self.rubrics, whole, self._semantic)
        # Several banks: each question is graded against its own bank and the default one, as each bank is
        # measured (`interviewer eval --bank`), not against every bank in use. Banks overlap: a general question
        # ("a challenging project with generative models") is answered well by a story that fits a library's
        # specific one better ("a time you improved retrieval"), and the library's vocabulary makes the
        # seed's rare terms common. With every library bank in use, the seed's labelled replies fell from 0.87
        # to 0.79 Spearman and an excellent story was called off topic.
        own = {bank: Corpus.with_bundled((q.text, q.reference) for q in qs) for bank, qs in banks.items()}
        corpora = {(q.text, q.reference): own[q.source] for q in questions}
        return OfflineGrader(self.rubrics, whole, self._semantic, corpora)

    def knowing_documents(self, documents: Iterable[tuple[str, str]]) -> OfflineGrader:
        """The same from (question, reference) pairs, all of one bank."""
        return OfflineGrader(self.rubrics, Corpus.with_bundled(documents), self._semantic)

    async def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade:
        """The Grader interface (async like every grader); no tokens are spent here. The model runs in a worker
        thread, so that a web app's other visitors are not held up meanwhile."""
        return await asyncio.to_thread(self.assess, request)

    def assess(self, request: GradeRequest) -> Grade:
        """Grade a reply: deterministic key-point coverage, depth and structure."""
        embedder = self.semantic.embedder()
        first = self._first_look(request, MEANING if embedder else WORDS)
        if isinstance(first, Grade):
            return first
        reply, asked, flags = first
        if request.kind == "experience":
            reading = self._reading(embedder, reply, request, [])
            return self._grade_experience(request, reply, asked, flags, reading)
        return self._grade_technical(request, reply, asked, flags, embedder)

    def no_answer(self, request: GradeRequest) -> Grade | None:
        """The minimum grade of a reply that is empty or answers nothing (found by words: no model run), else
        None. An LLM grader sends no such reply to its model."""
        first = self._first_look(request, self.name)
        return first if isinstance(first, Grade) else None

    def _first_look(self, request: GradeRequest, grader: str) -> Grade | tuple[Reply, Asked, list[str]]:
        """The minimum grade of an empty reply or a non-answer; else the reply as read, what was asked, and the
        flags so far."""
        reply_text = request.full_reply()
        flags: list[str] = [CORRECTNESS_NOT_ASSESSED]
        if not reply_text.strip():
            return self._minimum(request, [EMPTY_ANSWER, *flags], "The reply is empty.", grader)
        reply_text, injected = t.without_injection(reply_text)
        if injected:
            flags.append(INJECTION)
        defined = abbreviations([request.question, request.reference])
        reply = read_reply(reply_text, defined)
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
            return self._minimum(request, [NO_ANSWER, *flags], reason, grader)
        return reply, Asked(question_stems, reference_terms, defined), flags

    def _reading(
        self, embedder: Embedder | None, reply: Reply, request: GradeRequest, points: Sequence[str]
    ) -> Reading | None:
        """The reply read by meaning, or None (words only) when the model is off or fails on this text."""
        if embedder is None:
            return None
        try:
            against = meaning.Against(request.question, request.reference, points, self.corpus_for(request).pairs)
            return meaning.read(embedder, reply.text, reply.units, against)
        except Exception:  # onnxruntime's own errors: grade this reply by words rather than not at all
            log.exception("the embedding model failed on a reply: grading it by words")
            return None

    # -- technical -------------------------------------------------------------------------------

    def _grade_technical(
        self, request: GradeRequest, reply: Reply, asked: Asked, flags: list[str], embedder: Embedder | None
    ) -> Grade:
        rubric = self.rubrics["technical"]
        points = request.key_points or extract_key_points(request.reference)
        reading = self._reading(embedder, reply, request, points)
        judged = judge_points(points, reply, asked, reading, set(request.hinted))
        if any(f.answer for f in request.followups):  # what the follow-up answers added, apart from the first reply
            first = read_reply(t.without_injection(request.answer)[0], asked.defined)
            first_reading = self._reading(embedder, first, request, points) if reading else None
            alone = judge_points(points, first, asked, first_reading, set(request.hinted))
            judged = [_recovered_or(k, a) for k, a in zip(judged, alone)]
        covered = sum(k.status == "covered" for k in judged)
        recovered = sum(k.status == "recovered" for k in judged)
        partial = sum(k.status == "partial" for k in judged)
        credited = covered + rubric.recovery_credit * recovered + 0.5 * partial
        ratio = credited / max(1, len(judged))
        off_topic, fit = self._placed(request, reply, asked, ratio, reading)
        if off_topic:
            flags.append(OFF_TOPIC)
            ratio *= th.OFF_TOPIC_RELEVANCE
        # Vocabulary shared with the whole reference, beyond the question's own words: catches
        # replies that cover the substance in other sentences than the key points.
        ref_stems = asked.reference_terms - asked.question_stems
        cut = th.OFF_TOPIC_RELEVANCE if off_topic else 1.0
        vocab = len(ref_stems & reply.stems) / max(1, len(ref_stems)) * cut
        # How much of the reply's explaining counts: by words, what it shares with the reference; by meaning, how
        # close it is to the question and reference (a reply in other words shares few of the reference's terms).
        relevance = min(1.0, (ratio + vocab) / 0.45) * cut * fit
        if reading:  # by meaning, the criterion follows the share of points covered
            coverage = 1 + 4 * min(1.0, ratio / th.FULL_COVERAGE) * fit
        else:
            coverage = 1 + 4 * min(1.0, 0.75 * ratio / 0.5 + 0.25 * vocab / 0.35)
        depth = 1 + relevance * _depth_signal(reply, asked.question_stems) * reply.prose
        communication = _communication(reply, relevance, off_topic)
        scores = {"coverage": coverage, "depth": depth, "communication": communication}
        justification = {
            "coverage": f"Covers {covered + recovered} of {t.plural(len(judged), 'key point')} of the reference"
            + (f" ({recovered} only after the follow-up)" if recovered else "")
            + (f" and touches {partial} more." if partial else "."),
            "depth": _depth_words(depth, reply),
            "communication": _communication_words(reply),
        }
        missed = [k.point for k in judged if k.status == "missed"]
        suggestions = [f"Cover: {p}" for p in missed[:5]]
        if reply.prose < 1:
            suggestions.append("Explain the terms you list: say what each does and why it matters, in sentences.")
        elif depth < 3:
            suggestions.append("Explain why and how, not only what: add a mechanism, a trade-off or an example.")
        grader = MEANING if reading else WORDS
        return scored_grade(rubric, scores, justification, judged, flags=flags, suggestions=suggestions, grader=grader)

    def _placed(
        self, request: GradeRequest, reply: Reply, asked: Asked, ratio: float, reading: Reading | None
    ) -> tuple[bool, float]:
        """Whether the reply answers another question (off topic), and how well it fits its own (0-1, 1 by words).

        By meaning: another question of the banks in use fits it clearly better, or it is far from its own.
        By words: another question fits the reply's words clearly better; or it covers few key points and barely
        fits this one; or another fits at least as well and the reply says little of this question's own terms.
        (With a reading, the words add nothing: every reply they alone flagged on the dev sets was in fact on
        its question, in other words than the reference's.)"""
        if reading is not None:
            off_topic = reading.margin < th.MEANING_OFF_TOPIC_MARGIN or reading.own < th.MEANING_OFF_TOPIC_OWN
            span = th.MEANING_RELEVANCE_FULL - th.MEANING_RELEVANCE_FLOOR
            return off_topic, min(1.0, max(0.0, (reading.own - th.MEANING_RELEVANCE_FLOOR) / span))
        corpus = self.corpus_for(request)
        own_fit, other_fit = corpus.fit(reply.text, request.question, request.reference)
        lead = own_fit - other_fit
        by_words = (
            lead < th.OFF_TOPIC_MARGIN
            or (ratio < th.OFF_TOPIC_COVERAGE and own_fit < th.OFF_TOPIC_FIT)
            or (lead < 0 and _says_of_question(corpus, asked.question_stems, reply) < th.OFF_TOPIC_QUESTION_TERMS)
        )
        return by_words, 1.0

    # -- experience ------------------------------------------------------------------------------

    def _grade_experience(
        self, request: GradeRequest, reply: Reply, asked: Asked, flags: list[str], reading: Reading | None
    ) -> Grade:
        rubric = self.rubrics["experience"]
        text = reply.text
        question_stems = asked.question_stems
        domain = (frozenset(terms(request.reference)) | question_stems) & reply.stems
        relevance = min(1.0, len(domain) / 5)
        own_fit, other_fit = self.corpus_for(request).fit(reply.text, request.question, request.reference)
        by_words = own_fit - other_fit < th.EXPERIENCE_OFF_TOPIC_MARGIN  # a story that answers another question
        off_topic = by_words or (reading is not None and reading.margin < th.EXPERIENCE_MEANING_MARGIN)
        if off_topic:
            flags.append(OFF_TOPIC)
            relevance *= th.EXPERIENCE_OFF_TOPIC_RELEVANCE
        context_hits = {m.group(0).lower() for m in story.CONTEXT.finditer(text)}
        action_hits = len(story.OWN_ACTION.findall(text))
        outcome_hits = {m.group(0).lower() for m in story.OUTCOME.finditer(text)}
        numbers = [m.group(0) for m in story.NUMBER.finditer(text) if m.group(2)]
        substance = min(1.0, len(reply.stems - question_stems) / 45)
        explains = min(1.0, len(_EXPLAINS.findall(text)) / 3)

        scores = {
            "situation": 1 + relevance * min(4.0, 1.2 * len(context_hits)),
            "actions": 1 + relevance * min(4.0, 0.9 * action_hits),
            "technical_substance": 1 + relevance * 4 * (0.6 * substance + 0.4 * explains) * reply.prose,
            "outcome": 1 + relevance * min(4.0, 1.0 * min(len(outcome_hits), 2) + 1.0 * min(len(numbers), 2)),
            "communication": _communication(reply, relevance, off_topic),
        }
        structure = story.parts(
            reply,
            [
                ("Context: the project, its goal and your role", len(context_hits), 2, story.CONTEXT),
                ("Your own actions and decisions ('I ...')", action_hits, 2, story.OWN_ACTION),
                ("Technical substance: methods, tools, challenges", round(substance * 3), 2, _EXPLAINS),
                ("A measurable outcome (numbers)", len(numbers), 1, story.NUMBER),
            ],
        )
        justification = {
            "situation": t.plural(len(context_hits), "sign") + " of context (project, goal, team, constraints).",
            "actions": t.plural(action_hits, "first-person action") + " ('I built', 'I decided', ...).",
            "technical_substance": t.plural(len(reply.stems - question_stems), "distinct technical and content word")
            + ("" if reply.prose == 1 else ", listed rather than explained")
            + "; correctness not assessed.",
            "outcome": f"{t.plural(len(numbers), 'measured figure')} and "
            f"{t.plural(len(outcome_hits), 'word')} of result or learning.",
            "communication": _communication_words(reply),
        }
        tips = {
            "situation": "Open with the situation: the project, its goal, the constraints and your role.",
            "actions": "Say what you did yourself ('I designed...', 'I chose... because...').",
            "technical_substance": "Name the techniques and tools, the hard part, and why you chose them.",
            "outcome": "End with a measured outcome (numbers: time saved, accuracy, cost) and what you learned.",
        }
        suggestions = [tip for name, tip in tips.items() if scores[name] < 3.5]
        if reply.prose < 1:
            suggestions.append("Tell it as a story in sentences, not as a list of terms.")
        grader = MEANING if reading else WORDS
        return scored_grade(
            rubric, scores, justification, structure, flags=flags, suggestions=suggestions, grader=grader
        )

    # -- shared ----------------------------------------------------------------------------------

    def _minimum(self, request: GradeRequest, flags: list[str], reason: str, grader: str) -> Grade:
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
            grader=grader,
            flags=flags,
        )


def _recovered_or(judged: KeyPoint, first_alone: KeyPoint) -> KeyPoint:
    """A point covered by the replies together but not by the first one alone was recovered after the follow-up."""
    if judged.status != "covered" or first_alone.status == "covered":
        return judged
    return judged.model_copy(update={"status": "recovered"})


def _depth_signal(reply: Reply, question_stems: frozenset[str]) -> float:
    """0-4 from how much the reply explains (reasons, trade-offs, examples) and how much it says."""
    richness = min(1.0, len(reply.stems - question_stems) / 45)
    explains = min(1.0, len(_EXPLAINS.findall(reply.text)) / 4)
    return 4 * (0.55 * richness + 0.45 * explains)


def _says_of_question(corpus: Corpus, question_stems: frozenset[str], reply: Reply) -> float:
    """The share of the question's own terms the reply uses, each weighed by how rare it is in the banks."""
    weights = {x: corpus.idf(x) for x in question_stems}
    return sum(weights[x] for x in question_stems & reply.stems) / (sum(weights.values()) or 1.0)


def _communication(reply: Reply, relevance: float, off_topic: bool) -> float:
    """Structure and length, weighed by relevance; a reply to another question earns little floor for being well
    written (a complete story for a neighbouring question outscored a partial answer to this one), and a list of
    terms little for being a list."""
    return 1 + ((0.1 if off_topic else 0.4) + 0.6 * relevance) * _communication_signal(reply) * reply.prose


def _communication_signal(reply: Reply) -> float:
    """0-4 from what structure can show: several sentences of readable length, not too short or too long."""
    n_sentences = max(1, len(reply.sentences))
    avg = reply.words / n_sentences
    score = 1.5 if 6 <= avg <= 35 else 0.5
    score += min(1.0, (n_sentences - 1) / 3)
    score += 1.0 if 40 <= reply.words <= 400 else 0.5 if reply.words >= 20 else 0.0
    score += 0.5 if _STRUCTURE.search(reply.text) else 0.0
    return min(4.0, score)


def _depth_words(score: float, reply: Reply) -> str:
    if reply.prose < 1:
        return "Lists terms without explaining them: no reasons, mechanisms or links between the ideas."
    if score >= 4:
        return "Explains mechanisms, reasons or trade-offs with plenty of substance."
    if score >= 3:
        return "Explains some points; more reasons, trade-offs or examples would deepen it."
    if score >= 2:
        return "Mostly names ideas without explaining them."
    return "Says little of substance on the topic."


def _communication_words(reply: Reply) -> str:
    words, sentences = reply.words, len(reply.sentences)
    return f"{t.plural(words, 'word')} in {t.plural(sentences, 'sentence')} (judged on structure and length only)."


def scored_grade(
    rubric: Rubric, scores: dict[str, float], justification: dict[str, str], key_points: list[KeyPoint], **fields: Any
) -> Grade:
    """A grade from the offline grader's raw criterion scores: each kept within 1-5, the criteria scored 4 or more
    named as strengths; `fields` are the Grade's other fields (flags, suggestions, grader)."""
    scores = {k: round(min(5.0, max(1.0, v)), 1) for k, v in scores.items()}
    strengths = [
        f"{c.name.replace('_', ' ').capitalize()}: {justification[c.name]}"
        for c in rubric.criteria
        if scores.get(c.name, 0) >= 4
    ]
    return assemble_grade(rubric, scores, justification, key_points, strengths=strengths, **fields)
