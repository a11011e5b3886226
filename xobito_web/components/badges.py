"""Status and priority badges: the same colours everywhere; Urgent and High stand out."""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui

STATUS_COLORS = {"open": "blue", "answered": "green", "closed": "gray"}
PRIORITY_COLORS = {"low": "gray", "medium": "blue", "high": "orange", "urgent": "red"}


def status_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    return ui.badge(label, color=rx.match(status, *STATUS_COLORS.items(), "gray"))


def priority_badge(priority: rx.Var, label: rx.Var) -> rx.Component:
    return ui.badge(
        ui.when(priority == "urgent", rx.icon("flame", size=12)),
        ui.when(priority == "high", rx.icon("arrow-up", size=12)),
        label,
        color=rx.match(priority, *PRIORITY_COLORS.items(), "gray"),
        variant=rx.cond((priority == "urgent") | (priority == "high"), "solid", "soft"),
    )
