"""Mutation testing of chosen modules with mutmut, a cache, and a report of survivors.

    .venv/bin/python scripts/mutate.py [MODULE ...] [--jobs 2] [--report FILE] [--rebuild]
    python3 run.py mutate [MODULE ...]          the same, installing the venv first

With no MODULE it mutates ``default_modules`` of ``[tool.counter_mutate]`` in pyproject.toml
(the money, returns and trust modules). Every MODULE must be in that table's
``mutation_set``: mutmut generates mutants and records which tests call which function for
the whole set once, then a run tests only the chosen modules' mutants.

How the pieces fit (mutmut 3 does the mutating and the running):

- **Which tests.** mutmut runs the configured test selection once with every function of the
  set wrapped in a trampoline and records, per function, the tests that called it. A mutant
  is then tested only against the tests that call its function, in a child forked from a warm
  process, stopping at the first failure (``-x``).
- **Cache.** mutmut keeps each mutant's verdict and re-tests the mutants of a function whose
  source changed (and of its callers). It does not notice changed tests, so this script does:
  it records, per mutant, a fingerprint of the test files (and test helpers) whose tests call
  the mutant's function; a test file that changed has its tests' call records collected
  again, and a mutant whose fingerprint moved is tested again. Everything else keeps its
  verdict. A change of constraints.txt, pyproject.toml or the mutation set starts afresh.
- **Cores.** ``--jobs`` children (default 2) test mutants side by side.
- **Report.** Survivors (module, line, the mutation as a diff) go to ``--report``
  (default ``.mutation/report.md``, ignored by git); the score per module is printed.
- **Equivalent mutants** are listed in ``equivalents`` (a TOML file, each entry with its
  reason); a survivor that matches one (same module, function and changed lines) is left out
  of the score and listed apart. An entry that matches nothing is reported as stale.

The state lives in ``.mutation/<profile>/`` (mutmut's ``mutants/`` folder and this script's
cache). To browse survivors interactively: ``cd .mutation/<profile> && ../../.venv/bin/mutmut browse``.
Runs on Linux and macOS (mutmut forks).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_VERSION = "1"

#: Verdicts that count as the tests noticing the mutant.
DETECTED = {"killed", "timeout", "caught by type check"}


@dataclass
class Settings:
    root: Path
    mutation_set: list[str]
    default_modules: list[str]
    tests: list[str]
    pytest_args: list[str]
    equivalents: Path
    also_copy: list[str]

    @property
    def source_dirs(self) -> list[str]:
        return sorted({m.split("/", 1)[0] for m in self.mutation_set})

    @property
    def profile(self) -> str:
        digest = hashlib.sha256(json.dumps([self.tests, self.pytest_args]).encode()).hexdigest()[:8]
        name = "-".join(Path(t).name for t in self.tests if not t.startswith("-"))
        return f"{name[:40]}-{digest}"


def load_settings(root: Path) -> Settings:
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["counter_mutate"]
    return Settings(
        root=root,
        mutation_set=list(table["mutation_set"]),
        default_modules=list(table["default_modules"]),
        tests=list(table["tests"]),
        pytest_args=list(table.get("pytest_args", [])),
        equivalents=root / table["equivalents"],
        also_copy=list(table.get("also_copy", [])),
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# --- the work folder -------------------------------------------------------------------


def environment_fingerprint(s: Settings) -> str:
    parts = [STATE_VERSION, json.dumps(s.mutation_set), json.dumps(s.tests + s.pytest_args)]
    for name in ("pyproject.toml", "constraints.txt"):
        path = s.root / name
        parts.append(sha(path.read_bytes()) if path.exists() else "-")
    try:
        from importlib.metadata import version

        parts.append(version("mutmut"))
    except Exception:  # noqa: BLE001 - only a fingerprint ingredient
        parts.append("?")
    return sha("|".join(parts).encode())


def prepare_workdir(s: Settings, rebuild: bool) -> Path:
    """``.mutation/<profile>/``: links to the packages and tests, and a pyproject.toml that
    is the project's plus mutmut's section. mutmut works relative to its current folder."""
    work = s.root / ".mutation" / s.profile
    fingerprint = environment_fingerprint(s)
    stamp = work / "environment"
    if rebuild or (stamp.exists() and stamp.read_text() != fingerprint):
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    for name in [*s.source_dirs, "tests", *s.also_copy]:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(s.root / name, target_is_directory=(s.root / name).is_dir())
    mutmut_section = {
        "source_paths": s.source_dirs,
        "only_mutate": s.mutation_set,
        "pytest_add_cli_args_test_selection": s.tests,
        "pytest_add_cli_args": s.pytest_args,
        "also_copy": s.also_copy,
        "use_git_change_detection": False,
        "on_dependency_change": "ignore",
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in mutmut_section.items()]
    (work / "pyproject.toml").write_text((s.root / "pyproject.toml").read_text() + "\n".join(lines) + "\n")
    stamp.write_text(fingerprint)
    # A test file deleted from the project must not linger in mutmut's copy of tests/.
    shutil.rmtree(work / "mutants" / "tests", ignore_errors=True)
    return work


# --- which test files a mutant depends on -------------------------------------------------


def test_file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha(p.read_bytes()) for p in sorted((root / "tests").rglob("*.py"))}


def is_test_file(path: str) -> bool:
    return Path(path).name.startswith("test_")


def changed_test_files(old: dict[str, str], new: dict[str, str]) -> set[str]:
    changed = {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
    if any(not is_test_file(p) for p in changed):  # a conftest or helper: every test may differ
        return {p for p in new if is_test_file(p)} | changed
    return changed


def file_of(test_id: str) -> str:
    return test_id.split("::", 1)[0]


def tests_fingerprint(tests: set[str], hashes: dict[str, str]) -> str:
    helpers = sorted((p, h) for p, h in hashes.items() if not is_test_file(p))
    files = sorted({(file_of(t), hashes.get(file_of(t), "-")) for t in tests})
    return sha(json.dumps([files, helpers]).encode())


# --- the run ----------------------------------------------------------------------------


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    function: str = ""
    line: int = 0
    diff: str = ""
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    equivalent_reason: str | None = None


def run_mutmut(s: Settings, work: Path, modules: list[str], jobs: int) -> dict[str, list[Mutant]]:
    os.chdir(work)
    sys.path.insert(0, str(work))
    from mutmut import __main__ as mm
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.state import state
    from mutmut.stats import load_stats, save_stats, status_by_exit_code
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths
    from mutmut.utils.format_utils import mangled_name_from_mutant_name
    from mutmut.workers.isolation import get_mutant_runner

    cache_path = work / "counter-cache.json"
    cache: dict[str, Any] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    hashes = test_file_hashes(s.root)
    changed = changed_test_files(cache.get("test_hashes", {}), hashes) if cache else set()

    # mutmut sees a test as new (and records what it calls) when it has no duration yet.
    Path("mutants").mkdir(exist_ok=True)
    if changed and load_stats():
        st = state()
        stale = {t for t in st.duration_by_test if file_of(t) in changed}
        for t in stale:
            del st.duration_by_test[t]
        for tests in st.tests_by_mangled_function_name.values():
            tests -= stale
        st.current_function_hashes = dict(st.old_function_hashes)
        save_stats()
        print(f"{len(changed)} test file(s) changed: their tests' calls are recorded again")

    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    mm.create_mutants(jobs)
    runner = get_mutant_runner(jobs)
    mm.collect_or_load_stats(runner, apply_config_invalidation=True)

    tests_by_function = state().tests_by_mangled_function_name
    fingerprints: dict[str, str] = cache.get("fingerprints", {})
    to_run: list[str] = []
    for module in modules:
        data = SourceFileMutationData(path=Path(module))
        data.load()
        dirty = False
        for name, code in data.exit_code_by_key.items():
            fp = tests_fingerprint(tests_by_function.get(mangled_name_from_mutant_name(name), set()), hashes)
            if code is not None and fingerprints.get(name, fp) != fp:
                data.exit_code_by_key[name] = None
                dirty = True
            if data.exit_code_by_key[name] is None:
                to_run.append(name)
            # Recorded before the run, so that an interrupted run leaves a true cache: every
            # verdict on disk was reached against these tests.
            fingerprints[name] = fp
        if dirty:
            data.save()
    cache_path.write_text(json.dumps({"test_hashes": hashes, "fingerprints": fingerprints}, indent=1))

    print(f"{len(to_run)} mutant(s) to test in {len(modules)} module(s); the rest keep their cached verdicts")
    if to_run:
        try:
            mm._run(to_run, jobs)
        except SystemExit as stop:
            if stop.code not in (None, 0):
                raise

    results: dict[str, list[Mutant]] = {}
    for module in modules:
        data = SourceFileMutationData(path=Path(module))
        data.load()
        mutants = []
        for name, code in data.exit_code_by_key.items():
            mutants.append(Mutant(name=name, module=module, status=status_by_exit_code[code]))
        results[module] = mutants
    return results


# --- survivors, equivalents, the report ----------------------------------------------------


def describe(m: Mutant, source: str) -> None:
    """Fill in the mutant's function, file line and diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    m.diff = get_diff_for_mutant(m.name, path=m.module)
    function, cls = orig_function_and_class_names_from_key(m.name)
    m.function = f"{cls}.{function}" if cls else function
    m.removed = [ln[1:].strip() for ln in m.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    m.added = [ln[1:].strip() for ln in m.diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    start = function_start(source, function, cls)
    hunk = re.search(r"^@@ -(\d+)", m.diff, re.M)
    if start and hunk:
        offset = int(hunk.group(1))
        for ln in m.diff.split("\n@@", 1)[-1].splitlines()[1:]:
            if ln.startswith("-"):
                break
            if not ln.startswith("+"):
                offset += 1
        m.line = start + offset - 1


def function_start(source: str, function: str, cls: str | None) -> int:
    tree = ast.parse(source)
    scopes: list[ast.AST] = [tree]
    if cls:
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls]
    for scope in scopes:
        for node in ast.iter_child_nodes(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
                return node.decorator_list[0].lineno if node.decorator_list else node.lineno
    return 0


def load_equivalents(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("mutant", [])
    for entry in entries:
        missing = {"module", "function", "before", "after", "reason"} - entry.keys()
        if missing:
            sys.exit(f"{path}: an equivalent mutant lacks {sorted(missing)}: {entry}")
    return list(entries)


def lines_of(value: str | list[str]) -> list[str]:
    return [value.strip()] if isinstance(value, str) else [v.strip() for v in value]


def match_equivalent(m: Mutant, entries: list[dict[str, Any]], used: set[int]) -> None:
    for i, entry in enumerate(entries):
        if (
            entry["module"] == m.module
            and entry["function"] == m.function
            and lines_of(entry["before"]) == m.removed
            and lines_of(entry["after"]) == m.added
        ):
            m.equivalent_reason = entry["reason"]
            used.add(i)
            return


@dataclass
class Score:
    module: str
    total: int
    detected: int
    equivalent: int
    survived: int
    no_tests: int

    @property
    def percent(self) -> float:
        judged = self.total - self.equivalent
        return 100.0 * self.detected / judged if judged else 100.0


def report(s: Settings, results: dict[str, list[Mutant]], path: Path) -> list[Score]:
    entries = load_equivalents(s.equivalents)
    used: set[int] = set()
    scores: list[Score] = []
    body: list[str] = []
    equivalents_seen: list[Mutant] = []
    for module, mutants in results.items():
        source = (s.root / module).read_text()
        undetected = [m for m in mutants if m.status not in DETECTED and m.status != "skipped"]
        for m in undetected:
            describe(m, source)
            match_equivalent(m, entries, used)
        live = [m for m in undetected if m.equivalent_reason is None]
        equivalents_seen += [m for m in undetected if m.equivalent_reason is not None]
        score = Score(
            module=module,
            total=len([m for m in mutants if m.status != "skipped"]),
            detected=len([m for m in mutants if m.status in DETECTED]),
            equivalent=len(undetected) - len(live),
            survived=len([m for m in live if m.status != "no tests"]),
            no_tests=len([m for m in live if m.status == "no tests"]),
        )
        scores.append(score)
        if live:
            body.append(f"## {module}: {len(live)} not detected\n")
            for m in sorted(live, key=lambda m: m.line):
                body.append(f"### {module}:{m.line} `{m.function}` ({m.status}) `{m.name}`\n")
                body.append("```diff\n" + m.diff + "\n```\n")
    head = [
        f"# Mutation report ({date.today().isoformat()})\n",
        "Command: `" + " ".join(["python3 run.py mutate", *results.keys()]) + "`\n",
        "| module | mutants | detected | equivalent | survived | no tests | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for sc in scores:
        head.append(
            f"| {sc.module} | {sc.total} | {sc.detected} | {sc.equivalent} | {sc.survived} | {sc.no_tests} "
            f"| {sc.percent:.1f}% |"
        )
    head.append("\nScore = detected / (mutants - equivalent). Detected = killed or timed out.\n")
    tail = ["## Equivalent mutants (left out of the score)\n"]
    for m in equivalents_seen:
        tail.append(
            f"- {m.module}:{m.line} `{m.function}`: `{' / '.join(m.removed)}` -> "
            f"`{' / '.join(m.added)}`: {m.equivalent_reason}"
        )
    chosen = set(results)
    stale = [e for i, e in enumerate(entries) if i not in used and e["module"] in chosen]
    if stale:
        tail.append("\n## Stale entries in the equivalents file (no surviving mutant matches them)\n")
        tail += [f"- {e['module']} `{e['function']}`: `{e['before']}` -> `{e['after']}`" for e in stale]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(head + body + tail) + "\n")
    return scores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="files to mutate, e.g. counter/money.py (default: the money set)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested side by side (default 2)")
    parser.add_argument("--report", type=Path, help="where the survivors go (default .mutation/report.md)")
    parser.add_argument("--rebuild", action="store_true", help="forget every cached verdict and start afresh")
    parser.add_argument(
        "--tests",
        nargs="+",
        metavar="ARG",
        help="pytest selection instead of the table's `tests` (a separate cache), e.g. --tests tests/unit",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # the tool's own test
    args = parser.parse_args(argv)

    root = args.root.resolve()
    s = load_settings(root)
    if args.tests:
        s.tests = list(args.tests)
    modules = [str(Path(m)) for m in args.modules] or s.default_modules
    unknown = [m for m in modules if m not in s.mutation_set]
    if unknown:
        print(f"Not in [tool.counter_mutate] mutation_set of pyproject.toml: {', '.join(unknown)}.")
        print("Add them there (the next run then starts afresh, collecting which tests call what).")
        return 2
    report_path = (args.report or root / ".mutation" / "report.md").resolve()
    work = prepare_workdir(s, args.rebuild)
    results = run_mutmut(s, work, modules, args.jobs)
    scores = report(s, results, report_path)
    print()
    print(f"{'module':34} {'mutants':>7} {'detected':>8} {'equiv':>5} {'survived':>8} {'no tests':>8} {'score':>7}")
    for sc in scores:
        print(
            f"{sc.module:34} {sc.total:7} {sc.detected:8} {sc.equivalent:5} {sc.survived:8} {sc.no_tests:8} "
            f"{sc.percent:6.1f}%"
        )
    print(f"\nSurvivors written to {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
