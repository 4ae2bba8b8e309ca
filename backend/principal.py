"""Who is acting: a signed-in person, a service token, the system itself, or nobody yet."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    kind: str                      # "user" | "service" | "system" | "anonymous"
    id: str | None = None
    name: str | None = None
    role: str | None = None        # users only: "admin" | "member"
    scopes: frozenset = field(default_factory=frozenset)  # service tokens only
    ip: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == "admin"


def anonymous(ip: str | None = None) -> Principal:
    return Principal("anonymous", ip=ip)


def system(name: str = "system") -> Principal:
    return Principal("system", name=name)
