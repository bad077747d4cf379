"""Every Streamlit cache of the app, at the boundary with ``pipeline/``: data and scores with
``st.cache_data``, models and shipped runs with ``st.cache_resource``. The warm-up fills
these same caches, so a page never recomputes what it warmed."""
