"""Regression guards on the offline grader's agreement with labelled replies, by meaning (the semantic layer, the
default) and by words, with a margin below the figures measured when they were set (bench/grader_quality.sh
prints the exact ones). The validation set was never used to tune the grader; its figures are the real ones. A
guard that fails after a change to the grader means the change made it worse on answers it has not seen (or on
the dev sets it was tuned on). Slow: the meaning run embeds about 1,300 replies with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.bank import all_questions, load_banks
from interviewer.batch import eval_set
from interviewer.config import Settings
from interviewer.grading.factory import GraderChoice, choose_grader
from interviewer.grading.semantic import SemanticLayer, layer_for
from interviewer.resources import bank_dir

DATA = Path(__file__).parent / "data"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # the meaning run embeds about 1,450 replies


def _reports(layer: SemanticLayer) -> dict:
    offline = choose_grader(Settings(grader="offline"))
    choice = GraderChoice(type(offline.grader)(semantic=layer), offline.followups, offline.label)
    sets = (("seed", "labelled_genai_misc.jsonl"), ("dev", "dev"), ("validation", "validation"))
    reports = {name: eval_set(choice, DATA / path) for name, path in sets}
    # The library's replies, part of dev, measured apart too as a session grades them: knowing whole banks.
    library = list(all_questions(load_banks([bank_dir() / "library"])))
    return reports | {"library": eval_set(choice, DATA / "dev" / "library", library)}


@pytest.fixture(scope="module")
def meaning(tmp_path_factory):
    layer = layer_for(True, None, tmp_path_factory.mktemp("cache"))
    assert layer.embedder() is not None, layer.reason
    return _reports(layer)


@pytest.fixture(scope="module")
def words():
    return _reports(SemanticLayer.off())


def checks(report) -> dict[str, tuple[int, int]]:
    return {c.name: (c.passed, c.questions) for c in report.order_checks}


def test_validation_by_meaning(meaning):
    v = meaning["validation"]  # measured 0.859 / 0.939 (README, "Grader quality"); by words 0.844 / 0.919
    assert v.without_wrong.n == 384 and v.all.n == 432
    assert v.without_wrong.spearman >= 0.83 and v.without_wrong.pairwise_accuracy >= 0.92
    assert checks(v)["off-topic < partial"][0] >= 44  # the issue-11 target, 90% of 48; measured 45
    assert checks(v)["plain words > keyword list"][0] >= 45  # measured 47
    assert all(c.questions == 48 for c in v.order_checks)
    assert checks(v)["good > partial"][0] >= 46


def test_validation_by_words(words):
    v = words["validation"]
    assert v.without_wrong.spearman >= 0.82 and v.without_wrong.pairwise_accuracy >= 0.90
    assert checks(v)["off-topic < partial"][0] >= 36
    assert checks(v)["plain words > keyword list"][0] >= 45  # lists of terms earn no depth or communication


def test_no_excellent_good_or_plain_words_reply_is_flagged_off_topic_in_dev(meaning, words):
    for reports in (meaning, words):
        for name in ("seed", "dev"):
            flagged = reports[name].flagged_off_topic
            assert not {"excellent", "good"} & set(flagged), (name, flagged)
    # In dev, only the library's LoRA reply in plain words ("two skinny grids of numbers", no term of the field)
    # is flagged: it was labelled before the grader met it, and is left as a known miss, not tuned away.
    assert meaning["dev"].flagged_off_topic.get("plainwords", 0) <= 1


def test_dev_figures(meaning, words):
    assert meaning["dev"].all.n == words["dev"].all.n == 908  # 764, and 144 on the library (below)
    for reports in (meaning, words):
        assert reports["dev"].without_wrong.spearman >= 0.84 and reports["dev"].without_wrong.pairwise_accuracy >= 0.89
    assert checks(meaning["dev"])["off-topic < partial"][0] >= 76  # by words: 71 of 91


def test_the_library(meaning, words):
    """Replies to 16 questions of the library (two per bank), labelled before the grader first scored them,
    graded knowing the whole banks as a session does: 0.901 / 0.945 by meaning and 0.933 / 0.974 by words
    (knowing only the lines' questions, as dev is measured: 0.867 / 0.925 and 0.887 / 0.941). The references
    were not tuned to them."""
    for reports in (meaning, words):
        lib = reports["library"]
        assert lib.all.n == 144 and all(c.questions == 16 for c in lib.order_checks)
        assert lib.without_wrong.spearman >= 0.87 and lib.without_wrong.pairwise_accuracy >= 0.92
        assert checks(lib)["good > partial"][0] >= 15 and checks(lib)["partial > vague"][0] >= 15
        assert checks(lib)["off-topic < partial"][0] >= 15  # measured 16 in both readings
        assert not {"excellent", "good"} & set(lib.flagged_off_topic)


def test_a_live_session_tells_apart_the_subjects_of_the_candidates_own_bank(tmp_path):
    """In practice, the offline grader knows the questions of the bank in use (as `eval` knows its lines'), so
    a reply answering a neighbouring question of the candidate's own bank is noticed, not only of the bundled
    banks. Here: "containers vs VMs" answered with how Kubernetes pods and deployments work (question 2)."""
    from tests.support.cli import run_cli

    dev = Path(__file__).parent / "data" / "dev"
    [off_topic] = [r for line in (dev / "cloud_devops.jsonl").read_text(encoding="utf-8").splitlines()
                   if (r := json.loads(line))["id"] == "cloud_devops#1/offtopic"]  # fmt: skip
    for semantic in ("0", "1"):
        env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data"), "INTERVIEWER_SEMANTIC": semantic}
        result = run_cli("practice", "--bank", str(dev / "banks" / "cloud_devops.md"), "-n", "1", "--followups", "0",
                         "--out", "tr", stdin=off_topic["answer"] + "\n\n", env=env)  # fmt: skip
        assert result.code == 0, result.err
        assert "seems to answer a different question" in result.out, semantic
