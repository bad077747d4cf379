"""Browser tests: the real app in a real Chromium (see streamlit_app.py for the shared helpers)."""
