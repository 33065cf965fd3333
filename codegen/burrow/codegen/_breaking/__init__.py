"""The breaking-change checker: compare two locks and name every change that breaks a reader.

    changes = compare_locks(old_lock, new_lock)          # every difference, with its directions
    changes = prove(old_lock, new_lock, changes)         # a witness message per direction (needs hypothesis)
    report = judge(changes, load_breaking_config(None), old="HEAD~1", new="contracts/burrow.lock.json")
    print(render_text(report)); sys.exit(1 if report.breaking else 0)

``burrow contracts breaking --against <lock | git ref>`` does exactly this.
"""

from burrow.codegen._breaking._command import add_contracts_command, read_against
from burrow.codegen._breaking._contracts import compare_locks
from burrow.codegen._breaking._findings import CATEGORIES, RULES, Category, Change, Direction, Role, Witness
from burrow.codegen._breaking._policy import Allow, BreakingConfig, load_breaking_config
from burrow.codegen._breaking._report import Finding, Report, judge, render_json, render_text
from burrow.codegen._breaking._witness import prove

__all__ = [
    "CATEGORIES",
    "RULES",
    "Allow",
    "BreakingConfig",
    "Category",
    "Change",
    "Direction",
    "Finding",
    "Report",
    "Role",
    "add_contracts_command",
    "compare_locks",
    "judge",
    "load_breaking_config",
    "prove",
    "read_against",
    "render_json",
    "render_text",
    "Witness",
]
