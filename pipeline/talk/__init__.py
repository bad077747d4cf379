"""What the talk's own pages show, as data and functions that run without Streamlit.

``history`` (deep learning's timeline and the ImageNet error by year, each with its source),
``perceptron`` (Rosenblatt's learning rule on 2-D points, and XOR), ``gradients`` (sigmoid
against ReLU gradients through depth), ``framework_features`` (what a framework must have,
framework by framework), ``software_table`` (the comparison table of deep-learning software,
each cell with its source), ``popularity`` (published framework counts, with who counted
them), ``mini_demo`` (the Keras workflow, trained live in seconds), ``data_description`` (the
active data set's structure, quantity, origin and quality), ``pipelines`` (the Keras and
PyTorch pipelines' steps on the active data), ``conclusion`` (Keras vs PyTorch from the runs),
``processing_pair`` (the same model trained with and without augmentation and balancing),
``nutshell`` (the pair's measured effect, as the talk's summary slide) and ``notes`` (speaker
notes computed from each page's data). Issue 20's slides: ``outline`` (the title, agenda and
closing), ``mlp`` (an MLP learning XOR, in NumPy), ``dlbench`` (DLBench's figure and its CPU
MNIST comparison, with sources), ``mnist_example`` (the talk's MNIST code and log, run with and
without its fault), ``architecture`` (the MODEL slide from the two built models),
``talk_report`` (the talk's evaluation report beside a measured one), ``talk_bullets`` (its
conclusion bullets beside the measurements), ``kermany`` (the data set's published counts) and
``origins`` (which values the slides give and which are the app's).
Command line: ``python -m pipeline.talk table|pair|slides``.
"""
