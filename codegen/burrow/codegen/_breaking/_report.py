"""Judge changes against the policy and allow-list, and render the result as text or JSON.

A finding fails the check when it is a break or a change of meaning in a
direction the policy requires (``meaning = "warn"`` makes the latter a
warning), or a hygiene finding while ``hygiene = "fail"``, unless the
allow-list names it.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from burrow.codegen._breaking._findings import Category, Change, Direction, Witness
from burrow.codegen._breaking._policy import Allow, BreakingConfig

__all__ = ["Finding", "Report", "judge", "render_json", "render_text"]

Status = Literal["breaking", "allowed", "warning", "compatible"]


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
        """The findings that fail the check."""
        return [f for f in self.findings if f.status == "breaking"]


def judge(changes: list[Change], config: BreakingConfig, *, old: str, new: str) -> Report:
    findings, used = [], set()
    for change in changes:
        required = config.required(change.service, change.role)
        entry = config.allowance(change)
        status = _status(change, config, required)
        if status == "breaking" and entry is not None:
            used.add((entry.rule, entry.path))
            findings.append(Finding(change=change, status="allowed", required=required, reason=entry.reason))
        else:
            findings.append(Finding(change=change, status=status, required=required))
    unused = [entry for entry in config.allow if (entry.rule, entry.path) not in used]
    return Report(old=old, new=new, findings=findings, unused_allow=unused)


def _status(change: Change, config: BreakingConfig, required: tuple[Direction, ...]) -> Status:
    if set(change.breaks) & set(required):
        return "breaking"
    if set(change.meaning) & set(required):
        return "breaking" if config.meaning == "fail" else "warning"
    if change.category == "hygiene":
        return "breaking" if config.hygiene == "fail" else "warning"
    return "compatible"


def render_json(report: Report) -> bytes:
    findings = [
        {
            **{k: v for k, v in msgspec.structs.asdict(f.change).items() if k != "scope"},
            "category": f.change.category,
            "status": f.status,
            "required": f.required,
            "reason": f.reason,
        }
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


_LABELS: dict[Category, str] = {"breaking": "breaking", "meaning": "changing meaning", "hygiene": "hygiene"}


def render_text(report: Report, *, explain: bool = False) -> str:
    lines = [_line(f, explain=explain) for f in report.findings]
    for entry in report.unused_allow:
        lines.append(f"note: allow {entry.rule} {entry.path} matches no change: remove it from [tool.burrow.breaking]")
    counts: dict[str, int] = {
        label: sum(f.status == "breaking" and f.change.category == category for f in report.findings)
        for category, label in _LABELS.items()
    }
    for status, label in (("allowed", "allowed"), ("warning", "warnings"), ("compatible", "compatible")):
        counts[label] = sum(f.status == status for f in report.findings)
    summary = ", ".join(f"{n} {label}" for label, n in counts.items())
    lines.append(f"burrow contracts breaking: {report.old} -> {report.new}: {summary}")
    if report.breaking:
        lines.append(
            "A break ships under a new contract name (a version suffix: <contract>.v2) served next to the old one; "
            "a deliberate, reviewed break goes in [[tool.burrow.breaking.allow]] with its rule, path and reason."
        )
    return "\n".join(lines) + "\n"


def _line(finding: Finding, *, explain: bool) -> str:
    change = finding.change
    label = {"breaking": change.category.upper(), "allowed": "ALLOWED", "warning": "WARNING"}.get(
        finding.status, "COMPATIBLE"
    )
    head = f"{label:10} {change.rule} {change.path} ({change.role}): {change.old} -> {change.new}"
    detail = f"    {_effects(change)}: {change.why}"
    if finding.status == "allowed":
        detail += f"\n    allowed: {finding.reason}"
    elif change.affected and finding.status == "compatible":
        detail += f" (policy for {change.service} {change.role}s requires only {'+'.join(finding.required) or 'none'})"
    elif finding.status == "warning":
        detail += f' ({change.category} = "warn" in [tool.burrow.breaking])'
    for witness in change.witnesses:
        if witness.direction in change.possible:
            detail += f"\n    {witness.direction} possible, not demonstrated: {witness.error}"
        elif explain:
            detail += "\n" + _explain(witness)
    return f"{head}\n{detail}"


def _effects(change: Change) -> str:
    if change.category == "hygiene":
        return "hygiene"
    parts = []
    if change.breaks:
        parts.append(f"breaks {'+'.join(change.breaks)}")
    if change.meaning:
        parts.append(f"changes meaning {'+'.join(change.meaning)}")
    return ", ".join(parts) or "breaks none"


def _explain(witness: Witness) -> str:
    writer, reader = ("an old", "the new") if witness.direction == "backward" else ("a new", "an old")
    shown = witness.message if witness.codec != "msgpack" else f"{witness.message} (MessagePack, hex) = {witness.sent}"
    lines = [f"    {witness.direction} witness, {writer} writer sends ({witness.codec or 'json'}): {shown}"]
    if witness.error:
        lines.append(f"        {reader} reader refuses it: {witness.error}")
        if witness.first:
            lines.append(f"        (msgspec reports another field's error first: {witness.first})")
    else:
        lines.append(f"        {reader} reader reads {witness.read} (sent {witness.sent})")
        if witness.first:
            lines.append(f"        (once another field's error is fixed: {witness.first})")
    return "\n".join(lines)
