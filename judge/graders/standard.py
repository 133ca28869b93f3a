"""The standard grader: the test's input on stdin (and in ``problem.input_file`` for Themis), the
output (``problem.output_file`` if the program wrote it, else stdout) checked on the host by the
problem's checker. Verdict rules: :mod:`judge.graders.base`."""
from __future__ import annotations

import os

from judge import result as R
from judge.checkers import STREAMING, get_checker
from judge.graders.base import RUN_ENV, BaseGrader
from judge.result import TestResult
from judge.sandbox import CONTESTANT_UID, SandboxError


class StandardGrader(BaseGrader):
    def grade(self, test) -> TestResult:
        box, problem = self.box, self.job.problem
        for name in ("output", "stderr", "outfile"):  # the last test's pages leave the cgroup
            box.remove_file(name)
        box.put_copy("input", test.input_path)
        out = box.execute(
            self.lang.run(self.job.src_name, self.memory_limit), uid=CONTESTANT_UID, cwd="/box",
            limits=self.run_limits(os.path.getsize(test.answer_path)), stdin="input",
            copy_as=problem.input_file or None, stdout="output", stderr="stderr",
            collect=problem.output_file or None,
            collect_to="outfile" if problem.output_file else None, wipe="/box", env=RUN_ENV,
        )
        if out.exec_error:
            raise SandboxError(f"cannot start the program: {out.exec_error}")
        res = self.result(test, out)
        decided = self.limit_verdict(out, lambda: self.read_text("stderr") + self.read_text("output"))
        if decided:
            (res.verdict, res.message), res.score = decided, 0.0
        else:
            res.verdict, res.score, res.message = self.check(test, out)
        # a Kattis output validator's score.txt, kept for judge.grading (validator_score)
        res.validator_score = self.job.context.cache.get("validator_scores", {}).get(test.name)
        return res

    def output_size(self, out) -> int:
        return out.collected_bytes if out.collected else self.box.file_size("output")

    def check(self, test, out) -> tuple[str, float, str]:
        """Rule 6: the problem's checker on the output."""
        job = self.job
        name = "outfile" if out.collected else "output"
        kind = job.problem.checker.kind
        checker = get_checker(kind)
        if kind in STREAMING:  # the path: streamed or copied, never read whole into the worker
            output = self.box.path(name)
            if not output.exists():
                self.box.put_file(name, b"")
        else:
            output = self.box.read_file(name, self.output_limit)
        job.context.test = test
        accepted, score, message = checker(test.input_path, test.answer_path, output,
                                           job.problem.checker.flags, job.context)
        score = min(max(float(score), 0.0), 1.0)
        if accepted:
            return R.AC, 1.0 if score == 0.0 else score, message
        return R.WA, score, message
