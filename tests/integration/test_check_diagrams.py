"""scripts/check-diagrams.py, run by `make fmt` and `make fmt-check`: a state diagram in a comment
that clang-format would change (reflow, re-indent), or a line past the column limit, fails the
check naming file and line; an intact diagram passes."""
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "check-diagrams.py")
# The style the tree had before ReflowComments: false (what shredded the failover diagrams).
REFLOWING = "{BasedOnStyle: LLVM, IndentWidth: 4, ColumnLimit: 100, BreakBeforeBraces: Linux}"

WIDE = (
    "/* demo: a state machine.\n"
    " *\n"
    " *   +------+ --------- start: a label long enough to push this line past the limit -----------> +------+\n"
    " *   | IDLE |                                                                                  | BUSY |\n"
    " *   +------+ <---------------------------------- done ----------------------------------------- +------+\n"
    " */\n"
    "int demo_value;\n"
)

NARROW = (
    "/* demo: a state machine.\n"
    " *\n"
    " *   +------+ --start--> +------+\n"
    " *   | IDLE |            | BUSY |\n"
    " *   +------+ <--done--- +------+\n"
    " *\n"
    " * Prose after the diagram. */\n"
    "int demo_value;\n"
)

MISINDENTED = (
    "int demo_step(int s);\n"
    "int demo_step(int s)\n"
    "{\n"
    "        /* IDLE --start--> BUSY\n"
    "         *  ^               |\n"
    "         *  +----done------+ */\n"
    "    return s;\n"
    "}\n"
)


def run_check(tmp_path, text, *args):
    path = tmp_path / "demo.c"
    path.write_text(text)
    out = subprocess.run([SCRIPT, *args, str(path)], capture_output=True, text=True, timeout=60)
    return out.returncode, out.stderr, str(path)


def test_diagram_that_clang_format_would_reflow_fails_naming_file_and_line(tmp_path):
    rc, err, path = run_check(tmp_path, WIDE, "--style", REFLOWING, "--column-limit", "0")
    assert rc == 1, err
    assert f"{path}:3: clang-format would change this diagram (3 lines)" in err


def test_diagram_past_the_column_limit_fails_with_the_repository_style(tmp_path):
    # ReflowComments: false leaves the wide lines alone, so the column check must catch them.
    rc, err, path = run_check(tmp_path, WIDE)
    assert rc == 1, err
    assert f"{path}:3: 105 columns in a comment (the limit is 100)" in err
    assert f"{path}:5: 105 columns in a comment (the limit is 100)" in err


def test_diagram_that_clang_format_would_reindent_fails(tmp_path):
    rc, err, path = run_check(tmp_path, MISINDENTED)
    assert rc == 1, err
    assert f"{path}:4: clang-format would change this diagram" in err


def test_intact_diagram_passes_with_both_styles(tmp_path):
    for args in ((), ("--style", REFLOWING)):
        rc, err, _ = run_check(tmp_path, NARROW, *args)
        assert rc == 0, err


def test_the_redrawn_failover_diagrams_pass():
    files = [os.path.join(REPO, p) for p in ("sentinel/core/failover.h", "store/repl/repl_failover.c")]
    out = subprocess.run([SCRIPT, *files], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_long_code_line_is_left_to_clang_format(tmp_path):
    # `make fmt` must still run on such a file: clang-format wraps code, only comments are ours.
    code = "int demo_sum(int a, int b);\nint demo_total = " + " + ".join(["1"] * 40) + ";\n"
    rc, err, _ = run_check(tmp_path, code)
    assert rc == 0, err
