"""PneumoLab pipeline: data, augmentation, training, evaluation and explanation.

Importable and runnable without Streamlit; every module with a command line is
run as ``python -m pipeline.<module>``.
"""
