"""The JavaScript sandbox's memory limit holds over many scripts: scripts that each try to take
a gigabyte leave the process's peak near the limit, measured in a process of its own (the
sandbox's other promises: tests/unit/test_javascript_sandbox.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_memory_stays_bounded_over_many_scripts_that_allocate_a_gigabyte():
    # In a process of its own, so that the peak is this loop's alone.
    program = textwrap.dedent(
        """
        import resource
        from lambdas.runtime.javascript import run_script
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        growing = "const a = []; for (;;) a.push(new Array(1e5).fill(1))"
        for script in ["new ArrayBuffer(2 ** 30)", growing] * 5:
            assert run_script(script, {}, 5).error.startswith("Out of memory")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    grown_kib = int(subprocess.check_output([sys.executable, "-c", program], text=True))
    assert grown_kib < 128 * 1024  # the 64 MB limit and the engine's own, never a gigabyte
