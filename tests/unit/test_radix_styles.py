"""Only the Radix Themes rules the app can use are loaded (xobito_web/radix_styles.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import reflex as rx

from xobito_web.migrations import PROJECT_ROOT
from xobito_web.radix_styles import (
    ACCENT,
    ACCENT_SCALES,
    BREAKPOINTS,
    GRAY_SCALES,
    TRIM_PLUGIN,
    USED_COMPONENTS,
    RadixComponentUsed,
    UsedRadixThemes,
    trim_plugin_source,
    with_trim_plugin,
)

# Radix Themes 3.x colour scales (tokens/colors/*.css).
RADIX_COLORS = [
    "gray",
    "mauve",
    "slate",
    "sage",
    "olive",
    "sand",
    "tomato",
    "red",
    "ruby",
    "crimson",
    "pink",
    "plum",
    "purple",
    "violet",
    "iris",
    "indigo",
    "blue",
    "cyan",
    "teal",
    "jade",
    "green",
    "grass",
    "brown",
    "orange",
    "sky",
    "mint",
    "lime",
    "yellow",
    "amber",
    "gold",
    "bronze",
]


def colours_named_by_the_app() -> set[str]:
    """Colour names quoted in the app's Python (color_scheme=, badge colours, data-accent-color)
    and the scales its stylesheets read (var(--amber-9))."""
    named: set[str] = set()
    for path in (PROJECT_ROOT / "xobito_web").rglob("*.py"):
        if path.name == "radix_styles.py":
            continue
        source = path.read_text()
        named |= {colour for colour in RADIX_COLORS if re.search(rf"[\"']{colour}[\"']", source)}
    for path in (PROJECT_ROOT / "assets").rglob("*.css"):
        named |= set(re.findall(r"var\(--([a-z]+)-a?\d+\)", path.read_text())) & set(RADIX_COLORS)
    return named


def test_every_colour_the_app_names_is_loaded():
    named = colours_named_by_the_app()
    assert {"red", "gray", "amber"} <= named  # the scan finds what the pages use
    assert named - {*GRAY_SCALES, *ACCENT_SCALES} == set()


def test_the_stylesheets_are_the_scales_then_the_base_then_components_and_utilities():
    sheets = UsedRadixThemes().get_stylesheet_paths()
    assert sheets[-3:] == (
        "@radix-ui/themes/tokens/base.css",
        "@radix-ui/themes/components.css",
        "@radix-ui/themes/utilities.css",
    )
    scales = {sheet.rsplit("/", 1)[1].removesuffix(".css") for sheet in sheets[:-3]}
    assert scales == {*GRAY_SCALES, *ACCENT_SCALES}
    assert ACCENT in scales and "slate" in scales  # slate: Radix's grey for an indigo accent
    assert "@radix-ui/themes/styles.css" not in sheets


def app_sources() -> list[tuple[str, str]]:
    """The app's Python (but this list's own module) and its stylesheets."""
    paths = [path for path in (PROJECT_ROOT / "xobito_web").rglob("*.py") if path.name != "radix_styles.py"]
    paths += list((PROJECT_ROOT / "assets").rglob("*.css"))
    return [(str(path.relative_to(PROJECT_ROOT)), path.read_text()) for path in paths]


def test_the_kept_components_are_exactly_those_the_app_draws():
    """A class such as `rt-SelectTrigger` in the sources keeps its component's rules; a component
    no source names any more is dropped from the list (and its rules from the stylesheet)."""
    named = {name for _, source in app_sources() for name in re.findall(r"\brt-([A-Z][A-Za-z]*)", source)}
    assert {"Button", "TableCell", "CalloutRoot"} <= named  # the scan finds what the pages draw
    assert named == set(USED_COMPONENTS)


def test_no_page_uses_a_radix_themes_component():
    """Its JavaScript would come back onto every page: the build refuses it."""
    with pytest.raises(RadixComponentUsed):
        UsedRadixThemes().enter_component(rx.button("Send"))
    UsedRadixThemes().enter_component(rx.el.button("Send"))  # plain elements are what pages use


def test_no_page_passes_a_responsive_prop():
    """Breakpoint rules (`md:rt-r-size-2`) are dropped: a responsive prop would have no style."""
    found = [
        where
        for where, source in app_sources()
        if re.search(r"rx\.breakpoints\(|[\"'](?:initial|xs|sm|md|lg|xl)[\"']\s*:", source)
    ]
    assert found == []


def test_postcss_runs_the_trim_after_inlining_the_imports_once():
    reflex_config = 'export default {\n  plugins: {\n    "postcss-import": {},\n    autoprefixer: {},\n  },\n};\n'
    trimmed = with_trim_plugin(reflex_config)
    lines = [line.strip() for line in trimmed.splitlines()]
    assert lines.index(f'"./{TRIM_PLUGIN}": {{}},') == lines.index('"postcss-import": {},') + 1
    assert with_trim_plugin(trimmed) == trimmed  # compiled again: not added twice
    with pytest.raises(RuntimeError):
        with_trim_plugin("export default { plugins: {} };")


def test_the_trim_step_names_every_breakpoint_and_kept_component():
    source = trim_plugin_source()
    assert f"const BREAKPOINTS = {json.dumps(BREAKPOINTS)};" in source
    assert f"const USED = {json.dumps(USED_COMPONENTS)};" in source
    assert (Path(TRIM_PLUGIN), source) in UsedRadixThemes().get_static_assets()
