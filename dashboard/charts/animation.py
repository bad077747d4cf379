"""The play button and the frame slider of an animated Plotly figure, written once.

    figure.update_layout(**play_controls(labels, frame_ms=120, slider_x=0.18))

Used by the perceptron's and the MLP's learning slides: the slider starts on the last frame
(the learned boundary), its current label says which epoch is shown, and ▶ replays the learning.
Their two classes of points are drawn by ``class_points``, in one pair of colours.
"""

from __future__ import annotations

CLASS_COLOURS = {-1: "#3b75af", 1: "#d1495b"}  # the slides' classes -1 and +1


def class_points(figure, x, y, size: int, showlegend: bool = True) -> None:
    """The 2-D points ``x`` of labels ``y`` (-1 or +1), one scatter per class."""
    for label, name in ((-1, "class -1"), (1, "class +1")):
        mask = y == label
        figure.add_scatter(
            x=x[mask, 0],
            y=x[mask, 1],
            mode="markers",
            name=name,
            showlegend=showlegend,
            marker=dict(size=size, color=CLASS_COLOURS[label], line=dict(width=1, color="white")),
        )


def play_controls(labels: list[str], frame_ms: int, slider_x: float) -> dict:
    """``updatemenus`` and ``sliders`` for a figure whose frames are named by ``labels``."""
    play = dict(
        label="▶ Play",
        method="animate",
        args=[labels, dict(frame=dict(duration=frame_ms, redraw=True), mode="immediate")],
    )
    steps = [
        dict(
            method="animate",
            label=label,
            args=[[label], dict(mode="immediate", frame=dict(duration=0, redraw=True))],
        )
        for label in labels
    ]
    slider = dict(
        active=len(labels) - 1,
        font=dict(size=1, color="rgba(0,0,0,0)"),  # no tick labels: the current one shows
        ticklen=0,
        y=0,
        x=slider_x,
        len=1 - slider_x,
        currentvalue=dict(prefix="", font=dict(size=13)),
        steps=steps,
    )
    buttons = dict(type="buttons", x=0, y=0, xanchor="left", yanchor="bottom", buttons=[play])
    return {"updatemenus": [buttons], "sliders": [slider]}
