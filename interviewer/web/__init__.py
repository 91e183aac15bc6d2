"""The Gradio web app: `layout` (components), `handlers` (one method per event, returning view models),
`view` (view models -> Gradio updates), `app` (wiring and launch)."""
