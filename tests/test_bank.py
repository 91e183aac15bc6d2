"""Question bank parsing: the default bank, each format detail, and each error with its file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

import interviewer.bank as bank_mod
from interviewer.bank import BankError, extract_key_points, labelled_lines, load_bank, load_banks, parse_bank

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "bank" / "genai_misc.md"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def raises_at(path: Path, line: int) -> BankError:
    with pytest.raises(BankError) as info:
        load_bank(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line, err
    assert f"{path}:{line}:" in str(err)
    return err


# -- the default bank --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_bank():
    return load_bank(DEFAULT)


def test_default_bank_has_eleven_numbered_questions(default_bank):
    assert default_bank.title == "Some Miscellaneous Questions"
    assert [q.number for q in default_bank.questions] == list(range(1, 12))
    assert [q.id for q in default_bank.questions] == [f"genai_misc#{n}" for n in range(1, 12)]
    assert all(q.source == str(DEFAULT) for q in default_bank.questions)
    first = default_bank.questions[0]
    assert first.text == (
        "What ethical considerations are crucial when deploying generative models, and how do you address them?"
    )
    assert first.line == 3
    lines = DEFAULT.read_text(encoding="utf-8").splitlines()
    for q in default_bank.questions:
        assert lines[q.line - 1].startswith(f"## {q.number}. ")


def test_default_bank_experience_questions_are_2_and_4(default_bank):
    kinds = {q.number: q.kind for q in default_bank.questions}
    assert [n for n, k in kinds.items() if k == "experience"] == [2, 4]
    assert default_bank.experience_count == 2
    q2 = default_bank.questions[1]
    assert "Customize with your actual experience" not in q2.reference
    assert q2.reference.startswith("**Project:** Developed content generation system")


def test_default_bank_last_reference_stops_before_closing_note(default_bank):
    last = default_bank.questions[-1]
    assert last.reference.endswith("regulatory needs, democratization of AI capabilities.")
    assert "---" not in last.reference
    assert "miscellaneous questions cover" not in last.reference
    assert default_bank.note is not None
    assert default_bank.note.startswith("These miscellaneous questions cover ethical considerations")
    assert default_bank.note.endswith("broader AI implications.")
    assert "*" not in default_bank.note


def test_default_bank_key_points(default_bank):
    q1 = default_bank.questions[0]
    for point in ("Bias amplification", "Misinformation generation", "Job displacement", "Human oversight",
                  "Feedback loops for improvement"):
        assert point in q1.key_points
    # labels are not key points, and nothing is duplicated
    assert not any(p.startswith(("Key Concerns", "Monitoring")) for p in q1.key_points)
    assert len(q1.key_points) == len({p.lower() for p in q1.key_points})
    q3 = default_bank.questions[2]
    # a plain sentence before the labels is a key point of its own
    assert any(p.startswith("Latent space is a lower-dimensional representation") for p in q3.key_points)
    q6 = default_bank.questions[5]
    # parentheses stay together
    assert "Handles various tokenization schemes (BPE, WordPiece)" in q6.key_points
    for q in default_bank.questions:
        assert q.key_points, q.id
        assert all(p.strip() and not p.startswith("**") for p in q.key_points)


def test_default_bank_references_keep_markdown(default_bank):
    q7 = default_bank.questions[6]
    assert '`pipeline("sentiment-analysis")("text")`' in q7.reference
    assert q7.reference.startswith("**Usage:** Simple API")
    q9 = default_bank.questions[8]
    assert "Load model and tokenizer → Prepare dataset → Configure training parameters" in q9.reference


# -- format details ----------------------------------------------------------------------------------

HEAD = "# Small bank\n\n"


def test_hash_lines_inside_code_fences_are_code(tmp_path):
    text = HEAD + (
        "## 1. How do you load a model?\n\n**Answer:**\nLike this:\n\n"
        "```python\n# load the model\n## 2. not a question\nmodel = load()\n```\n\n"
        "~~~bash\n# a shell comment\n~~~\n\nThen run it.\n\n"
        "## 2. A real second question?\n\n**Answer:**\nYes.\n"
    )
    bank = load_bank(write(tmp_path, "fences.md", text))
    assert [q.number for q in bank.questions] == [1, 2]
    ref = bank.questions[0].reference
    assert "```python\n# load the model\n## 2. not a question\nmodel = load()\n```" in ref
    assert "~~~bash\n# a shell comment\n~~~" in ref
    assert ref.endswith("Then run it.")
    assert bank.questions[1].text == "A real second question?"
    assert bank.questions[1].line == text.split("\n").index("## 2. A real second question?") + 1
    # code is not a key point
    assert not any("load the model" in p or "model = load" in p for p in bank.questions[0].key_points)


def test_closing_note_is_not_part_of_last_reference(tmp_path):
    text = HEAD + (
        "## 1. First?\n\n**Answer:**\nOne.\n\n---\n\n"
        "## 2. Last?\n\n**Answer:**\nThe last answer.\n\n---\n\n*A closing note,*\n*on two lines.*\n"
    )
    bank = load_bank(write(tmp_path, "note.md", text))
    assert bank.questions[0].reference == "One."
    assert bank.questions[-1].reference == "The last answer."
    assert bank.note is not None
    assert "A closing note," in bank.note and "on two lines." in bank.note
    assert "*" not in bank.note


def test_rule_followed_by_plain_text_stays_in_reference(tmp_path):
    text = HEAD + "## 1. Last?\n\n**Answer:**\nPart one.\n\n---\n\nPart two is not italic.\n"
    bank = load_bank(write(tmp_path, "rule.md", text))
    assert bank.note is None
    assert bank.questions[0].reference.endswith("Part two is not italic.")


def test_bank_without_closing_note(tmp_path):
    bank = load_bank(write(tmp_path, "plain.md", HEAD + "## 1. Q?\n\n**Answer:**\nA.\n"))
    assert bank.note is None
    assert bank.questions[0].reference == "A."


@pytest.mark.parametrize("marker", ["*(Customize with your actual experience)*", "*(Adapt with your experience)*"])
def test_experience_markers(tmp_path, marker):
    text = HEAD + (
        f"## 1. Tell me about a project.\n\n**Answer:**\n{marker}\n\n**Project:** Built a search tool.\n\n"
        "**Outcome:** Cut lookup time by half.\n\n"
        "## 2. What is a token?\n\n**Answer:**\nA unit of text the model reads.\n"
    )
    bank = load_bank(write(tmp_path, "exp.md", text))
    assert [q.kind for q in bank.questions] == ["experience", "technical"]
    assert bank.experience_count == 1
    q = bank.questions[0]
    assert q.reference.startswith("**Project:** Built a search tool.")
    assert marker not in q.reference
    assert not any("experience" in p.lower() for p in q.key_points)


def test_lists_labels_tables_and_formulas_stay_intact(tmp_path):
    reference = (
        "**Steps:** Load, clean, train.\n\n"
        "- first bullet\n"
        "  - nested bullet\n"
        "- second bullet\n\n"
        "1. Step one\n"
        "   1. sub-step a\n"
        "   2. sub-step b\n"
        "2. Step two\n\n"
        "| Model | Quality | Stability |\n"
        "|-------|:-------:|----------:|\n"
        "| GAN   | sharp   | unstable  |\n"
        "| VAE   | blurry  | stable    |\n\n"
        "Loss: $L = -\\sum_i y_i \\log \\hat{y}_i$ and $$\\text{ELBO} = E_q[\\log p(x|z)] - KL(q||p)$$\n\n"
        "**Bold in text:** attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) V"
    )
    text = HEAD + "## 1. Everything at once?\n\n**Answer:**\n" + reference + "\n\n## 2. Next?\n\n**Answer:**\nB.\n"
    bank = load_bank(write(tmp_path, "rich.md", text))
    q = bank.questions[0]
    assert q.reference == reference
    points = q.key_points
    for expected in ("Load", "Clean", "Train", "First bullet", "Nested bullet", "Step one", "Sub-step a"):
        assert expected in points, points
    assert "GAN: sharp: unstable" in points
    assert not any(p.startswith("Model") for p in points)  # a table's header names columns: no key point
    assert not any(set(p) <= set("|-: ") for p in points)
    assert "Attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) V" in points


def test_answer_text_on_the_answer_line(tmp_path):
    bank = load_bank(write(tmp_path, "inline.md", HEAD + "## 1. Q?\n**Answer:** Inline answer.\nMore.\n"))
    assert bank.questions[0].reference == "Inline answer.\nMore."


def test_crlf_and_bom_are_accepted(tmp_path):
    text = HEAD + (
        "## 1. First question?\n\n**Answer:**\n**Label:** a, b, c.\n\n- item\n\n"
        "## 2. Second?\n\n**Answer:**\n*(Adapt with your experience)*\nStory.\n\n---\n\n*Note.*\n"
    )
    plain = load_bank(write(tmp_path, "lf.md", text))
    crlf = load_bank(write(tmp_path, "crlf.md", "\ufeff" + text.replace("\n", "\r\n")))
    assert crlf.title == "Small bank"
    assert crlf.note == plain.note == "Note."
    for a, b in zip(plain.questions, crlf.questions, strict=True):
        assert (a.number, a.text, a.reference, a.kind, a.key_points, a.line) == (
            b.number, b.text, b.reference, b.kind, b.key_points, b.line
        )
        assert "\r" not in b.reference and "\ufeff" not in b.text
    assert [q.kind for q in crlf.questions] == ["technical", "experience"]


def test_bom_with_lf_only(tmp_path):
    bank = load_bank(write(tmp_path, "bom.md", b"\xef\xbb\xbf# Title\n## 1. Q?\n**Answer:**\nA.\n"))
    assert bank.title == "Title"
    assert bank.questions[0].line == 2


def test_folder_loads_every_md_file(tmp_path):
    folder = tmp_path / "banks"
    write(folder, "a.md", "# A\n## 1. QA1?\n**Answer:**\nA1.\n## 2. QA2?\n**Answer:**\nA2.\n")
    write(folder, "b.md", "# B\n## 1. QB1?\n**Answer:**\nB1.\n")
    write(folder, "notes.txt", "not a bank")
    write(folder / "sub", "c.md", "# C\n## 7. QC7?\n**Answer:**\nC7.\n")
    banks = load_banks([folder])
    assert sorted(b.title for b in banks) == ["A", "B", "C"]
    ids = sorted(q.id for b in banks for q in b.questions)
    assert ids == ["a#1", "a#2", "b#1", "c#7"]
    # a folder and a file together
    both = load_banks([folder / "a.md", DEFAULT])
    assert sum(len(b.questions) for b in both) == 13


def test_folder_without_md_files_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BankError) as info:
        load_banks([tmp_path / "empty"])
    assert info.value.path == str(tmp_path / "empty")


def test_extract_key_points_falls_back_to_sentences():
    points = extract_key_points("Attention weighs tokens. It costs O(n^2) memory! Flash attention helps.")
    assert [p.rstrip("!") for p in points] == ["Attention weighs tokens", "It costs O(n^2) memory",
                                               "Flash attention helps"]


@pytest.mark.parametrize("line", [
    "**When:** Knowledge changes often. **Why:** Cheaper.",
    "**When**: Knowledge changes often. **Why**: Cheaper.",
    "- **When:** Knowledge changes often, **Why:** Cheaper.",
])  # fmt: skip
def test_several_bold_labels_on_one_line_are_each_their_own_point(line):
    assert extract_key_points(line) == ["Knowledge changes often", "Cheaper"]
    assert [label for label, _ in labelled_lines(line)] == ["When", "Why"]


def test_text_before_a_bold_label_is_a_point_and_bold_words_in_a_sentence_are_no_label():
    points = extract_key_points("RAG grounds answers. **When:** Knowledge changes often. **Why:** Cheaper.")
    assert points == ["RAG grounds answers", "Knowledge changes often", "Cheaper"]
    assert extract_key_points("**Cost:** Use **small** models first.") == ["Use **small** models first"]


def test_a_key_point_with_markdown_emphasis_is_doubted_but_code_and_formulas_are_not(tmp_path):
    text = HEAD + ("## 1. When fine-tune?\n\n**Answer:**\n**When:** Knowledge changes often. **Why:** Cheaper.\n\n"
                   "## 2. Which model?\n\n**Answer:**\n**Cost:** Use **small** models first.\n\n"
                   "## 3. Attention?\n\n**Answer:**\nsoftmax(QK^T / sqrt(d_k)) V, with `__init__` and a * b.\n")
    bank = load_bank(write(tmp_path, "emph.md", text))
    assert [bank_mod.doubts(q) for q in bank.questions] == [[], [
        "question 2's key point 'Use **small** models first' contains markdown emphasis (** __ * _): put each bold "
        "label at the start of a line, or remove the markers"], []]  # fmt: skip


# -- errors, each with its file and line ---------------------------------------------------------------


def test_error_no_questions(tmp_path):
    path = write(tmp_path, "none.md", "# Just a title\n\nSome text, no questions.\n## Not numbered\n")
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert info.value.path == str(path)
    assert info.value.line <= 1
    assert "no questions" in info.value.message


def test_error_empty_file(tmp_path):
    path = write(tmp_path, "empty.md", "")
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert info.value.path == str(path)


def test_error_question_without_answer_line(tmp_path):
    text = "# T\n\n## 1. Fine?\n\n**Answer:**\nYes.\n\n## 2. Missing answer label?\n\nJust text here.\n"
    err = raises_at(write(tmp_path, "noanswer.md", text), 8)
    assert "Answer" in err.message


def test_error_empty_reference(tmp_path):
    text = (
        "# T\n\n## 1. Fine?\n\n**Answer:**\nYes.\n\n## 2. Empty?\n\n**Answer:**\n\n\n---\n\n"
        "## 3. Next?\n**Answer:**\nC.\n"
    )
    err = raises_at(write(tmp_path, "emptyref.md", text), 8)
    assert "empty" in err.message


def test_error_duplicate_numbers_points_at_second(tmp_path):
    text = "# T\n\n## 1. One?\n**Answer:**\nA.\n\n## 2. Two?\n**Answer:**\nB.\n\n## 2. Two again?\n**Answer:**\nC.\n"
    err = raises_at(write(tmp_path, "dup.md", text), 11)
    assert "duplicate" in err.message
    assert "line 7" in err.message


def test_error_undecodable_bytes_line_of_bad_byte(tmp_path):
    data = b"# T\n\n## 1. One?\n**Answer:**\nCaf\xe9 latte.\nMore.\n"
    raises_at(write(tmp_path, "latin1.md", data), 5)


def test_error_undecodable_bytes_with_crlf(tmp_path):
    data = b"# T\r\n\r\n## 1. One?\r\n**Answer:**\r\nok\r\nbad \xff\xfe here\r\n"
    raises_at(write(tmp_path, "bad-crlf.md", data), 6)


def test_error_nul_bytes(tmp_path):
    data = b"# T\n## 1. One?\n**Answer:**\nA \x00 B\n"
    err = raises_at(write(tmp_path, "nul.md", data), 4)
    assert "NUL" in err.message


def test_error_file_over_size_limit(tmp_path, monkeypatch):
    path = write(tmp_path, "big.md", "# T\n## 1. One?\n**Answer:**\n" + "word " * 100 + "\n")
    load_bank(path)  # fine under the real limit
    monkeypatch.setattr(bank_mod, "MAX_BANK_BYTES", 200)
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert info.value.path == str(path)
    assert "limit" in info.value.message


def test_error_duplicate_ids_across_files(tmp_path):
    a = write(tmp_path / "x", "same.md", "# A\n## 1. Q?\n**Answer:**\nA.\n")
    b = write(tmp_path / "y", "same.md", "# B\n## 1. Q?\n**Answer:**\nB.\n")
    with pytest.raises(BankError) as info:
        load_banks([a, b])
    assert info.value.path == str(b)
    assert info.value.line == 2


def test_parse_bank_default_path_name():
    bank = parse_bank("# T\n## 3. Q?\n**Answer:**\nA.\n", "somewhere/mybank.md")
    assert bank.questions[0].id == "mybank#3"
    assert bank.questions[0].number == 3
