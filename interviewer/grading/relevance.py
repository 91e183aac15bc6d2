"""What a reply is about, for the offline grader: terms weighted by how rare they are across the bank's
references (IDF), abbreviations the bank defines, and a small reviewed list of technical synonyms
(`prompts/synonyms.toml`). These tell a reply to a neighbouring question (shared subject vocabulary, other
subject) from a reply to this one, and let a paraphrase match the reference's wording.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

from ..bank import all_questions, default_bank_files, load_bank
from ..errors import BankError
from ..resources import prompts_dir
from . import text as t

_DEFINED = re.compile(r"\b([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,5})\s*\(([A-Za-z][A-Za-z0-9]{1,9})\)")


@cache
def synonym_map() -> dict[str, str]:
    """Stem sequence (space-joined) -> the canonical stem of its group."""
    data = tomllib.loads((prompts_dir() / "synonyms.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for group in data.get("groups", []):
        forms = [" ".join(t.content_stems(term)) for term in group]
        forms = [f for f in forms if f]
        for form in forms:
            mapping.setdefault(form, forms[0].replace(" ", "_"))
    return mapping


def abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviations defined as `Long Form (ABBR)` in the texts: abbreviation stem -> stems of its long form."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _DEFINED.finditer(text):
            long_words, short = re.split(r"[\s-]+", match.group(1)), match.group(2).removesuffix("s")
            if sum(c.isupper() for c in short) < 2:  # "(kNN)", "(RAG)": an abbreviation; "(with)": not one
                continue
            initials = [w for w in long_words if w[0].isalpha()]
            # the long form is the run of words whose initials spell the abbreviation
            n = len(short)
            if len(initials) >= n and "".join(w[0] for w in initials[-n:]).lower() == short.lower():
                found[t.stem(short.lower())] = " ".join(t.content_stems(" ".join(initials[-n:])))
    return found


def terms(text: str, abbreviations: dict[str, str] | None = None) -> list[str]:
    """The text's content stems with synonyms made one term (a one-word synonym is replaced by its group's
    term, a phrase adds it) and defined abbreviations expanded (both forms kept, so that an abbreviation
    matches its long form and the other way round)."""
    synonyms = synonym_map()
    stems = t.content_stems(text)
    out = [synonyms.get(s, s) for s in stems]
    joined = " " + " ".join(stems) + " "
    for form, canonical in synonyms.items():
        if " " in form and f" {form} " in joined:
            out.append(canonical)
    for short, long in (abbreviations or {}).items():
        if f" {short} " in joined:
            out += long.split()
        if long and f" {long} " in joined:
            out.append(short)
    return out


class Corpus:
    """Questions with their references: how rare each term is across them (IDF), and what each is about."""

    def __init__(self, documents: Sequence[tuple[str, str]]) -> None:
        """`documents`: (question, reference) pairs, e.g. every question of the banks in use."""
        unique = list(dict.fromkeys(documents))
        self.pairs = unique
        """The (question, reference) pairs, for the rival check by meaning."""
        self.size = len(unique)
        self.frequency: Counter[str] = Counter()
        for question, reference in unique:
            self.frequency.update(set(terms(f"{question}\n{reference}")))
        self.documents = [(question, self.vector(f"{question}\n{reference}")) for question, reference in unique]

    def idf(self, term: str) -> float:
        return math.log((1 + self.size) / (1 + self.frequency[term])) + 1

    def vector(self, text: str, defined: dict[str, str] | None = None) -> dict[str, float]:
        """TF-IDF weights of the text's terms, of unit length."""
        counts = Counter(terms(text, defined))
        weights = {term: (1 + math.log(n)) * self.idf(term) for term, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {term: w / norm for term, w in weights.items()}

    def fit(self, reply: str, question: str, reference: str) -> tuple[float, float]:
        """How well the reply fits this question (cosine with its question and reference), and how well it fits
        the best other question of the corpus."""
        defined = abbreviations([question, reference])
        reply_vector = self.vector(reply, defined)
        own = _cosine(reply_vector, self.vector(f"{question}\n{reference}", defined))
        others = [_cosine(reply_vector, vector) for text, vector in self.documents if text != question]
        return own, max(others, default=0.0)

    @classmethod
    def with_bundled(cls, documents: Iterable[tuple[str, str]] = ()) -> Corpus:
        return cls([*bundled_documents(), *documents])


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


@cache
def bundled_documents() -> tuple[tuple[str, str], ...]:
    """The questions and references of the default banks shipped with the app: the background for rarity.

    Not the library's: a library bank joins the corpus when it is in use (`OfflineGrader.knowing`). As a
    permanent background its generative-AI vocabulary made the very terms that tell the default bank's
    questions apart common, and its specific stories ("a time you improved retrieval") outbid a story told to
    a general question; measured on the seed bank's labelled replies, Spearman fell from 0.62 to 0.54."""
    try:
        banks = [load_bank(path) for path in default_bank_files()]
    except (BankError, OSError):
        return ()
    return tuple((q.text, q.reference) for q in all_questions(banks))


@cache
def bundled_corpus() -> Corpus:
    return Corpus.with_bundled()
