"""`interviewer history` as a user runs it: list, export, import, delete."""

from __future__ import annotations

import json
from pathlib import Path

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
