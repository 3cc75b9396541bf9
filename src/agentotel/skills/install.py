"""Write the skills where coding agents read them.

- ``claude``: ``.claude/skills/<name>/SKILL.md`` (Claude Code's skill format);
- ``agents``: the skills under ``.agentotel/skills/`` plus one marked section in
  ``AGENTS.md`` that lists them (replaced in place on reinstall, the rest of the file kept);
- ``cursor``: ``.cursor/rules/<name>.mdc`` rules that the agent pulls in by description;
- ``dir``: ``<dir>/<name>/SKILL.md`` under any folder.
"""

from __future__ import annotations

from pathlib import Path

from agentotel.skills.catalog import Skill, skills

TARGETS = ("claude", "agents", "cursor", "dir")
BEGIN = "<!-- agentotel skills: begin (written by `agentotel skills install`) -->"
END = "<!-- agentotel skills: end -->"


def _write(path: Path, text: str, force: bool, written: list[Path]) -> None:
    if path.exists() and not force and path.read_text(encoding="utf-8") != text:
        raise FileExistsError(f"{path} exists and differs (use --force to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def _agents_section(chosen: list[Skill], folder: str) -> str:
    lines = [
        BEGIN,
        "## Runtime traces (agentotel)",
        "",
        "This project records its agent runs with agentotel (`agentotel traces`, `agentotel "
        "show`, `agentotel eval`). Before changing agent code, read the matching method:",
        "",
    ]
    lines += [f"- `{folder}/{s.slug}.md`: {s.description}" for s in chosen]
    lines += [END, ""]
    return "\n".join(lines)


def _merge_section(existing: str, section: str) -> str:
    start, end = existing.find(BEGIN), existing.find(END)
    if start >= 0 and end > start:
        return existing[:start] + section.rstrip("\n") + existing[end + len(END) :]
    sep = (
        ""
        if not existing or existing.endswith("\n\n")
        else ("\n" if existing.endswith("\n") else "\n\n")
    )
    return existing + sep + section


def install(
    target: str = "claude",
    root: str | Path = ".",
    names: list[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the skills (all, or ``names``) for ``target`` under ``root``; returns the files."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
    chosen = [s for s in skills() if not names or s.slug in names or s.name in names]
    missing = set(names or ()) - {s.slug for s in chosen} - {s.name for s in chosen}
    if missing:
        raise LookupError(f"no skill {sorted(missing)[0]!r}")
    base = Path(root)
    written: list[Path] = []
    for skill in chosen:
        if target == "claude":
            _write(
                base / ".claude" / "skills" / skill.name / "SKILL.md", skill.text, force, written
            )
        elif target == "dir":
            _write(base / skill.name / "SKILL.md", skill.text, force, written)
        elif target == "cursor":
            rule = f"---\ndescription: {skill.description}\nalwaysApply: false\n---\n{skill.body}"
            _write(base / ".cursor" / "rules" / f"{skill.name}.mdc", rule, force, written)
        else:
            _write(base / ".agentotel" / "skills" / f"{skill.slug}.md", skill.text, force, written)
    if target == "agents":
        agents = base / "AGENTS.md"
        existing = agents.read_text(encoding="utf-8") if agents.exists() else ""
        agents.write_text(
            _merge_section(existing, _agents_section(chosen, ".agentotel/skills")), encoding="utf-8"
        )
        written.append(agents)
    return written
