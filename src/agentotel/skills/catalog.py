"""The skills agentotel ships, read from the package's ``library/`` folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_COMMAND = re.compile(r"^\s*(agentotel\s.*?)\s*$", re.M)
_FENCE = re.compile(r"```sh\n(.*?)```", re.S)


@dataclass(frozen=True)
class Skill:
    """One skill: its name and one-line description (front matter) and its markdown body."""

    name: str
    description: str
    body: str
    slug: str

    @property
    def text(self) -> str:
        """The whole file: front matter and body, as Claude Code's SKILL.md expects."""
        return f"---\nname: {self.name}\ndescription: {self.description}\n---\n{self.body}"

    def commands(self) -> list[str]:
        """Every ``agentotel`` command the skill shows in a ``sh`` block, in order."""
        return [m.group(1) for block in _FENCE.findall(self.body) for m in _COMMAND.finditer(block)]


def _parse(slug: str, text: str) -> Skill:
    front = _FRONT.match(text)
    if front is None:
        raise ValueError(f"skill {slug} has no front matter")
    fields = dict(line.split(":", 1) for line in front.group(1).splitlines() if ":" in line)
    return Skill(
        name=fields["name"].strip(),
        description=fields["description"].strip(),
        body=text[front.end() :],
        slug=slug,
    )


def skills() -> list[Skill]:
    """Every shipped skill, by file name."""
    folder = resources.files("agentotel.skills").joinpath("library")
    found = [
        _parse(entry.name[: -len(".md")], entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".md")
    ]
    return sorted(found, key=lambda s: s.slug)


def load(name: str) -> Skill:
    """One skill by its slug (``find-tool-loop``) or full name (``agentotel-find-tool-loop``)."""
    for skill in skills():
        if name in (skill.slug, skill.name):
            return skill
    known = ", ".join(s.slug for s in skills())
    raise LookupError(f"no skill {name!r} (skills: {known})")
