"""The web app's own Gradio theme: Gradio's default with colours that meet WCAG AA contrast (4.5:1 for text)
in light and dark mode: white on the primary and stop buttons, and the subdued grey of secondary text, which
Gradio's default (orange-500, red-500, neutral-400) fails. Checked by axe-core in tests/test_accessibility.py."""

from __future__ import annotations

import gradio as gr

# The system's own fonts: Gradio's default asks Google Fonts for its typeface, which an app with no network
# never gets; its fallbacks then mixed faces within a word ("Band" with a smaller bold B).
SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "sans-serif")
SYSTEM_MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")


def interviewer_theme() -> gr.themes.Base:
    return gr.themes.Default(
        primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.gray, font=SYSTEM_FONTS, font_mono=SYSTEM_MONO
    ).set(
        button_primary_background_fill="*primary_700",  # white on blue-700: 6.7:1
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_600",  # white on blue-600: 5.2:1
        button_primary_background_fill_hover_dark="*primary_700",
        button_cancel_background_fill="#b91c1c",  # the stop buttons (End interview, Delete): white on red-700
        button_cancel_background_fill_hover="#991b1b",
        button_cancel_background_fill_dark="#b91c1c",
        button_cancel_background_fill_hover_dark="#991b1b",
        body_text_color_subdued="*neutral_600",  # 7.6:1 on white
        body_text_color_subdued_dark="*neutral_300",
        color_accent="*primary_700",
        color_accent_soft_dark="*primary_800",
    )
