"""Command lines that serve more than one area of ``pipeline/``, so they sit above all of them.

``runs`` is the store's command line: it refreshes the queue, adds the shipped runs and exports,
imports and converts runs, so it imports training, export, inference and shipped, which all
import the store. ``python -m pipeline.runs`` runs it (``pipeline/runs/__main__.py`` imports it by
name, as a launcher, not as a dependency of the store). An area's own command line stays in its
``__main__``; what every command line shares is ``pipeline.cli``.
"""
