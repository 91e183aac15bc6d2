"""The web app: `python app.py` serves it on 127.0.0.1 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)."""

from interviewer.ui import build_app, launch

demo = build_app()

if __name__ == "__main__":
    launch(demo)
