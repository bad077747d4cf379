"""The play button and the frame slider of an animated Plotly figure, written once.

    figure.update_layout(**play_controls(labels, frame_ms=120, slider_x=0.18))

Used by the perceptron's and the MLP's learning slides: the slider starts on the last frame
(the learned boundary), its current label says which epoch is shown, and ▶ replays the learning.
"""

from __future__ import annotations


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
