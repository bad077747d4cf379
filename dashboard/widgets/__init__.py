"""Widgets and page sections that several pages draw: framework names and the run picker, the
source selector, the slide layout, the robustness, claims and search sections."""
