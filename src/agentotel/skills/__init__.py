"""Skills: small, focused methods that teach a coding agent to use agentotel's traces.

``agentotel skills install`` writes them where agents look for them (Claude Code's
``.claude/skills``, an ``AGENTS.md`` section, Cursor rules, or any folder).
"""

from __future__ import annotations

from agentotel.skills.catalog import Skill, load, skills
from agentotel.skills.install import TARGETS, install

__all__ = ["TARGETS", "Skill", "install", "load", "skills"]
