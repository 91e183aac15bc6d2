"""Peak memory of `interviewer bank import` on a big JSONL file, against reading the same file whole.

    python bench/import_memory.py [--rows 200000]

Each figure is a fresh process's peak resident set (VmHWM in /proc/self/status: ru_maxrss would start at the
peak of the process that started it) less that of a process that only imports the command line:

- streamed: the command as it is (rows read a line at a time, checked a batch at a time, only the Markdown kept);
- whole: what the importer did before it streamed (the text, every row as a dict and as a model, the bank
  rendered and parsed in one piece).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PEAK = textwrap.dedent("""
    import re, sys
    from pathlib import Path
    def peak_mb():
        return int(re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024
""")
BASE = PEAK + "import interviewer.cli\nprint(peak_mb())\n"
STREAMED = PEAK + textwrap.dedent("""
    from interviewer.cli import main
    code = main(["bank", "import", sys.argv[1], "--out", sys.argv[2]])
    print(peak_mb() if code == 0 else -1)
""")
WHOLE = PEAK + textwrap.dedent("""
    import json
    import interviewer.cli
    from interviewer.bank import parse_bank
    from interviewer.bank_import import ImportRow, _answer
    from interviewer.drafting import render_bank
    text = Path(sys.argv[1]).read_bytes().decode("utf-8-sig")
    items = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = [ImportRow.model_validate(item) for item in items]
    markdown = render_bank("Big", None, [(row.question, _answer(row)) for row in rows])
    parse_bank(markdown, sys.argv[2])
    Path(sys.argv[2]).write_text(markdown, encoding="utf-8")
    print(peak_mb())
""")


def peak(script: str, *args: str) -> tuple[float, float]:
    """The peak in MB of a fresh process running `script`, and its seconds."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(done.stdout.split()[-1]), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs /proc (Linux) for the peak memory")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "big.jsonl"
        with source.open("w", encoding="utf-8") as f:
            for n in range(args.rows):
                f.write(json.dumps({"question": f"Question {n}?", "answer": f"Answer {n}."}) + "\n")
        base, _ = peak(BASE)
        print(f"{args.rows:,} rows, {source.stat().st_size / 2**20:.1f} MB of JSONL; the command alone: {base:.0f} MB")
        for name, script in (("streamed", STREAMED), ("whole", WHOLE)):
            mb, seconds = peak(script, str(source), str(Path(folder) / f"{name}.md"))
            said = "failed" if mb < 0 else f"+{mb - base:.0f} MB"
            print(f"  {name:9} {said:>9}  {seconds:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
