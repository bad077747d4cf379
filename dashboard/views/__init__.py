"""The pages: thin scripts that ``Home.py`` runs through ``st.navigation`` (dashboard/app/pages.py)."""
