"""The app's one framework colour and one line style per split, used by every figure and page."""

FRAMEWORK_COLOURS = {"keras": "#d1495b", "torch": "#3b75af"}  # Keras red, PyTorch blue
SPLIT_DASH = {"train": "dash", "val": "solid"}  # training curves dashed, validation solid
