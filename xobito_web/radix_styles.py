"""Radix Themes' stylesheet, only the rules the app can use, and none of its JavaScript.

`rx.plugins.RadixThemesPlugin` imports `@radix-ui/themes/styles.css` (812 KB) on every page:
every one of its 31 colour scales, every component, and each component and utility class again
for each of five breakpoints (`xs:rt-r-size-2` … `xl:…`, what responsive props such as
`size={"initial": "1", "md": "2"}` produce), and it puts the whole Radix Themes library
(≈ 480 KB of JavaScript) into the root of every page with its <Theme> component. The app's pages
are plain elements carrying Radix's class names (components/ui.py), so this plugin loads instead:

- only the colour scales the app names (its accent indigo; slate, the grey the Theme pairs with
  indigo when gray_color is "auto"; plain gray; the badge, callout and button colours), then the
  tokens' base, the components and the utilities, in the order styles.css has them;
- without the breakpoint-prefixed rules (the app passes no responsive props), with only the
  rules of USED_COMPONENTS, only the utility, size and variant classes the compiled pages name
  (read from the web directory, like Tailwind's content scan; RUNTIME_VARIANTS always), and only
  the accent colours loaded: a PostCSS step (`postcss-radix-trim.js`, written into the web
  directory and added to its postcss.config.js) drops the rest when Vite builds the stylesheet;
- around the app, the element <Theme> would render (`theme_root`), and no Radix JavaScript: a
  Radix Themes component in a page stops the build (`RadixComponentUsed`).

Using a colour not in ACCENT_SCALES, a responsive prop, or a component class not in
USED_COMPONENTS would show it unstyled: tests/unit/test_radix_styles.py checks the app's sources
against these lists.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import reflex as rx
from reflex_base.components.component import BaseComponent
from reflex_base.constants import Dirs
from reflex_components_radix.plugin import RadixThemesPlugin
from reflex_components_radix.themes.base import RadixThemesComponent

THEMES = "@radix-ui/themes"
ACCENT = "indigo"
GRAY_SCALES = ("gray", "slate")  # slate: the Theme's automatic grey for indigo
ACCENT_SCALES = ("amber", "blue", "green", "indigo", "orange", "red")
BREAKPOINTS = ("xs", "sm", "md", "lg", "xl")
# The Radix Themes components whose classes the app's elements carry (components/ui.py, the
# pages, assets/styles.css): the rules of every other component (dialogs, menus, selects' popups,
# Radix's own checkbox and switch, …) are dropped. tests/unit/test_radix_styles.py checks this list
# against the sources both ways.
USED_COMPONENTS = (
    "Badge",
    "BaseButton",
    "BaseCard",
    "Box",
    "Button",
    "CalloutIcon",
    "CalloutRoot",
    "CalloutText",
    "Card",
    "DataListItem",
    "DataListLabel",
    "DataListRoot",
    "DataListValue",
    "Flex",
    "Heading",
    "IconButton",
    "Link",
    "SelectTrigger",
    "Spinner",
    "SpinnerLeaf",
    "Strong",
    "TableBody",
    "TableCell",
    "TableColumnHeaderCell",
    "TableHeader",
    "TableRoot",
    "TableRootTable",
    "TableRow",
    "TableRowHeaderCell",
    "Text",
    "TextAreaInput",
    "TextAreaRoot",
    "TextFieldInput",
    "TextFieldRoot",
)
# Variants the pages may choose at run time (a badge's or button's variant from the state), so the
# scan of the compiled pages below cannot see them.
RUNTIME_VARIANTS = (
    "rt-variant-solid",
    "rt-variant-soft",
    "rt-variant-surface",
    "rt-variant-outline",
    "rt-variant-ghost",
)
# The compiled pages and components (in the web directory) whose class names the trim reads.
COMPILED_SOURCES = ("app", "app_components", "components", "utils")
TRIM_PLUGIN = "postcss-radix-trim.js"

_TRIM_SOURCE = r"""
// Written by xobito_web/radix_styles.py: drops the Radix Themes rules the app cannot use.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WEB_DIR = dirname(fileURLToPath(import.meta.url));
const BREAKPOINT_CLASS = new RegExp(String.raw`\.(?:${BREAKPOINTS.join("|")})\\:`);
const COMPONENT_CLASS = /\.rt-([A-Z][A-Za-z]*)/g;
const MODIFIER_CLASS = /\.(rt-(?:r|variant)-[A-Za-z0-9-]+)/g;
const ACCENT_COLOR = /\[data-accent-color=["']?([a-z]+)["']?\]/g;
const USED_SET = new Set(USED);
const SCALE_SET = new Set(SCALES);

// The modifier classes (rt-r-size-2, rt-r-gap-3, rt-variant-soft, …) the compiled pages name:
// a utility or a component's size or variant that no page names is never matched.
function namedModifiers() {
  const named = new Set(RUNTIME_VARIANTS);
  const visit = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.jsx?$/.test(entry.name)) {
        for (const match of readFileSync(path, "utf8").matchAll(/rt-(?:r|variant)-[A-Za-z0-9-]+/g)) named.add(match[0]);
      }
    }
  };
  for (const dir of COMPILED_SOURCES) visit(join(WEB_DIR, dir));
  return named;
}

