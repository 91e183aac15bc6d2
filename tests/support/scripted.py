"""A scripted grader and replies of known coverage, for the engine's tests (no grader's judgement in them)."""

from __future__ import annotations

import asyncio

from interviewer.grading.models import CriterionScore, Grade, GradeRequest, KeyPoint

# Replies to questions of bank/genai_misc.md (by number): thorough, thin and good ones.
THOROUGH_1 = (
    "The big risks are bias, misinformation, privacy and intellectual property. Models trained on skewed data amplify "
    "that bias. They can generate convincing misinformation, leak personal data, reproduce copyrighted text, and there "
    "is job displacement. To address it: diverse training data and a bias audit before release, content filtering and "
    "human oversight, transparent disclosure of AI use and user consent, regular ethical reviews with stakeholder "
    "consultation under a responsible AI framework, then continuous bias assessment, harm detection and feedback loops."
)
THIN_1 = "Bias is the main one: if the training data is skewed the model repeats it."
GOOD_5 = (
    "GANs produce sharp, high-quality outputs but training is unstable, they suffer mode collapse and have no explicit "
    "density. VAEs train stably within a probabilistic framework but outputs are blurrier because of the "
    "reconstruction loss. So GANs for quality, VAEs for stability and interpretability, and diffusion models give "
    "both quality and controllability; the choice depends on requirements, stability needs and compute constraints."
)


class ScriptedGrader:
    """Grades with the next scripted overall (cycling), missing every key point it is told to; records requests."""

    name = "scripted"

    def __init__(self, scores=(50.0,), fallback_reason=None, missed=()):
        self.scores = list(scores)
        self.fallback_reason = fallback_reason
        self.missed = set(missed)
        self.requests: list[GradeRequest] = []
        self.usages: list[object] = []

    async def grade(self, request: GradeRequest, usage=None) -> Grade:
        await asyncio.sleep(0)
        self.requests.append(request)
        self.usages.append(usage)
        overall = self.scores[(len(self.requests) - 1) % len(self.scores)]
        points = [KeyPoint(point=p, status="missed" if p in self.missed else "covered") for p in request.key_points]
        return Grade(
            overall=overall,
            criteria=[CriterionScore(name="clarity", score=1 + overall / 25, weight=1.0, justification="scripted")],
            key_points=points,
            covered=[k.point for k in points if k.status == "covered"],
            missed=[k.point for k in points if k.status == "missed"],
            grader="llm:scripted",
            fallback_reason=self.fallback_reason,
        )
