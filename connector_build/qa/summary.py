"""QA results in a line: the one-line summary and one line per check (failures first),
as `qa run` and the `test` command's ``qa`` step show them."""

from __future__ import annotations

from collections import Counter

from connector_build.qa.model import CheckResult, CheckStatus

MARK = {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗", CheckStatus.WARN: "!", CheckStatus.SKIP: "–"}


def qa_summary(results: list[CheckResult]) -> str:
    """One line: ``2 of 14 checks failed: docs_present, changelog_entry`` or
    ``12 passed, 1 warning (icon_square_svg), 2 skipped``."""
    counts = Counter(r.status for r in results)
    failures = [r.name for r in results if r.failed]
    warnings = [r.name for r in results if r.status is CheckStatus.WARN]
    if failures:
        text = f"{len(failures)} of {len(results)} checks failed: {', '.join(failures)}"
        return text + (f"; {_warnings(warnings)}" if warnings else "")
    text = f"{counts[CheckStatus.PASS]} passed"
    text += f", {_warnings(warnings)}" if warnings else ""
    return text + (f", {counts[CheckStatus.SKIP]} skipped" if counts[CheckStatus.SKIP] else "")


def _warnings(names: list[str]) -> str:
    return f"{len(names)} warning{'s' if len(names) > 1 else ''} ({', '.join(names)})"


def qa_lines(results: list[CheckResult]) -> list[str]:
    """One line per check, failures first: what the step's log tail shows."""
    order = {CheckStatus.FAIL: 0, CheckStatus.WARN: 1, CheckStatus.SKIP: 2, CheckStatus.PASS: 3}
    ranked = sorted(results, key=lambda r: order[r.status])
    return [f"{MARK[r.status]} {r.name}: {r.message}" for r in ranked]