function unusableBy(modifiers) {
  return (selector) =>
    BREAKPOINT_CLASS.test(selector) ||
    [...selector.matchAll(COMPONENT_CLASS)].some((match) => !USED_SET.has(match[1])) ||
    [...selector.matchAll(MODIFIER_CLASS)].some((match) => !modifiers.has(match[1])) ||
    [...selector.matchAll(ACCENT_COLOR)].some((match) => !SCALE_SET.has(match[1]));
}

function dropEmpty(container) {
  container.each((node) => {
    if (node.type === "atrule" && node.nodes) {
      dropEmpty(node);
      if (node.nodes.length === 0) node.remove();
    }
  });
}

const trim = () => ({
  postcssPlugin: "xobito-radix-trim",
  OnceExit(root) {
    const unusable = unusableBy(namedModifiers());
    root.walkRules((rule) => {
      if (rule.parent.type === "atrule" && /keyframes$/.test(rule.parent.name)) return;
      const kept = rule.selectors.filter((selector) => !unusable(selector));
      if (kept.length === 0) rule.remove();
      else if (kept.length < rule.selectors.length) rule.selectors = kept;
    });
    dropEmpty(root);
  },
});
trim.postcss = true;
export default trim;
"""


def trim_plugin_source() -> str:
    constants = {
        "BREAKPOINTS": BREAKPOINTS,
        "USED": USED_COMPONENTS,
        "SCALES": (*GRAY_SCALES, *ACCENT_SCALES),
        "RUNTIME_VARIANTS": RUNTIME_VARIANTS,
        "COMPILED_SOURCES": COMPILED_SOURCES,
    }
    declarations = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in constants.items())
    # import declarations must come first in a module
    imports, body = _TRIM_SOURCE.lstrip().split("\n\n", 1)
    return f"{imports}\n\n{declarations}{body}"


def with_trim_plugin(postcss_config: str) -> str:
    """postcss.config.js with the trim step right after postcss-import (which inlines Radix's files)."""
    if TRIM_PLUGIN in postcss_config:
        return postcss_config
    anchor = '"postcss-import": {},'
    if anchor not in postcss_config:
        raise RuntimeError(f"{Dirs.POSTCSS_JS} has no {anchor} line to put the Radix trim after:\n{postcss_config}")
    return postcss_config.replace(anchor, f'{anchor}\n    "./{TRIM_PLUGIN}": {{}},', 1)


GRAY = "slate"


def theme_root() -> rx.Component:
    """What Radix's <Theme> renders around the app (the element its tokens and components are
    styled under), as a plain element: the app uses Radix Themes' stylesheet and none of its
    JavaScript (components/ui.py)."""
    return rx.el.div(
        class_name="radix-themes",
        custom_attrs={
            "data-is-root-theme": "true",
            "data-accent-color": ACCENT,
            "data-gray-color": GRAY,
            "data-has-background": "true",
            # Solid, not Radix's default translucent: a translucent panel blurs what lies behind it
            # (backdrop-filter: blur(64px) on every card), one composited blur per message, which
            # cost 11-16 ms of every reload of a list or a thread (issue 17). The page behind the
            # panels is a plain colour, so they look the same.
            "data-panel-background": "solid",
            "data-radius": "medium",
            "data-scaling": "100%",
        },
    )


class RadixComponentUsed(RuntimeError):
    """A page uses a Radix Themes component: its JavaScript would come back onto every page."""


@dataclasses.dataclass
class UsedRadixThemes(RadixThemesPlugin):
    """Radix Themes' stylesheet (trimmed) under a plain theme element; no Radix JavaScript."""

    theme: rx.Component | None = dataclasses.field(default_factory=theme_root)

    def get_frontend_dependencies(self, **context: Any) -> tuple[str, ...]:
        # Installed for its stylesheet (rxconfig's frontend_packages), but not registered as a
        # bundled library: Reflex imports every bundled library whole into the root of every page.
        return ()

    def enter_component(self, comp: BaseComponent, /, **context: Any) -> None:
        if isinstance(comp, RadixThemesComponent):
            raise RadixComponentUsed(
                f"{type(comp).__name__} is a Radix Themes component; use components/ui.py "
                "(plain elements with Radix's classes) so no page loads Radix Themes' JavaScript"
            )

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        scales = (*GRAY_SCALES, *ACCENT_SCALES)
        return (
            *(f"{THEMES}/tokens/colors/{name}.css" for name in scales),
            f"{THEMES}/tokens/base.css",
            f"{THEMES}/components.css",
            f"{THEMES}/utilities.css",
        )

    def get_static_assets(self, **context: Any) -> list[tuple[Path, str]]:
        return [(Path(TRIM_PLUGIN), trim_plugin_source())]

    def pre_compile(self, **context: Any) -> None:
        super().pre_compile(**context)
        context["add_modify_task"](Dirs.POSTCSS_JS, with_trim_plugin)
