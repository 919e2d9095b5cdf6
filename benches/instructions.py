"""Instruction counts of the decode and builder workloads, under valgrind's callgrind: a before/after comparison
that a loaded machine cannot blur (wall-clock times move with other programs; instruction counts do not).

    python benches/instructions.py --python /path/to/before/venv/bin/python --python .venv/bin/python

Each interpreter given (a virtual environment with some version of rillm installed; the first is the baseline)
decodes the same bytes: this tree's workloads (rillm._bench), written to a temporary directory, so older
versions of rillm are measured on exactly the same input. A decode reads as `rillm bench` does
(rillm._bench.impls.decode_rillm): it feeds the stream in 4 KiB pieces (or, in the "per event" cases, one event
per call, as a transport reading each event off the socket does) and keeps only each chunk's field, so the
chunks die as they are read; keeping every chunk of the stream alive would make the collector's passes over the
older generations weigh far more than they do in a stream's real use. A workload's count is (instructions for 3
runs - instructions for 1 run) / 2: one run's cost without the interpreter's start-up and imports. Use the full
20,000-chunk streams: with small ones the garbage collector's passes over everything imported weigh as much as
the work measured. Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from rillm._bench.workloads import PIECE, workload  # this tree's workloads, not the measured rillm's)

# (label, workload, what is run, pieces): decode feeds the body in PIECE-byte pieces (or one event per call)
# and reads each chunk's field; build decodes once, untimed by the difference, and merges the chunks.
CASES = [
    ("(a) decode OpenAI text", "openai-text", "decode", "piece"),
    ("(a) decode OpenAI text, per event", "openai-text", "decode", "event"),
    ("(b) decode OpenAI tool arguments", "openai-tools", "decode", "piece"),
    ("(c) stream_chunk_builder", "openai-text", "build", "piece"),
    ("(d) decode Anthropic text", "anthropic", "decode", "piece"),
    ("(d) decode Bedrock text", "bedrock", "decode", "piece"),
    ("(d) decode Gemini text", "gemini", "decode", "piece"),
    ("(d) decode Cohere v2 text", "cohere", "decode", "piece"),
    ("(d) decode Ollama text", "ollama", "decode", "piece"),
]

CHILD = """
import sys
body_path, dialect, field, kind, backend, piece, reps = sys.argv[1:8]
mod = __import__("rillm._native" if backend == "rust" else "rillm._fallback", fromlist=["StreamDecoder"])
data = open(body_path, "rb").read()
if piece == "event":  # the sizes of the events, one a line, in a file beside the body
    sizes = [int(n) for n in open(body_path + ".events").read().split()]
    pieces, at = [], 0
    for n in sizes:
        pieces.append(data[at : at + n])
        at += n
else:
    pieces = [data[i : i + int(piece)] for i in range(0, len(data), int(piece))]

def read(chunks):  # rillm._bench.workloads.read_field
    if field == "arguments":
        out = []
        for c in chunks:
            if c.choices and c.choices[0].delta.tool_calls:
                out.append(c.choices[0].delta.tool_calls[0].function.arguments)
        return out
    return [c.choices[0].delta.content for c in chunks if c.choices]

def decode(read):
    kwargs = {} if dialect == "openai" else {"id": "chatcmpl-x"}
    decoder = mod.StreamDecoder(dialect, created=1, **kwargs)
    out = []
    for piece in pieces:
        out += read(decoder.feed(piece))
    out += read(decoder.finish())
    return out

chunks = decode(list) if kind == "build" else None
for _ in range(int(reps)):
    if kind == "build":
        mod.merge_chunks(chunks)
    else:
        decode(read)
"""


def instructions(python: str, args: list[str]) -> int:
    with tempfile.NamedTemporaryFile(suffix=".out") as out:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", python, "-c", CHILD, *args]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
        summary = re.search(rb"^summary: (\d+)", Path(out.name).read_bytes(), re.M)
    if summary is None:
        raise SystemExit("callgrind wrote no summary")
    return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", required=True, help="an interpreter with rillm installed")
    parser.add_argument("--backend", choices=("rust", "python"), action="append", help="default: both")
    parser.add_argument("--chunks", type=int, default=20_000, help="the deltas per stream (fewer: more noise)")
    parser.add_argument("--case", action="append", help="only the workloads whose label has this, e.g. '(c)'")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        print("| workload | backend | " + " | ".join(options.python) + " |")
        print("|---|---|" + "---:|" * len(options.python))
        for label, name, kind, cut in CASES:
            if options.case and not any(case in label for case in options.case):
                continue
            load = workload(name, options.chunks)
            body = Path(tmp) / f"{name}.bin"
            body.write_bytes(b"".join(load.events))
            Path(f"{body}.events").write_text("\n".join(str(len(event)) for event in load.events))
            for backend in options.backend or ["rust", "python"]:
                cells = []
                for python in options.python:
                    args = [str(body), load.dialect, load.field, kind, backend, str(PIECE) if cut == "piece" else cut]
                    count = (instructions(python, [*args, "3"]) - instructions(python, [*args, "1"])) // 2
                    base = count if not cells else cells[0][0]
                    cells.append((count, f"{count / 1e6:,.1f}M" + ("" if not cells else f" ({count / base - 1:+.2%})")))
                print(f"| {label} | {backend} | " + " | ".join(text for _, text in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
