"""The Gradio web app: a thin client of the `Assistant` facade."""

import assistant.config  # noqa: F401  (analytics and telemetry off before any ui module imports gradio)
