#!/usr/bin/python3
"""check-diagrams: fail if clang-format would change an ASCII diagram in a C comment, or if a
comment line is longer than the column limit (comments are no longer reflowed, so nothing else
keeps them in bounds).

Run by `make fmt` (before it formats anything) and `make fmt-check`:
    scripts/check-diagrams.py [--style STYLE] [--column-limit N] FILE...

What counts as a diagram (the convention; no marker to forget): in a comment, a paragraph (comment
lines between two blank comment lines, or the comment's ends) in which at least one line is drawn:
it holds an arrow or a box corner (`-->`, `<--`, `+--`, `--+`), or it is only vertical strokes
and arrow heads (`|`, `v`, `^`, `+` and spaces), as in
     *   NONE --start--> WAIT
     *    ^                |
     *    +--- abort ------+
Draw state machines that way and they are protected; `.clang-format` has ReflowComments: false so
clang-format leaves comment text alone, and this check proves it for every diagram, whatever style
options change later.

How: a copy of each file with a diagram is formatted in a temporary folder (one clang-format run,
STYLE defaulting to the repository's .clang-format); every diagram paragraph must appear in the
formatted copy as the same lines, in a row (so code moving around it does not matter; a
re-indented or re-wrapped diagram does). Failures name file and line; the exit status is 1 if
any, 2 on usage errors. Comment detection is line based (`/*` ... `*/` and `//`), which is all
the tree needs.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

DRAWN = re.compile(r"-->|<--|\+--|--\+")
STROKES_ONLY = re.compile(r"^[\s|v^+]*[|v^][\s|v^+]*$")
LEADER = re.compile(r"^\s*(/\*+|\*/|\*|//+)?")


def comment_lines(lines):
    """Yield (index, text inside the comment) for every line that is (part of) a comment."""
    in_block = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if in_block or stripped.startswith("/*") or stripped.startswith("//"):
            body = LEADER.sub("", line, count=1)
            if body.rstrip().endswith("*/"):
                body = body.rstrip()[:-2]
            yield i, body
            if in_block:
                in_block = "*/" not in line
            elif stripped.startswith("/*"):
                in_block = "*/" not in stripped[2:]
        elif "/*" in line:
            # code with a comment opened at its end: the comment's next lines are comment lines
            in_block = "*/" not in line[line.rindex("/*") + 2 :]


def diagram_blocks(lines):
    """Paragraphs of comment lines holding a drawn line: list of (first index, [lines])."""
    blocks, para, prev = [], [], None

    def close():
        if any(DRAWN.search(b) or STROKES_ONLY.match(b) for _, b in para):
            blocks.append((para[0][0], [lines[i] for i, _ in para]))

    for i, body in comment_lines(lines):
        if (prev is not None and i != prev + 1) or body.strip() == "":
            close()
            para = []
        if body.strip() != "":
            para.append((i, body))
        prev = i
    close()
    return blocks


def contains_run(haystack, needle):
    n = len(needle)
    return any(haystack[j : j + n] == needle for j in range(len(haystack) - n + 1))


def column_limit(path):
    try:
        with open(path) as f:
            m = re.search(r"^ColumnLimit:\s*(\d+)", f.read(), re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def read_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read().split("\n")


def long_lines(path, lines, limit):
    """Comment lines past the limit (clang-format keeps code within it, but no longer wraps
    comments)."""
    return [
        f"{path}:{i + 1}: {len(lines[i])} columns in a comment (the limit is {limit})"
        for i, _ in comment_lines(lines)
        if limit and len(lines[i]) > limit
    ]


def format_copies(paths, style, clang_format):
    """clang-format each file into a private copy, in one run; {path: formatted lines}."""
    with tempfile.TemporaryDirectory(prefix="check-diagrams-") as tmp:
        copies = {}
        for n, path in enumerate(paths):
            copies[path] = os.path.join(tmp, f"{n}-{os.path.basename(path)}")
            shutil.copyfile(path, copies[path])
        if copies:
            subprocess.run([clang_format, f"--style={style}", "-i", *copies.values()], check=True)
        return {path: read_lines(copy) for path, copy in copies.items()}


def check_diagrams(path, blocks, formatted):
    return [
        f"{path}:{first + 1}: clang-format would change this diagram ({len(block)} lines): "
        "draw it as clang-format leaves it (within the column limit, indented as the code)"
        for first, block in blocks
        if not contains_run(formatted, block)
    ]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", default="file",
                    help="clang-format --style value (default: the repository's .clang-format)")
    ap.add_argument("--column-limit", type=int, default=None,
                    help="longest line allowed (default: ColumnLimit of the repository's "
                    ".clang-format; 0: no check)")
    ap.add_argument("--clang-format", default=os.environ.get("CLANG_FORMAT", "clang-format"))
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    limit = args.column_limit
    if limit is None:
        limit = column_limit(os.path.join(root, ".clang-format"))
    style = args.style
    if style == "file":
        style = "file:" + os.path.join(root, ".clang-format")
    problems, blocks = [], {}
    for path in args.files:
        lines = read_lines(path)
        problems += long_lines(path, lines, limit)
        found = diagram_blocks(lines)
        if found:
            blocks[path] = found
    try:
        formatted = format_copies(list(blocks), style, args.clang_format)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"check-diagrams: clang-format failed: {e}", file=sys.stderr)
        return 1
    for path, b in blocks.items():
        problems += check_diagrams(path, b, formatted[path])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check-diagrams: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
