"""The offline grader by meaning: the real embedding model (all-MiniLM-L6-v2, int8 ONNX), its checks and
fallbacks, and what it changes for a candidate: plain words count, keyword lists do not, quotes are whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from interviewer.bank import DEFAULT_BANK, load_bank
from interviewer.grading.meaning import units
from interviewer.grading.models import OFF_TOPIC, GradeRequest
from interviewer.grading.offline import MEANING, WORDS, OfflineGrader
from interviewer.grading.semantic import (
    PACKAGED_SHA256,
    Embedder,
    ModelFiles,
    SemanticLayer,
    SemanticUnavailable,
    folder_files,
    layer_for,
    packaged_files,
    shared_layer,
)
from tests.support.cli import run_cli

DATA = Path(__file__).parent / "data"
LATENT = next(q for q in load_bank(DEFAULT_BANK).questions if "latent space" in q.text)
PLAIN = (
    "Think of it as a hidden code the model learns for each example: a short list of numbers that keeps what "
    "matters about an image and throws the rest away. Examples that look alike end up with nearby codes, so "
    "if you walk from one code to another you get a gradual morph between the two pictures. Because of that "
    "you can steer what gets made by nudging the code, use it to make new samples, or spot odd inputs whose "
    "codes land far from everything else."
)
KEYWORDS = (
    "Lower-dimensional representation, compressed form, similar data points cluster, smooth interpolation, "
    "manipulation of generated outputs, style transfer, data generation, anomaly detection, feature learning, "
    "VAE latent space, text embedding space, semantic similarity."
)


@pytest.fixture(scope="module")
def meaning_layer(tmp_path_factory) -> SemanticLayer:
    layer = layer_for(True, None, tmp_path_factory.mktemp("cache"))
    assert layer.embedder() is not None, layer.reason
    return layer


def ask(grader: OfflineGrader, answer: str, question=LATENT):
    return grader.assess(GradeRequest(question=question.text, reference=question.reference, answer=answer,
                                      key_points=question.key_points, kind=question.kind))  # fmt: skip


def test_the_packaged_model_passes_its_checksum_and_embeds_unit_vectors(meaning_layer):
    embedder = meaning_layer.embedder()
    assert embedder is not None and embedder.model_id == PACKAGED_SHA256[:16]
    vectors = embedder.embed(["A cat sat on the mat.", "A kitten rested on the rug.", "Interest rates rose."])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    assert np.array_equal(embedder.embed(["A cat sat on the mat."])[0], vectors[0])  # deterministic


def test_bank_texts_are_cached_on_disk_by_model_and_text(tmp_path):
    first = Embedder(packaged_files(), tmp_path)
    vectors = first.embed_known(["What is a B-tree?", "What is a hash index?"])
    [cache] = tmp_path.glob("embeddings-*.npz")
    assert first.model_id in cache.name
    second = Embedder(packaged_files(), tmp_path)
    assert len(second._cache.read({k for k in second._cache._load()})) == 2  # noqa: SLF001 - the file is read back
    assert np.array_equal(second.embed_known(["What is a hash index?"])[0], vectors[1])


def test_a_model_with_the_wrong_checksum_or_missing_files_is_refused(tmp_path):
    broken = tmp_path / "model.onnx"
    shutil.copy(packaged_files().model, broken)
    with broken.open("r+b") as f:  # one byte changed
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(SemanticUnavailable, match="sha256"):
        Embedder(ModelFiles(broken, packaged_files().tokenizer, PACKAGED_SHA256))
    with pytest.raises(SemanticUnavailable, match="does not exist"):
        Embedder(folder_files(tmp_path / "nowhere"))


def test_a_broken_or_missing_model_grades_by_words_and_says_so(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not an onnx file")
    shutil.copy(packaged_files().tokenizer, tmp_path / "tokenizer.json")
    for layer in (layer_for(True, tmp_path, None), layer_for(True, tmp_path / "missing", None)):
        grade = ask(OfflineGrader(semantic=layer), PLAIN)
        assert layer.reason and grade.grader == WORDS and grade.overall > 0
        assert "offline, by words" in grade.headline


def test_a_model_folder_the_user_brings_is_used(tmp_path, monkeypatch):
    shutil.copy(packaged_files().model, tmp_path / "model.onnx")
    shutil.copy(packaged_files().tokenizer, tmp_path / "tokenizer.json")
    monkeypatch.setenv("INTERVIEWER_SEMANTIC", "1")
    monkeypatch.setenv("INTERVIEWER_EMBEDDING_MODEL", str(tmp_path))
    grade = ask(OfflineGrader(), PLAIN)
    assert grade.grader == MEANING and "offline, by meaning" in grade.headline
    assert shared_layer().embedder() is not None


def test_semantic_off_by_setting_grades_by_words(monkeypatch, tmp_path):
    monkeypatch.setenv("INTERVIEWER_SEMANTIC", "0")
    assert ask(OfflineGrader(), PLAIN).grader == WORDS
    monkeypatch.setenv("INTERVIEWER_SEMANTIC", "1")
    assert ask(OfflineGrader(), PLAIN).grader == MEANING


def test_a_list_of_terms_earns_no_depth_or_communication_and_plain_words_are_not_off_topic(meaning_layer):
    """The plain-words reply is on its question by meaning, though it shares few of the reference's words. (Its
    key points are still mostly missed: the model does not match "a gradual morph" to "smooth interpolation";
    dev and validation figures are in tests/test_grader_quality.py.)"""
    by_meaning, by_words = OfflineGrader(semantic=meaning_layer), OfflineGrader(semantic=SemanticLayer.off())
    assert OFF_TOPIC not in ask(by_meaning, PLAIN).flags
    for grader in (by_meaning, by_words):
        listed = ask(grader, KEYWORDS)
        assert listed.criterion("depth").score <= 1.5 and listed.criterion("communication").score <= 1.5
        assert "Lists terms without explaining them" in listed.criterion("depth").justification
        assert any("Explain the terms you list" in s for s in listed.suggestions)


def test_an_answer_to_another_question_is_flagged_by_meaning(meaning_layer):
    grader = OfflineGrader(semantic=meaning_layer).knowing(load_bank(DEFAULT_BANK).questions)
    story = ("Fine-tuning with Hugging Face: I load a pretrained checkpoint, tokenize my labelled data, set the "
             "training arguments and run the Trainer, then evaluate on a held-out split.")
    assert OFF_TOPIC in ask(grader, story).flags


def test_the_coverage_criterion_follows_the_share_of_points(meaning_layer):
    grader = OfflineGrader(semantic=meaning_layer)
    question = LATENT.model_copy(update={"key_points": [f"Point {i}: {p}" for i, p in enumerate(
        ["codes are compressed", "similar items sit close", "interpolation is smooth", "outputs can be steered",
         "it generates new data", "it detects anomalies", "it learns features", "VAEs use it for images"])]})
    few = ask(grader, "Similar items sit close together in the code space. It can generate new data.", question)
    many = ask(grader, PLAIN + " Similar items sit close. It learns features. VAEs use it for images. It detects "
               "anomalies. Interpolation between codes is smooth.", question)  # fmt: skip
    assert len(many.covered) >= len(few.covered) + 3
    assert many.criterion("coverage").score >= few.criterion("coverage").score + 1.5


def test_evidence_is_a_whole_sentence_of_the_reply_and_points_quote_different_ones(meaning_layer):
    grade = ask(OfflineGrader(semantic=meaning_layer), PLAIN)
    pieces = units(PLAIN)
    quotes = [k.evidence for k in grade.key_points if k.evidence]
    assert quotes and all(q in pieces for q in quotes)
    assert len(set(quotes)) >= min(len(quotes), len(pieces)) - 1


def test_practice_in_the_terminal_says_the_grader_read_by_meaning(tmp_path):
    env = {"INTERVIEWER_SEMANTIC": "1", "INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("practice", "-n", "1", "--followups", "0", "--out", str(tmp_path), stdin=PLAIN + "\n\n", env=env)
    assert result.code == 0, result.err
    assert "offline, by meaning" in result.out


def test_units_split_long_sentences_at_clauses_and_keep_short_ones_whole():
    long = ("The index speeds up lookups on selective columns; every insert must also update it, which slows "
            "writes, and on a status flag the planner skips it because it barely filters anything at all.")
    assert units("Short one. Another short one.") == ["Short one.", "Another short one."]
    split = units(long)
    assert len(split) >= 2 and " ".join(split) == long and all(piece in long for piece in split)


def test_the_packaged_tokenizer_is_the_one_shipped_beside_the_model():
    assert Path(packaged_files().tokenizer).name == "tokenizer.json" and packaged_files().tokenizer.is_file()


def test_eval_shows_both_readings_side_by_side_and_refuses_them_for_an_llm(tmp_path):
    rows = [json.loads(line) for line in (DATA / "labelled_genai_misc.jsonl").read_text().splitlines()[:7]]
    (tmp_path / "few.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_cli("eval", "--input", str(tmp_path / "few.jsonl"), "--grader", "offline", "--both-readings", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert set(report) == {"few · meaning", "few · words"} and report["few · meaning"]["all"]["n"] == 7
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "INTERVIEWER_MODEL": "m"}
    refused = run_cli("eval", "--input", str(tmp_path / "few.jsonl"), "--grader", "llm", "--both-readings", env=env)
    assert refused.code == 2 and "--grader offline" in refused.err


def test_a_huge_reply_is_read_by_meaning_up_to_a_bound_and_still_graded(meaning_layer):
    from interviewer.grading.meaning import MAX_UNITS, Against, read

    huge = "Similar examples sit close together in the learned code space. " * 1000  # 1,000 sentences
    against = Against(LATENT.text, LATENT.reference, LATENT.key_points, [])
    reading = read(meaning_layer.embedder(), huge, units(huge), against)
    assert len(reading.units) == MAX_UNITS and reading.point_similarity.shape == (len(LATENT.key_points), MAX_UNITS)
    grade = ask(OfflineGrader(semantic=meaning_layer), huge)
    assert grade.grader == MEANING and grade.overall > 0
