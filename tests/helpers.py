"""Shared helpers of the test suite."""
from __future__ import annotations

import signal
import subprocess
import time


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something true and return that; fail after `timeout` seconds.

    Synchronisation on a condition with a deadline (the interval only paces the polling)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# Sources for the TONG (a + b, Themis file I/O) problem that the pipeline and browser tests build.
CPP_AC = r"""#include <cstdio>
int main() {
    long long a, b;
    freopen("TONG.INP", "r", stdin);
    freopen("TONG.OUT", "w", stdout);
    scanf("%lld %lld", &a, &b);
    printf("%lld\n", a + b);
}
"""
PY_WA = "a, b = map(int, input().split())\nprint(a - b)\n"


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (rq's warm shutdown, gunicorn's graceful stop), then SIGKILL if it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
