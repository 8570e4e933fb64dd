"""The Gradio web app: a thin client of the `Assistant` facade."""
