"""What several test folders share: the tiny training settings (configs), tiny runs (runs),
Home in AppTest in a fresh Python (apptest), ``python -m pipeline.evaluate`` (cli), fault tools
(faults), hostile files, image trees, a fake Keras MNIST file (mnist), twin models (models),
blocked imports.

Test files import from here, never from each other.
"""
