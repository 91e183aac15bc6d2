"""Word-level text analysis for the offline grader: stems, stop words, sentences, warning signs."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

_STEMMERS = threading.local()
"""One Snowball stemmer per thread: a stemmer keeps its word in itself while it works, so threads sharing one
(gradings run in worker threads) garble each other's stems."""
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

# Common English function words plus interview filler: they say nothing about the topic.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each etc few for from further had hadn't has hasn't have haven't having he her here hers herself him himself
    his how i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't my myself
    no nor not of off on once only or other ought our ours ourselves out over own same she should shouldn't so
    some such than that that's the their theirs them themselves then there there's these they they're this those
    through to too under until up very was wasn't we we're we've were weren't what what's when where which while
    who whom why will with won't would wouldn't you you're your yours yourself yourselves yes okay ok um uh
    like basically actually really just kind sort thing things stuff lot lots pretty quite well mean think
    know guess maybe probably get gets got make makes made way ways use used using uses one two many much
    also would could might must shall may something anything everything someone else even still though
    """.split()
)

_NON_ANSWER = re.compile(
    r"\b(?:(?:haven'?t|have\s+not|don'?t|do\s+not|didn'?t|can'?t|cannot|couldn'?t|never)\s+(?:\w+\s+){0,2}?"
    r"(?:know|remember|recall|thought|worked|used|done|heard|kept\s+up|say|compare|answer|tell|touched|looked)"
    r"|not\s+(?:\w+\s+)?(?:sure|familiar)|no\s+(?:idea|clue|experience)|(?:be|'d\s+be)\s+guessing|pass|skip|"
    r"dunno|idk|next\s+question|no\s+comment)\b",
    re.IGNORECASE,
)

# Replies that try to instruct the grader rather than answer the question.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier|preceding|"
    r"system|grading)?\s*(instructions?|rules?|prompts?|rubric|guidelines)"
    r"|\b(give|award|assign|grant|score|rate|mark)\s+(me|this|the\s+(?:answer|reply|candidate))?\s*"
    r"(a\s+)?(full|maximum|max|perfect|top|highest|100|5\s*/\s*5|10\s*/\s*10)\b"
    r"|\byou\s+are\s+now\b|\bfrom\s+now\s+on\s+you\b|\bpretend\s+(to\s+be|you)\b|\brole-?play\b"
    r"|\b(system|assistant|developer)\s*(prompt|message)?\s*:|<\|?/?\s*(system|im_start|im_end|assistant|"
    r"answer|reply|candidate[_-]?(answer|reply)|reference|rubric|instructions?)[^>]*\|?>"
    r"|\bnew\s+(rubric|instructions?|rules?)\b|\b(grader|grading\s+model|evaluator|llm)\s*[:,]"
    r"|\b(score|grade|rating)\s*[:=]\s*(100|5|10)\b|\boverall\s*[:=]\s*\d+"
    r"|\bthought\s+process\s*:"
    r"|\b(rate|score|grade|mark)\s+(this|my|the)\s+(answer|reply|response)\s+(as\s+)?(a\s+)?\d+\s*(/|out\s+of)\s*\d+"
    r"|\bmark\s+(every|all|each)\s+(of\s+the\s+)?key\s*points?"
    r"|\b(score|rate|give|award)\s+(every|each|all)\s+(the\s+)?criteri(on|a)"
    r"|\b\d+(\s*/\s*\d+)?\s+(on|for|in)\s+(every|each|all)\s+(the\s+)?criteri(on|a)"
    r"|\"(score|criteria|overall|possible_prompt_injection|key_points)\"\s*:"
    r"|\breference(\s+answer)?(\s+above)?\s+(is|was)\s+(now\s+)?(outdated|wrong|incorrect|obsolete|deprecated)"
    r"|\bend\s+of\s+(the\s+)?(reply|answer|response|candidate'?s?\s+\w+)\b|\binterview\s+is\s+(now\s+)?over\b"
    r"|\brubric\s*[(:]|\b(updated|revised|official)\s+rubric\b",
    re.IGNORECASE,
)

# Invisible format characters (Unicode Cf: zero-width spaces and joiners, bidi controls, word joiners,
# the BOM, interlinear annotations, tag characters) that can hide a tag or an instruction from a pattern.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0001\U000e0020-\U000e007f]"
)


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning, in order (hyphenated words split: fine-tuned -> fine, tune)."""
    return [stem(w.split("'")[0]) for w in words(text) if w not in STOP_WORDS and len(w) > 1 or w.isdigit()]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def is_non_answer(text: str) -> bool:
    """'I don't know', 'no idea, pass' and the like: short and saying nothing but that."""
    n = len(words(text))
    return n <= 25 and bool(_NON_ANSWER.search(text)) and len(set(content_stems(text))) <= 6


def injection_spans(text: str) -> list[str]:
    """Sentences of the reply that address the grader instead of the interviewer (as written in `text`)."""
    return [s for s in sentences(text) if _INJECTION.search(strip_invisible(s))]


def without_injection(text: str, placeholder: str = "") -> tuple[str, bool]:
    """The reply with every sentence addressed to the grader taken out, and whether there was one."""
    spans = injection_spans(text)
    if not spans:
        return text, False
    kept = [placeholder if s in spans else s for s in sentences(text)]
    return "\n".join(k for k in kept if k), True


def plural(n: int, noun: str) -> str:
    """ "1 sign", "0 signs", "3 signs": feedback's counts agree with their noun (regular plurals are all it needs)."""
    return f"{n} {noun if n == 1 else noun + 's'}"


def shorten(text: str, max_words: int = 24) -> str:
    parts = text.split()
    return " ".join(parts[:max_words]) + (" …" if len(parts) > max_words else "")
