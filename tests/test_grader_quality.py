"""Regression guards on the offline grader's agreement with labelled replies, with a margin below the figures
measured when they were set (bench/grader_quality.sh prints the exact ones). The validation set was never
used to tune the grader; its figures are the real ones. A guard that fails after a change to the grader means
the change made it worse on answers it has not seen (or on the dev sets it was tuned on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.batch import eval_set
from interviewer.config import Settings
from interviewer.grading.factory import choose_grader

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def reports():
    choice = choose_grader(Settings(grader="offline"))
    return {name: eval_set(choice, DATA / path) for name, path in
            (("seed", "labelled_genai_misc.jsonl"), ("dev", "dev"), ("validation", "validation"))}  # fmt: skip


def checks(report) -> dict[str, tuple[int, int]]:
    return {c.name: (c.passed, c.questions) for c in report.order_checks}


def test_validation_figures_the_grader_was_never_tuned_on(reports):
    v = reports["validation"]  # measured: 0.850 / 0.932 without wrong, 0.560 all, off-topic < partial 38/48
    assert v.without_wrong.n == 288 and v.all.n == 336
    assert v.without_wrong.spearman >= 0.83 and v.without_wrong.pairwise_accuracy >= 0.91
    assert v.all.spearman >= 0.54
    passed, questions = checks(v)["off-topic < partial"]
    assert questions == 48 and passed >= 36
    assert checks(v)["good > partial"][0] >= 46


def test_no_excellent_or_good_reply_is_flagged_off_topic(reports):
    for name, report in reports.items():
        assert not {"excellent", "good"} & set(report.flagged_off_topic), (name, report.flagged_off_topic)


def test_dev_figures(reports):
    seed, dev = reports["seed"], reports["dev"]  # measured: 0.912 / 0.955 and 0.861 / 0.919 without wrong
    assert dev.all.n == 604
    assert seed.without_wrong.spearman >= 0.89 and seed.without_wrong.pairwise_accuracy >= 0.93
    assert dev.without_wrong.spearman >= 0.84 and dev.without_wrong.pairwise_accuracy >= 0.90
    assert checks(dev)["off-topic < partial"] >= (69, 91)  # measured 71 of 91


def test_a_live_session_tells_apart_the_subjects_of_the_candidates_own_bank(tmp_path):
    """In practice, the offline grader knows the questions of the bank in use (as `eval` knows its lines'), so
    a reply answering a neighbouring question of the candidate's own bank is noticed, not only of the bundled
    banks. Here: "containers vs VMs" answered with how Kubernetes pods and deployments work (question 2)."""
    import json

    from tests.support.cli import run_cli

    dev = Path(__file__).parent / "data" / "dev"
    [off_topic] = [r for line in (dev / "cloud_devops.jsonl").read_text(encoding="utf-8").splitlines()
                   if (r := json.loads(line))["id"] == "cloud_devops#1/offtopic"]  # fmt: skip
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("practice", "--bank", str(dev / "banks" / "cloud_devops.md"), "-n", "1", "--followups", "0",
                     "--out", "tr", stdin=off_topic["answer"] + "\n\n", env=env)  # fmt: skip
    assert result.code == 0, result.err
    assert "seems to answer a different question" in result.out
