"""Figures drawn the same way on several pages, written once: they take records and return
Plotly figures, and never read Streamlit's state."""
