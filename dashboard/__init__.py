"""The Streamlit app: Home.py (the entry file), views/ (one file per page), ui/ (what pages share)."""
