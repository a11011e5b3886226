"""Radix Themes with only the stylesheet rules the app can use.

`rx.plugins.RadixThemesPlugin` imports `@radix-ui/themes/styles.css` (812 KB) on every page:
every one of its 31 colour scales, every component, and each component and utility class again
for each of five breakpoints (`xs:rt-r-size-2` … `xl:…`, what responsive props such as
`size={"initial": "1", "md": "2"}` produce). Parsing and matching it took a cold ticket list
≈ 80 ms of the main thread. This plugin keeps Radix Themes and its theme, and loads instead:

- only the colour scales the app names (its accent indigo; slate, the grey the Theme pairs with
  indigo when gray_color is "auto"; plain gray; the badge, callout and button colours), then the
  tokens' base, the components and the utilities, in the order styles.css has them;
- without the breakpoint-prefixed rules (the app passes no responsive props) and without the
  rules of components the app never renders (UNUSED_COMPONENTS): a PostCSS step
  (`postcss-radix-trim.js`, written into the web directory and added to its postcss.config.js)
  drops them when Vite builds the stylesheet.

Using a colour not in ACCENT_SCALES, a responsive prop, or one of UNUSED_COMPONENTS would show
it unstyled: tests/unit/test_radix_styles.py checks the app's sources against these lists.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from reflex_base.constants import Dirs
from reflex_components_radix.plugin import RadixThemesPlugin

THEMES = "@radix-ui/themes"
ACCENT = "indigo"
GRAY_SCALES = ("gray", "slate")  # slate: the Theme's automatic grey for indigo
ACCENT_SCALES = ("amber", "blue", "green", "indigo", "orange", "red")
BREAKPOINTS = ("xs", "sm", "md", "lg", "xl")
# Radix Themes components (class name prefixes) that no page renders, nor any component that a
# page renders uses inside (Select's content uses ScrollArea, so that one stays). A page that starts
# using one takes it out of this list (tests/unit/test_radix_styles.py names the rx functions).
UNUSED_COMPONENTS = (
    "Avatar",
    "Blockquote",
    "CheckboxCard",  # CheckboxCards…, CheckboxCardCheckbox
    "CheckboxGroup",
    "Code",
    "Container",
    "ContextMenu",
    "DropdownMenu",
    "BaseMenu",  # DropdownMenu and ContextMenu
    "Em",
    "Grid",
    "HoverCard",
    "Inset",
    "Kbd",
    "PopoverContent",
    "Quote",
    "RadioCards",
    "RadioGroup",
    "BaseRadio",  # RadioGroup, RadioCards, Radio
    "Section",
    "Separator",
    "Skeleton",
    "Slider",
    "TabNav",
    "Tabs",
    "BaseTabList",  # Tabs and TabNav
    "ThemePanel",
    "Tooltip",
)
TRIM_PLUGIN = "postcss-radix-trim.js"

_TRIM_SOURCE = """\
// Written by xobito_web/radix_styles.py: drops the Radix Themes rules the app cannot use.
const BREAKPOINT_CLASS = new RegExp(String.raw`\\.(?:${BREAKPOINTS.join("|")})\\\\:`);
const UNUSED_CLASS = new RegExp(String.raw`\\.rt-(?:${UNUSED.join("|")})`);
const unusable = (selector) => BREAKPOINT_CLASS.test(selector) || UNUSED_CLASS.test(selector);

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
    constants = f"const BREAKPOINTS = {json.dumps(BREAKPOINTS)};\nconst UNUSED = {json.dumps(UNUSED_COMPONENTS)};\n"
    return constants + _TRIM_SOURCE


def with_trim_plugin(postcss_config: str) -> str:
    """postcss.config.js with the trim step right after postcss-import (which inlines Radix's files)."""
    if TRIM_PLUGIN in postcss_config:
        return postcss_config
    anchor = '"postcss-import": {},'
    if anchor not in postcss_config:
        raise RuntimeError(f"{Dirs.POSTCSS_JS} has no {anchor} line to put the Radix trim after:\n{postcss_config}")
    return postcss_config.replace(anchor, f'{anchor}\n    "./{TRIM_PLUGIN}": {{}},', 1)


@dataclasses.dataclass
class UsedRadixThemes(RadixThemesPlugin):
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
