"""The grader (``python -m ferrograd.grade``), run as a course runs it, on submissions written for
these tests: correct solutions written differently get full marks; one-bug variants of
``solutions/submitted.py`` lose points on the test named for their bug and nowhere unrelated; a file
that hangs, does not import, or tries to forge its grade gets what its code earns."""

import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).parent / "solutions"
REFERENCE = (HERE / "submitted.py").read_text()
FAST = ["--examples", "10"]


def grade(path, *args, json_path=None, timeout=900):
    """Runs the grader on ``path`` (without ``$MNIST_DIR``: the training test runs only when a
    test passes ``--data``); returns (results.json as a dict, stdout)."""
    json_path = json_path or path.with_suffix(".results.json")
    env = {name: value for name, value in os.environ.items() if name != "MNIST_DIR"}
    proc = subprocess.run(
        [sys.executable, "-m", "ferrograd.grade", str(path), "--json", str(json_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(json_path.read_text()), proc.stdout


def failed(results):
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}


def most(results):
    return sum(t["max_score"] for t in results["tests"])


def variant(tmp_path, name, *replacements):
    """``submitted.py`` with each ``(old, new)`` replaced; ``old`` must occur exactly once."""
    text = REFERENCE
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in solutions/submitted.py"
        text = text.replace(old, new)
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


@pytest.mark.parametrize("solution", ["submitted.py", "alternative.py"])
def test_correct_solutions_written_differently_get_full_marks(solution, tmp_path):
    results, stdout = grade(HERE / solution, json_path=tmp_path / "results.json")
    assert failed(results) == set(), stdout
    assert results["score"] == most(results) >= 90
    names = [t["name"] for t in results["tests"]]
    operations = {name.split(":")[0] for name in names}
    assert operations >= {"add", "sub", "mul", "div", "matmul", "log", "exp", "sum", "max",
                          "broadcast_grad_accumulate", "backward", "repr"}
    assert len(names) == len(set(names))


def test_the_original_numpy_solution_gets_full_marks(original, tmp_path):
    results, stdout = grade(pathlib.Path(original.__file__), *FAST, json_path=tmp_path / "results.json")
    assert failed(results) == set(), stdout


def test_every_tie_rule_gets_full_marks_unless_the_course_narrows_it(tmp_path):
    split = variant(tmp_path, "split_ties", ("accumulate(a, tied * g)", "accumulate(a, tied * g / tied.sum(axis=axis, keepdims=True))"))
    results, _ = grade(split, *FAST)
    assert failed(results) == set()
    results, _ = grade(split, *FAST, "--ties", "every")
    assert failed(results) == {"max: ties (the gradient to every tied maximum, the first, or split equally)"}


MUTANTS = {
    # name: (replacements, the test it must fail, the operations whose tests may also fail)
    "sub_sign": (
        [("accumulate(b, -g)", "accumulate(b, g)")],
        "sub: grad_fn with a non-uniform upstream gradient",
        {"sub", "backward"},
    ),
    "div_swapped_operands": (
        [("a.array / b.array, (a, b)", "b.array / a.array, (a, b)")],
        "div: forward values",
        {"div", "backward", "repr"},
    ),
    "sum_missing_expand_dims": (
        [("""        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        accumulate(a, np.broadcast_to""", "        accumulate(a, np.broadcast_to")],
        "sum: grad_fn along one axis, keepdims=False",
        {"sum", "backward"},
    ),
    "max_gradient_to_every_element": (
        [("accumulate(a, tied * g)", "accumulate(a, np.ones_like(a.array) * g)")],
        "max: grad_fn along one axis, keepdims=True",
        {"max", "backward"},
    ),
    "assignment_instead_of_accumulation": (
        [("t.grad += broadcast_grad_accumulate(t, grad)", "t.grad = t.grad * 0 + broadcast_grad_accumulate(t, grad)")],
        "backward: a tensor used more than once (gradients accumulate)",
        {"add", "sub", "mul", "div", "log", "exp", "sum", "max", "backward"},
    ),
    "walk_not_topological": (
        [("""        order, seen = [], set()

        def visit(t):
            if id(t) not in seen:
                seen.add(id(t))
                for parent in t.parents:
                    visit(parent)
                order.append(t)

        visit(self)
        self.grad = np.ones_like(self.array)
        for t in reversed(order):""", """        order, seen = [self], {id(self)}
        for t in order:  # breadth-first from the output: not a topological order
            for parent in t.parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    order.append(parent)
        self.grad = np.ones_like(self.array)
        for t in order:""")],
        "backward: two paths that meet (the walk must be topological)",
        {"backward"},
    ),
    "matmul_wrong_only_for_square_matrices": (
        [("a.grad += g @ b.array.T", "a.grad += g @ (b.array if b.array.shape[0] == b.array.shape[1] else b.array.T)")],
        "matmul: grad_fn with a non-uniform upstream gradient, square matrices",
        {"matmul", "backward"},  # the chain test multiplies by square matrices too
    ),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_one_bug_variant_loses_points_on_the_right_test(name, tmp_path):
    replacements, must_fail, may_fail = MUTANTS[name]
    results, stdout = grade(variant(tmp_path, name, *replacements), *FAST)
    lost = failed(results)
    assert must_fail in lost, stdout
    assert {test.split(":")[0] for test in lost} <= may_fail, stdout
    assert results["score"] == most(results) - len(lost)
    report = next(t["output"] for t in results["tests"] if t["name"] == must_fail)
    assert "The smallest failing case:" in report and f"from {name} import Tensor" in report


def test_a_square_only_bug_leaves_the_non_square_tests_passing(tmp_path):
    replacements, _, _ = MUTANTS["matmul_wrong_only_for_square_matrices"]
    results, _ = grade(variant(tmp_path, "square_only", *replacements), *FAST)
    assert "matmul: grad_fn with a non-uniform upstream gradient, non-square matrices" not in failed(results)


def test_the_reported_case_is_small_and_runs_as_printed(tmp_path):
    path = variant(tmp_path, "sub_sign", *MUTANTS["sub_sign"][0])
    results, _ = grade(path, *FAST)
    report = next(t["output"] for t in results["tests"] if t["name"] == "sub: grad_fn with a non-uniform upstream gradient")
    snippet = report.split("The smallest failing case:\n", 1)[1]
    snippet = "\n".join(line[4:] for line in snippet.splitlines())
    assert snippet.count("np.array(") <= 3 and len(snippet) < 400, snippet
    run = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    expected, got = re.search(r"`b.grad`: expected (.*), got (.*)", report).groups()
    printed = run.stdout.split()
    assert printed[-len(got.split()):] == got.split(), (run.stdout, got)  # b.grad is printed last
    assert expected != got


def test_a_hanging_operation_times_out_and_every_other_test_is_graded(tmp_path):
    path = variant(tmp_path, "hangs", ("    out = np.exp(a.array)\n", "    out = np.exp(a.array)\n    while True:\n        pass\n"))
    results, stdout = grade(path, "--timeout", "1", "--visible")
    lost = failed(results)
    assert lost == {"exp: the notebook's exp of ones((2, 3)), then backward()",
                    "backward: the notebook's sigmoid 1 / (1 + exp(-x))"}, stdout
    assert all(t["output"].startswith("timed out after 1 s") for t in results["tests"] if t["name"] in lost)
    assert all("The case that did not finish:" in t["output"] for t in results["tests"] if t["name"] in lost)
    assert results["score"] == most(results) - 2


def test_a_file_with_a_syntax_error_gets_zero_with_the_error_and_its_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(REFERENCE.replace("def log(a):", "def log(a)", 1))
    results, stdout = grade(path)
    assert results["score"] == 0 and failed(results) == {t["name"] for t in results["tests"]}
    line = REFERENCE[: REFERENCE.index("def log(a):")].count("\n") + 1
    assert f"SyntaxError" in results["output"] and f"at line {line} of the submission: def log(a)" in results["output"]
    assert "does not import" in stdout


def test_an_exception_at_import_gets_zero_with_the_error_and_its_line(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text(REFERENCE + "\nraise RuntimeError('forgot to remove a debugging line')\n")
    results, _ = grade(path)
    assert results["score"] == 0
    assert "RuntimeError: forgot to remove a debugging line" in results["output"]
    assert f"at line {REFERENCE.count(chr(10)) + 2} of the submission" in results["output"]


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "os._exit(0)"])
def test_exiting_at_import_gets_zero(exit_call, tmp_path):
    path = tmp_path / "exits.py"
    path.write_text(f"import os, sys\n{exit_call}\n" + REFERENCE)
    results, _ = grade(path, "--visible")
    assert results["score"] == 0


HOSTILE = '''
import json as _json, os as _os, sys as _sys, time as _time

# 1. Patch NumPy's comparisons and printing, so that anything compared in this process passes.
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None

# 2. Try to reach ferrograd (the oracle) and break it.
try:
    import ferrograd
    ferrograd.Tensor = None
except ImportError:
    pass

# 3. Print a perfect Gradescope result, and write it into every open file descriptor.
_FAKE = _json.dumps({"score": 1000.0, "tests": [], "ready": ["Tensor"]})
print(_FAKE)
for _fd in range(3, 32):
    try:
        _os.write(_fd, (_FAKE + "\\n").encode())
    except OSError:
        pass

# 4. Write the grader's results path, now and again later from a process that leaves the session.
try:
    _argv = open(f"/proc/{_os.getppid()}/cmdline", "rb").read().split(b"\\0")
    _path = _argv[_argv.index(b"--json") + 1].decode()
    open(_path, "w").write(_FAKE)
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            _time.sleep(3)
            open(_path, "w").write(_FAKE)
        _os._exit(0)
except Exception:
    pass
'''


def test_a_hostile_submission_gets_what_its_code_earns(tmp_path):
    honest = variant(tmp_path, "honest", *MUTANTS["sub_sign"][0])
    hostile = tmp_path / "hostile.py"
    hostile.write_text(honest.read_text() + HOSTILE)
    honest_results, _ = grade(honest, *FAST, json_path=tmp_path / "honest.json")
    results_path = tmp_path / "results.json"
    hostile_results, stdout = grade(hostile, *FAST, json_path=results_path)
    assert failed(hostile_results) == failed(honest_results)
    assert hostile_results["score"] == honest_results["score"] < most(honest_results)
    time.sleep(4)  # the forged writer would have written by now
    assert json.loads(results_path.read_text())["score"] == honest_results["score"]
    assert not list(tmp_path.glob(".results.json.*")), "the atomic write left a temporary file"


def test_exiting_inside_an_operation_fails_that_operation_only(tmp_path):
    path = variant(tmp_path, "exits_in_exp", ("    out = np.exp(a.array)\n", "    out = np.exp(a.array)\n    import os\n    os._exit(0)\n"))
    results, _ = grade(path, "--visible")
    assert {test.split(":")[0] for test in failed(results)} == {"exp", "backward"}
    report = next(t["output"] for t in results["tests"] if t["name"].startswith("exp:"))
    assert "the submission's process ended during this case: it exited with status 0" in report


def test_memory_beyond_the_limit_fails_that_operation_only(tmp_path):
    path = variant(tmp_path, "hungry", ("    out = np.exp(a.array)\n", "    out = np.exp(a.array)\n    hoard = np.ones(1 << 28)\n"))
    results, _ = grade(path, "--memory", "512", "--visible")
    assert {test.split(":")[0] for test in failed(results)} == {"exp", "backward"}
    assert "MemoryError" in next(t["output"] for t in results["tests"] if t["name"].startswith("exp:"))


def test_the_same_seed_gives_the_same_report(tmp_path):
    path = variant(tmp_path, "twice", *MUTANTS["max_gradient_to_every_element"][0])
    first, _ = grade(path, *FAST, "--seed", "7", json_path=tmp_path / "1.json")
    second, _ = grade(path, *FAST, "--seed", "7", json_path=tmp_path / "2.json")
    assert [(t["name"], t["score"], t["output"]) for t in first["tests"]] == [
        (t["name"], t["score"], t["output"]) for t in second["tests"]
    ]


def test_visible_runs_the_notebooks_examples_only(tmp_path):
    results, stdout = grade(HERE / "submitted.py", "--visible", json_path=tmp_path / "results.json")
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert len(results["tests"]) >= 12 and results["score"] == most(results)
    assert "the notebook's" in stdout


def test_results_follow_gradescopes_schema(tmp_path):
    results, _ = grade(variant(tmp_path, "schema", *MUTANTS["sub_sign"][0]), *FAST, "--hidden-visibility", "hidden")
    assert set(results) >= {"score", "tests", "output"}
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["visibility"] in ("visible", "hidden")
    assert results["score"] == sum(t["score"] for t in results["tests"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/submitted.py"], "no such file: /no/such/submitted.py"),
        ([str(HERE / "submitted.py"), "--seed", "x"], "invalid int value"),
        ([str(HERE / "submitted.py"), "--json", "/no/such/folder/results.json"], "does not exist"),
        ([str(HERE / "submitted.py"), "--timeout", "0"], "must be above 0"),
        ([], "required"),
    ],
)
def test_it_exits_2_with_one_line_when_it_cannot_start(args, message):
    proc = subprocess.run([sys.executable, "-m", "ferrograd.grade", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr, proc.stderr


def test_the_console_script_is_installed():
    script = pathlib.Path(sys.executable).with_name("ferrograd-grade")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "SUBMITTED.py" in proc.stdout


def test_the_training_test_runs_when_mnist_is_found(mnist_dir, tmp_path):
    results, stdout = grade(HERE / "submitted.py", "--visible", json_path=tmp_path / "visible.json")
    assert not any(t["name"].startswith("training:") for t in results["tests"])
    results, stdout = grade(HERE / "submitted.py", "--examples", "1", "--data", str(mnist_dir),
                            json_path=tmp_path / "results.json")
    training = next(t for t in results["tests"] if t["name"].startswith("training:"))
    assert training["score"] == training["max_score"] == 5, stdout
    accuracy = float(re.search(r"([0-9.]+)% test accuracy", results["output"]).group(1))
    assert 85 <= accuracy <= 100


def test_a_submission_that_trains_badly_fails_the_training_test(mnist_dir, tmp_path):
    path = variant(tmp_path, "learns_nothing", ("a.grad += g @ b.array.T", "a.grad += 0 * (g @ b.array.T)"),
                   ("b.grad += a.array.T @ g", "b.grad += 0 * (a.array.T @ g)"))
    results, _ = grade(path, "--examples", "1", "--data", str(mnist_dir))
    training = next(t for t in results["tests"] if t["name"].startswith("training:"))
    assert training["score"] == 0 and "below 85%" in training["output"]


def test_the_submission_runs_as_nobody_when_the_grader_is_root_and_can(tmp_path):
    path = tmp_path / "whoami.py"
    path.write_text("import os\n\nclass Tensor:\n    def __init__(self, *args, **kwargs):\n        raise RuntimeError(f'uid={os.getuid()}')\n")
    results, _ = grade(path, "--visible")
    uid = int(re.search(r"uid=(\d+)", results["tests"][0]["output"]).group(1))
    if os.geteuid() != 0:
        assert uid == os.geteuid()
    else:
        assert uid == 65534 or "The submission ran as root" in results["output"]


def test_a_submission_that_imports_only_once_is_still_graded(tmp_path):
    marker = tmp_path / "imported"
    path = tmp_path / "once.py"
    path.write_text(
        f"import os\nif os.path.exists({str(marker)!r}):\n    raise RuntimeError('imported twice')\n"
        f"open({str(marker)!r}, 'w').close()\n" + REFERENCE
    )
    results, _ = grade(path, "--visible")
    assert results["score"] == 0
    assert all("import" in t["output"] for t in results["tests"])
