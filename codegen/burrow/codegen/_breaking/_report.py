"""Judge changes against the policy and allow-list, and render the result as text or JSON."""

from __future__ import annotations

from typing import Literal

import msgspec
from burrow.codegen._breaking._findings import Change, Direction
from burrow.codegen._breaking._policy import Allow, BreakingConfig

__all__ = ["Finding", "Report", "judge", "render_json", "render_text"]

Status = Literal["breaking", "allowed", "compatible"]


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """A change and its verdict: ``breaking`` fails the check; ``allowed`` names its reason."""

    change: Change
    status: Status
    required: tuple[Direction, ...]
    reason: str = ""


class Report(msgspec.Struct, frozen=True, kw_only=True):
    old: str
    new: str
    findings: list[Finding]
    unused_allow: list[Allow]

    @property
    def breaking(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "breaking"]


def judge(changes: list[Change], config: BreakingConfig, *, old: str, new: str) -> Report:
    findings, used = [], set()
    for change in changes:
        required = config.required(change.service, change.role)
        entry = config.allowance(change)
        if not set(change.breaks) & set(required):
            findings.append(Finding(change=change, status="compatible", required=required))
        elif entry is not None:
            used.add((entry.rule, entry.path))
            findings.append(Finding(change=change, status="allowed", required=required, reason=entry.reason))
        else:
            findings.append(Finding(change=change, status="breaking", required=required))
    unused = [entry for entry in config.allow if (entry.rule, entry.path) not in used]
    return Report(old=old, new=new, findings=findings, unused_allow=unused)


def render_json(report: Report) -> bytes:
    findings = [
        {**msgspec.structs.asdict(f.change), "status": f.status, "required": f.required, "reason": f.reason}
        for f in report.findings
    ]
    document = {
        "old": report.old,
        "new": report.new,
        "breaking": len(report.breaking),
        "changes": findings,
        "unused_allow": report.unused_allow,
    }
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


def render_text(report: Report) -> str:
    lines = [_line(f) for f in report.findings]
    for entry in report.unused_allow:
        lines.append(f"note: allow {entry.rule} {entry.path} matches no change: remove it from [tool.burrow.breaking]")
    counts = {
        status: sum(f.status == status for f in report.findings) for status in ("breaking", "allowed", "compatible")
    }
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    lines.append(f"burrow contracts breaking: {report.old} -> {report.new}: {summary}")
    if report.breaking:
        lines.append(
            "A break ships as a new contract name (cleanup.delete_file.v2) served next to the old one; "
            "a deliberate, reviewed break goes in [[tool.burrow.breaking.allow]] with its rule, path and reason."
        )
    return "\n".join(lines) + "\n"


def _line(finding: Finding) -> str:
    change = finding.change
    breaks = "+".join(change.breaks) or "none"
    head = f"{finding.status.upper():10} {change.rule} {change.path} ({change.role}): {change.old} -> {change.new}"
    detail = f"    breaks {breaks}: {change.why}"
    if finding.status == "allowed":
        detail += f"\n    allowed: {finding.reason}"
    elif change.breaks and finding.status == "compatible":
        detail += f" (policy for {change.service} {change.role}s requires only {'+'.join(finding.required) or 'none'})"
    return f"{head}\n{detail}"
