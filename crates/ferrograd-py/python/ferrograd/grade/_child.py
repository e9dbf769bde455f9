"""The submission's side of grading: runs in a process of its own, started by ``sandbox.py``.

``python -I _child.py SUBMISSION REQUESTS_FD ANSWERS_FD``

It imports the submission (never ferrograd: an audit hook refuses to import it by name or load any
file of its package, so the oracle is out of reach), says ``ready`` or why the import failed, then answers requests, one JSON line each way:
``run`` executes a program's statements one at a time and evaluates its checks, ``train`` runs
the notebook's MLP. Everything it sends is plain data (numbers, strings, shapes); the grader
validates it and judges it in its own process, so nothing here decides a score.

This file is run as a script and imports only the standard library and NumPy.
"""

import importlib.util
import json
import os
import sys
import traceback

MAX_ELEMENTS = 100_000  # an array larger than this is reported as too large, not sent
MAX_TEXT = 2_000  # characters of a string or an error message


def refuse_ferrograd():
    """Installs an audit hook (which no Python code can remove) refusing any import of ferrograd,
    by name or by a file of its package: the engine is the oracle the submission is graded
    against."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

    def hook(event, args):
        if event == "import" and (
            "ferrograd" in str(args[0]) or (isinstance(args[1], str) and os.path.abspath(args[1]).startswith(package))
        ):
            raise ImportError("the grader does not let a submission import ferrograd, the reference it is graded against")

    sys.addaudithook(hook)


def where_in(submission, tb):
    """The innermost traceback frame in the submission's file: its line number and source."""
    found = None
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename) == submission:
            found = {"line": frame.lineno, "code": (frame.line or "")[:MAX_TEXT]}
    return found


def describe(error, submission):
    """An exception as data: its type, message and the submission's line that raised it."""
    where = where_in(submission, error.__traceback__)
    if where is None and isinstance(error, SyntaxError) and error.filename and os.path.abspath(error.filename) == submission:
        where = {"line": error.lineno, "code": (error.text or "").rstrip("\n")[:MAX_TEXT]}
    message = str(error) if not isinstance(error, SyntaxError) else error.msg
    return {"type": type(error).__name__, "message": message[:MAX_TEXT], "where": where}


def encode(value, np):
    """A value read back from the submission, as JSON data: text, None, or an array of float64."""
    if isinstance(value, str):
        return {"text": value[:MAX_TEXT]}
    if value is None:
        return {"none": True}
    array = np.asarray(value, dtype=np.float64)
    if array.size > MAX_ELEMENTS:
        raise ValueError(f"the value has {array.size} elements, more than the grader reads")
    return {"shape": list(array.shape), "data": array.ravel().tolist()}


def run(request, names, submission, np):
    """Executes the statements in order, then evaluates each check."""
    scope = dict(names)
    for index, line in enumerate(request["lines"]):
        try:
            exec(compile(line, "<grading case>", "exec"), scope)
        except Exception as error:  # the submission's failure, reported as data
            return {"failed_line": index, "error": describe(error, submission)}
    values = []
    for expr in request["checks"]:
        try:
            values.append(encode(eval(compile(expr, "<grading case>", "eval"), scope), np))
        except Exception as error:
            values.append({"error": describe(error, submission)})
    return {"values": values}


def train(request, names, submission, np):
    """The notebook's training with the submission's Tensor, then its predictions (not scores)."""
    scope = dict(names)
    scope.update(
        x_train=np.load(request["x_train"], allow_pickle=False),
        y_train=np.load(request["y_train"], allow_pickle=False),
        x_test=np.load(request["x_test"], allow_pickle=False),
        settings=request["settings"],
    )
    try:
        exec(compile(request["program"], "<the notebook's training>", "exec"), scope)
        predictions = np.asarray(scope["predictions"]).astype(np.int64).ravel()
    except Exception as error:
        return {"error": describe(error, submission)}
    return {"predictions": predictions[:MAX_ELEMENTS].tolist()}


def main():
    submission, requests_fd, answers_fd = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    requests = os.fdopen(requests_fd, "r", encoding="utf-8")
    answers = os.fdopen(answers_fd, "w", encoding="utf-8")

    def send(message):
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    try:
        import numpy as np
    except Exception as error:
        send({"environment": f"NumPy does not import in the grading process: {error}"})
        return
    refuse_ferrograd()
    sys.path.insert(0, os.path.dirname(submission))
    try:
        spec = importlib.util.spec_from_file_location("submitted", submission)
        module = importlib.util.module_from_spec(spec)
        sys.modules["submitted"] = module
        spec.loader.exec_module(module)
    except BaseException as error:  # SystemExit and KeyboardInterrupt at import are failures too
        send({"import_error": describe(error, submission)})
        return
    names = {"np": np}
    for name in ("Tensor", "broadcast_grad_accumulate"):
        if hasattr(module, name):
            names[name] = getattr(module, name)
    send({"ready": sorted(names)})
    handlers = {"run": run, "train": train}
    for line in requests:
        request = json.loads(line)
        try:
            answer = handlers[request["kind"]](request, names, submission, np)
        except BaseException as error:  # e.g. SystemExit from the submission: say so, then stop
            send({"id": request["id"], "ended": describe(error, submission)})
            return
        answer["id"] = request["id"]
        send(answer)


if __name__ == "__main__":
    main()
