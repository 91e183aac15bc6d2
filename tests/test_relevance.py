"""What a reply is about: abbreviations a bank defines, the reviewed synonyms, and the off-topic flag."""

from __future__ import annotations

from interviewer.grading.models import OFF_TOPIC, GradeRequest
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.relevance import Corpus, abbreviations, synonym_map, terms

INDEX_Q = "What is a database index and when does it hurt?"
INDEX_REF = ("**Index:** a B-tree over chosen columns that speeds up lookups, range scans and joins.\n\n"
             "**Costs:** slower inserts and updates, more storage, and the planner may ignore a low-selectivity index.")
TXN_Q = "What do the ACID properties of a transaction mean?"
TXN_REF = ("**Atomicity:** all or nothing. **Consistency:** constraints hold. **Isolation:** concurrent transactions "
           "do not see each other's partial work. **Durability:** a commit survives a crash.")
ON_TOPIC = ("An index is a B-tree on some columns, so a lookup or a range scan reads a few pages instead of the whole "
            "table, and joins get faster. It hurts writes, since every insert and update maintains it, and it costs "
            "storage; on a low-selectivity column the planner may skip it anyway.")
NEIGHBOUR = ("A transaction is atomic, so it either fully commits or rolls back; consistency means constraints hold "
             "after it; isolation keeps concurrent transactions from seeing each other's partial work, and durability "
             "means a commit survives a crash because it is in the write-ahead log. An index does not change that.")


def test_defined_abbreviations_match_both_ways():
    defined = abbreviations(["We use Retrieval-Augmented Generation (RAG) and k-nearest neighbours (kNN)."])
    assert set(defined) == {"rag", "knn"}
    assert set(terms("RAG helps", defined)) >= set(terms("retrieval augmented generation helps"))
    assert "rag" in terms("retrieval-augmented generation helps", defined)
    assert abbreviations(["a plain sentence (with a note)"]) == {}


def test_synonyms_are_data_and_make_one_term():
    assert synonym_map(), "prompts/synonyms.toml is read"
    assert set(terms("the LLM")) & set(terms("a large language model"))
    assert set(terms("personal data leaks")) & set(terms("privacy"))


def test_an_answer_to_a_neighbouring_question_is_flagged_and_scores_below_the_right_one():
    grader = OfflineGrader(corpus=Corpus.with_bundled([(INDEX_Q, INDEX_REF), (TXN_Q, TXN_REF)]))
    right = grader.assess(GradeRequest(question=INDEX_Q, reference=INDEX_REF, answer=ON_TOPIC))
    other = grader.assess(GradeRequest(question=INDEX_Q, reference=INDEX_REF, answer=NEIGHBOUR))
    assert OFF_TOPIC not in right.flags
    assert OFF_TOPIC in other.flags and other.overall < right.overall / 2
    # the same reply is right for the question it answers
    assert OFF_TOPIC not in grader.assess(GradeRequest(question=TXN_Q, reference=TXN_REF, answer=NEIGHBOUR)).flags
