"""scripts/mutate.py on a planted project: a mutant the tests catch is killed, one they miss
survives and is reported with its line and diff, a listed equivalent is left out of the score,
a re-run tests nothing again, and a changed test file re-tests only the mutants it covers."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OPS = """\
def add(a, b):
    return a + b


def is_adult(age):
    return age >= 18
"""

TESTS = """\
from calc.ops import add, is_adult


def test_add():
    assert add(2, 3) == 5


def test_adult():
    assert is_adult(30)
    assert not is_adult(5)
"""

PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.counter_mutate]
mutation_set = ["calc/ops.py"]
default_modules = ["calc/ops.py"]
tests = ["tests"]
pytest_args = ["-p", "no:cacheprovider"]
equivalents = "equivalents.toml"
"""

EQUIVALENTS = """\
[[mutant]]
module = "calc/ops.py"
function = "is_adult"
before = "return age >= 18"
after = "return age >= 19"
reason = "planted: stands for a mutant no test can tell apart"
"""


def mutate(project: Path) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "mutate.py"), "--root", str(project), "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout, (project / ".mutation" / "report.md").read_text()


def count_tested(stdout: str) -> int:
    found = re.search(r"(\d+) mutant\(s\) to test", stdout)
    assert found, stdout[-2000:]
    return int(found.group(1))


def test_killed_surviving_equivalent_and_cached(tmp_path: Path) -> None:
    project = tmp_path / "planted"
    (project / "calc").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "calc" / "__init__.py").write_text("")
    (project / "calc" / "ops.py").write_text(OPS)
    (project / "tests" / "test_ops.py").write_text(TESTS)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "equivalents.toml").write_text(EQUIVALENTS)

    stdout, report = mutate(project)
    first = count_tested(stdout)
    assert first >= 3
    survivors = report.split("## Equivalent mutants")[0]
    # a + b -> a - b: test_add notices, so it is not among the survivors
    assert "+    return a - b" not in survivors
    # >= 18 -> > 18: no test tries 18, so it survives, reported at line 6 with its diff
    assert "### calc/ops.py:6 `is_adult` (survived)" in survivors
    assert "-    return age >= 18\n+    return age > 18" in survivors
    # the listed equivalent is apart, with its reason, and not in the score
    equivalents = report.split("## Equivalent mutants")[1]
    assert "`return age >= 18` -> `return age >= 19`: planted" in equivalents
    row = re.search(r"^calc/ops.py\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%", stdout, re.M)
    assert row, stdout[-2000:]
    total, detected, equivalent, survived, no_tests, score = row.groups()
    assert int(equivalent) == 1 and int(survived) >= 1 and int(no_tests) == 0
    assert float(score) == round(100 * int(detected) / (int(total) - 1), 1)

    # Nothing changed: every verdict comes from the cache.
    stdout, _ = mutate(project)
    assert count_tested(stdout) == 0

    # A test for the boundary: only the mutants of the functions that file's tests call are
    # tested again (both functions here), and the boundary mutant is now killed.
    (project / "tests" / "test_ops.py").write_text(TESTS + "    assert is_adult(18)\n")
    stdout, report = mutate(project)
    assert count_tested(stdout) == first
    assert "return age > 18" not in report.split("## Equivalent mutants")[0]

    # A second test file that calls only add(): only add's mutants are tested again.
    (project / "tests" / "test_more.py").write_text(
        textwrap.dedent("""\
            from calc.ops import add


            def test_add_zero():
                assert add(0, 7) == 7
            """)
    )
    stdout, _ = mutate(project)
    assert 0 < count_tested(stdout) < first
