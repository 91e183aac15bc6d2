"""Batch grading of JSONL files (`interviewer grade`) and agreement with labelled replies (`interviewer eval`).

One bad line is reported with its line number and does not stop the rest.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from .bank import Question
from .errors import InterviewerError
from .evaluate import EvalReport, LabelledResult, evaluate, format_reports
from .grading.base import Grader
from .grading.factory import GraderChoice
from .grading.models import OFFLINE_LABEL, Grade, GradeRequest
from .grading.offline import OfflineGrader
from .grading.semantic import SemanticLayer
from .unicode import replaced_notice, scrub_json


class GradeLine(GradeRequest):
    """One input line of `interviewer grade`: a GradeRequest plus an optional id."""

    id: str | int | None = None


class LabelledLine(GradeLine):
    score: int = Field(ge=1, le=5, strict=True)
    """The true score, a whole number 1-5."""
    level: str = ""


def read_jsonl(path: Path, model: type[BaseModel]) -> Iterator[tuple[int, dict[str, Any] | None, Any]]:
    """(line number, raw object, parsed model or an error message) for each non-blank line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InterviewerError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    for lineno, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            yield lineno, None, "not UTF-8 text"
            continue
        try:
            raw = json.loads(line, parse_constant=_not_json)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield lineno, None, "not valid JSON (nested too deeply)"
            continue
        if not isinstance(raw, dict):
            yield lineno, None, "a line must be a JSON object"
            continue
        raw, replaced = scrub_json(raw)
        if replaced:  # the line is graded all the same
            print(f"{path}:{lineno}: warning: {replaced_notice(replaced)}", file=sys.stderr)
        try:
            yield lineno, raw, model.model_validate(raw)
        except ValidationError as exc:
            yield lineno, None, short_error(exc)


def _not_json(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())
    return str(exc)


async def _grade_all(grader: Grader, items: list, on_done: Callable[[int], None]) -> list:
    """Grade parsed lines concurrently (a few at a time), keeping input order; error strings pass through."""
    sem = asyncio.Semaphore(4)
    done = 0

    async def run(item: Any) -> Any:
        nonlocal done
        if isinstance(item, str):
            return item
        async with sem:
            try:
                result: Grade | str = await grader.grade(item)
            except InterviewerError as exc:
                result = str(exc)
        done += 1
        on_done(done)
        return result

    return await asyncio.gather(*(run(item) for item in items))


def _progress(total: int) -> Callable[[int], None]:
    def show(done: int) -> None:
        width = 30
        filled = width * done // max(1, total)
        print(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr)
        if done == total:
            print(file=sys.stderr)

    return show


def grade_lines(grader: Grader, items: list, banks: Sequence[Question] = ()) -> list:
    """Grade the parsed lines, with a progress bar on stderr over the gradable ones. The offline grader learns
    the lines' questions first: which terms are rare among them, and what each question is about; or, given
    the questions of the banks the lines come from, those, as a session in those banks knows them."""
    if isinstance(grader, OfflineGrader):
        documents = [(item.question, item.reference) for item in items if not isinstance(item, str)]
        grader = grader.knowing(banks) if banks else grader.knowing_documents(documents)
    progress = _progress(sum(not isinstance(item, str) for item in items))
    return asyncio.run(_grade_all(grader, items, progress))


def grade_file(choice: GraderChoice, source: Path, output: Path | None) -> int:
    """`interviewer grade`: each input line with its grade, to `output` or standard output; exit status."""
    parsed = list(read_jsonl(source, GradeLine))
    failures = 0
    out = output.open("w", encoding="utf-8") if output else sys.stdout  # fails before any grading
    try:
        results = grade_lines(choice.grader, [model for _, _, model in parsed])
        for (lineno, raw, _), result in zip(parsed, results):
            if isinstance(result, str):
                failures += 1
                print(f"{source}:{lineno}: error: {result}", file=sys.stderr)
                continue
            row = {**(raw or {}), "grade": result.model_dump(mode="json")}
            out.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
    finally:
        if output:
            out.close()
    if failures:
        print(f"{failures} line(s) failed; {len(parsed) - failures} graded", file=sys.stderr)
    return 1 if failures else 0


def labelled_files(source: Path) -> list[Path]:
    """A labelled set: one JSONL file, or every *.jsonl file of a folder and its subfolders (not hidden ones,
    such as .ipynb_checkpoints)."""
    if not source.is_dir():
        return [source]
    found = source.rglob("*.jsonl")
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(source).parts))


def eval_set(choice: GraderChoice, source: Path, banks: Sequence[Question] = ()) -> EvalReport | None:
    """The grader's agreement with one labelled set (a file or a folder of them); None if nothing graded.
    `banks`: the questions of the banks the replies answer, known as a session knows them."""
    labelled = []
    for path in labelled_files(source):
        parsed = list(read_jsonl(path, LabelledLine))
        results = grade_lines(choice.grader, [model for _, _, model in parsed], banks)
        for (lineno, _, line), result in zip(parsed, results):
            if isinstance(result, str):
                print(f"{path}:{lineno}: error: {result}", file=sys.stderr)
                continue
            question_id = str(line.id).split("/")[0] if line.id is not None else ""
            labelled.append(LabelledResult(question=line.question, level=line.level, true_score=line.score,
                                           overall=result.overall, question_id=question_id,
                                           flags=result.flags))  # fmt: skip
    return evaluate(labelled) if labelled else None


def eval_files(
    choice: GraderChoice, sources: list[Path], as_json: bool, both_readings: bool = False,
    banks: Sequence[Question] = (),
) -> int:  # fmt: skip
    """`interviewer eval`: the grader's agreement with each labelled set, side by side; exit status. With
    `both_readings`, the offline grader by meaning and by words, a column each per set; with `banks`, graded as
    a session in those banks is."""
    choices = {"": choice}
    if both_readings:
        if not isinstance(choice.grader, OfflineGrader):
            print(
                "error: --both-readings compares the offline grader's readings: add --grader offline", file=sys.stderr
            )
            return 2
        choices = {
            " · meaning": GraderChoice(OfflineGrader(choice.grader.rubrics), choice.followups, choice.label),
            " · words": GraderChoice(OfflineGrader(choice.grader.rubrics, semantic=SemanticLayer.off()),
                                     choice.followups, OFFLINE_LABEL + " (by words)"),
        }  # fmt: skip
    reports = {}
    for source in sources:
        for suffix, each in choices.items():
            report = eval_set(each, source, banks)
            if report is None:
                print(f"error: {source}: no line could be graded", file=sys.stderr)
                return 1
            reports[(source.stem if source.is_file() else source.name) + suffix] = report
    if as_json:
        single = len(reports) == 1
        data = next(iter(reports.values())).model_dump() if single else {k: r.model_dump() for k, r in reports.items()}
        print(json.dumps(data, indent=2))
    else:
        label = "Offline grader, by meaning and by words" if both_readings else choice.label
        print(f"Grader: {label}\n{format_reports(reports)}")
    return 0
