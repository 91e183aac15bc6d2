"""The Gradio web app: `layout` (components), `handlers` (one method per event, returning view models),
`view` (view models -> Gradio updates), `app` (wiring and launch)."""

from .private import keep_gradio_files_private

keep_gradio_files_private()  # before any module of the package imports Gradio, which reads it once
