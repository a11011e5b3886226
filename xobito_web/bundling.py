"""Fewer script files on a first visit: the icon set and the composer's small library in one chunk.

Vite (Rolldown) gives every icon (`lucide-react`: one file each, plus their common helper) and
the debounced input's library a chunk of its own, a few hundred bytes each: a first visit to a
thread asked for 16 files, where an empty Reflex page asks for 11. Over HTTP/1.1 (six connections)
each extra file waits for a free connection, so the page's own code arrived last (issue 17,
bench/floor.py). One chunk holds them all; a page that needs none of them does not load it.
"""

from __future__ import annotations

from typing import Any

from reflex.plugins import Plugin
from reflex_base.constants import ReactRouter

CHUNK = "ui-libs"
PACKAGES = ("lucide-react", "react-debounce-input", "lodash.debounce")
_GROUPS = "groups: ["


def _group() -> str:
    names = "|".join(name.replace(".", r"\.") for name in PACKAGES)
    return f'{{ test: /[\\\\/]node_modules[\\\\/]({names})[\\\\/]/, name: "{CHUNK}" }},'


def with_ui_libs_chunk(vite_config: str) -> str:
    """vite.config.js with one code-splitting group for PACKAGES (Reflex's own groups kept)."""
    if f'name: "{CHUNK}"' in vite_config:
        return vite_config
    if vite_config.count(_GROUPS) != 1:
        raise RuntimeError(f"{ReactRouter.VITE_CONFIG_FILE} has no single `{_GROUPS}` to add the {CHUNK} chunk to")
    return vite_config.replace(_GROUPS, f"{_GROUPS}\n            {_group()}", 1)


class FewerChunks(Plugin):
    """Adds the chunk group to the generated vite.config.js on every compile."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](ReactRouter.VITE_CONFIG_FILE, with_ui_libs_chunk)
