"""Which directions each service needs, and the reviewed allow-list: ``[tool.burrow.breaking]``.

[tool.burrow.breaking]
requests = "both"                 # default for every service: both, backward, forward or none
replies = "both"                  # results and declared errors
meaning = "fail"                  # changes of meaning in those directions: fail or warn
hygiene = "fail"                  # e.g. a removed name not reserved: fail or warn

[tool.burrow.breaking.services.cleanup]
replies = "backward"              # e.g. every caller is deployed before the worker

[[tool.burrow.breaking.allow]]    # a deliberate break, reviewed like code
rule = "required-field-added"
path = "cleanup.DeleteFile.owner"
reason = "the queue is drained before this deploy (ticket OPS-12)"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import msgspec
from burrow.codegen._breaking._findings import BOTH, Change, Direction, Role
from burrow.codegen._errors import CodegenError

__all__ = ["Allow", "BreakingConfig", "load_breaking_config"]

Need = Literal["both", "backward", "forward", "none"]
Action = Literal["fail", "warn"]
_NEEDS: dict[Need, tuple[Direction, ...]] = {
    "both": BOTH,
    "backward": ("backward",),
    "forward": ("forward",),
    "none": (),
}


class ServicePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    requests: Need | None = None
    replies: Need | None = None


class Allow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One deliberate break: the rule and path exactly as the checker reports them, and why it is safe."""

    rule: str
    path: str
    reason: str

    def matches(self, change: Change) -> bool:
        return (self.rule, self.path) == (change.rule, change.path)


class BreakingConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    requests: Need = "both"
    replies: Need = "both"
    meaning: Action = "fail"
    hygiene: Action = "fail"
    services: dict[str, ServicePolicy] = {}
    allow: list[Allow] = []

    def required(self, service: str, role: Role) -> tuple[Direction, ...]:
        """The directions the policy requires for one service's requests or replies."""
        own = self.services.get(service, ServicePolicy())
        need = (own.requests or self.requests) if role == "request" else (own.replies or self.replies)
        return _NEEDS[need]

    def allowance(self, change: Change) -> Allow | None:
        return next((entry for entry in self.allow if entry.matches(change)), None)


def load_breaking_config(pyproject: Path | None) -> BreakingConfig:
    """``[tool.burrow.breaking]`` of ``pyproject`` (default ./pyproject.toml); defaults when absent."""
    path = pyproject or Path("pyproject.toml")
    if not path.exists():
        return BreakingConfig()
    with path.open("rb") as file:
        table = tomllib.load(file).get("tool", {}).get("burrow", {}).get("breaking", {})
    try:
        config = msgspec.convert(table, BreakingConfig)
    except msgspec.ValidationError as exc:
        raise CodegenError(f"{path} [tool.burrow.breaking]: {exc}") from exc
    for entry in config.allow:
        if not entry.reason.strip():
            raise CodegenError(f"{path} [tool.burrow.breaking]: allow {entry.rule} {entry.path} needs a reason")
    return config
