"""`interviewer history` as a user runs it: list, export, import, delete."""

from __future__ import annotations

import json
from pathlib import Path

from interviewer.grading.models import Grade
from interviewer.transcript import Transcript, TurnRecord
from tests.support.cli import CliResult, run_cli


def cli(*args: str, tmp_path: Path, stdin: str = "") -> CliResult:
    """`interviewer` run in `tmp_path` with its data folder there (the import test uses a second one)."""
    return run_cli(*args, stdin=stdin, env={"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)


def test_history_list_export_import_delete(tmp_path):
    assert "No saved sessions" in cli("history", tmp_path=tmp_path).out
    done = cli("practice", "-n", "2", "--followups", "0", tmp_path=tmp_path,
               stdin="Bias audits, human oversight and content filtering.\n\n/skip\n")
    assert done.code == 0, done.err

    listing = json.loads(cli("history", "--json", tmp_path=tmp_path).out)
    assert len(listing) == 1 and listing[0]["answered"] == 2 and listing[0]["finished_at"]
    session_id = listing[0]["id"]
    table = cli("history", tmp_path=tmp_path).out
    assert session_id[:8] in table and "finished" in table

    exported = cli("history", "export", session_id[:8], "--format", "json", tmp_path=tmp_path)
    assert exported.code == 0
    transcript = json.loads(exported.out)
    assert transcript["session_id"] == session_id
    assert transcript["turns"][0]["answer"] == "Bias audits, human oversight and content filtering."
    md = cli("history", "export", session_id, "--format", "md", tmp_path=tmp_path).out
    assert "Bias audits, human oversight" in md
    html = cli("history", "export", session_id, "--format", "html", tmp_path=tmp_path).out
    assert html.startswith("<!doctype html>")

    # Import into another data folder: the same transcript comes back out.
    (tmp_path / "t.json").write_text(exported.out, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    assert cli("history", "import", str(tmp_path / "t.json"), tmp_path=other).code == 0
    again = cli("history", "export", session_id, "--format", "json", tmp_path=other).out
    assert json.loads(again) == transcript
    dup = cli("history", "import", str(tmp_path / "t.json"), tmp_path=other)
    assert dup.code == 1 and "already in the history" in dup.err

    # Deleting asks for confirmation; with no terminal it refuses unless --yes.
    refused = cli("history", "delete", session_id, tmp_path=tmp_path)
    assert refused.code == 1 and "confirmation" in refused.err
    assert len(json.loads(cli("history", "--json", tmp_path=tmp_path).out)) == 1
    assert cli("history", "delete", session_id[:6], "--yes", tmp_path=tmp_path).code == 0
    assert json.loads(cli("history", "--json", tmp_path=tmp_path).out) == []
    missing = cli("history", "export", "nope", tmp_path=tmp_path)
    assert missing.code == 1 and "no session" in missing.err


def test_import_rejects_a_file_that_is_not_a_transcript(tmp_path):
    (tmp_path / "bad.json").write_text('{"hello": 1}', encoding="utf-8")
    result = cli("history", "import", str(tmp_path / "bad.json"), tmp_path=tmp_path)
    assert result.code == 1 and "not a transcript" in result.err


# -- the grader column: an LLM's zeros and the candidate's own zeros look different ------------------------------


def saved_session(tmp_path: Path, n: int, session_grader: str, graders: list[str | None]) -> str:
    """A session imported into the history whose answers were graded by `graders` (None: a skipped question)."""
    turns = [
        TurnRecord(question_id=f"genai_misc#{i + 1}", question=f"Question {i + 1}?", reference="Ref.", kind="technical",
                   answer=None if g is None else "An answer.", skipped=g is None,
                   grade=None if g is None else Grade(overall=0, grader=g))  # fmt: skip
        for i, g in enumerate(graders)
    ]
    session_id = f"{n:08d}" + "a" * 24
    tr = Transcript(session_id=session_id, started_at=f"2025-01-0{n}T10:00:00Z", finished_at=f"2025-01-0{n}T10:30:00Z",
                    grader=session_grader, turns=turns)  # fmt: skip
    (tmp_path / f"{n}.json").write_text(tr.to_json(), encoding="utf-8")
    assert cli("history", "import", str(tmp_path / f"{n}.json"), tmp_path=tmp_path).code == 0
    return session_id


def grader_cells(table: str) -> dict[str, str]:
    """Each listed session's Grader cell, read at the header's column (by id prefix)."""
    header, *lines = table.splitlines()
    start = header.index("grader")
    end = header.index("bank")
    return {line[:8]: line[start:end].strip() for line in lines}


def test_history_lists_which_grader_scored_each_session(tmp_path):
    llm = saved_session(tmp_path, 1, "llm:gpt-4o-mini", ["llm:gpt-4o-mini", "llm:gpt-4o-mini"])
    offline = saved_session(tmp_path, 2, "offline:words", ["offline:words", None])
    fell_back = saved_session(tmp_path, 3, "llm:gpt-4o-mini", ["llm:gpt-4o-mini", "offline:words"])
    nothing = saved_session(tmp_path, 4, "offline:meaning", [None])
    result = cli("history", tmp_path=tmp_path)
    assert result.code == 0, result.err
    assert grader_cells(result.out) == {
        llm[:8]: "llm:gpt-4o-mini",
        offline[:8]: "offline:words",
        fell_back[:8]: "mixed",  # an LLM that fell back offline for one answer
        nothing[:8]: "offline:meaning",  # nothing graded: the grader the session started with
    }


def test_history_grader_of_a_practised_session(tmp_path):
    done = cli("practice", "-n", "1", "--followups", "0", tmp_path=tmp_path, stdin="Bias audits and oversight.\n\n")
    assert done.code == 0, done.err
    [row] = json.loads(cli("history", "--json", tmp_path=tmp_path).out)
    assert grader_cells(cli("history", tmp_path=tmp_path).out) == {row["id"][:8]: "offline:words"}
