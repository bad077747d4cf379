"""What the talk's own pages show, as data and functions that run without Streamlit.

``history`` (deep learning's timeline and the ImageNet error by year, each with its source),
``framework_features`` (what a framework must have, framework by framework), ``mini_demo``
(the Keras workflow, trained live in seconds), ``data_description`` (the active data set's
structure, quantity, origin and quality), ``conclusion`` (Keras vs PyTorch from the runs) and
``processing_pair`` (the same model trained with and without augmentation and balancing).
Command line: ``python -m pipeline.talk table|pair``.
"""
