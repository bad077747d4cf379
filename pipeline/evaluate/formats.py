"""An evaluation in three formats: JSON (everything), CSV (one row per number), one-page HTML.

The HTML page stands alone (inline SVG curves, no script, no external file) and escapes
every string it prints with ``html.escape``: run ids, sources and file names come from
users and folders, and a file called ``<script>x</script>.png`` must stay text.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math

from pipeline.data import CLASS_NAMES
from pipeline.evaluate.bootstrap import STATISTICS
from pipeline.evaluate.metrics import REPORT_COLUMNS, report_table
from pipeline.records import ThresholdMetrics

CURVES = ("roc", "pr", "calibration")  # long lists: in the JSON, drawn in the HTML, not in the CSV
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula triggers


def to_json(evaluation: dict) -> str:
    return json.dumps(evaluation, indent=2, sort_keys=True, allow_nan=False, default=str)


# the CSV's plain fields by section, in their order
_CSV_FIELDS = {
    "run": "run_id framework source split img_size threshold threshold_origin",
    "metric": "n accuracy auc average_precision sensitivity specificity brier prevalence",
}


def csv_rows(evaluation: dict) -> list[tuple[str, str, object]]:
    """``(section, name, value)`` for every number and label of an evaluation."""
    rows = [
        (section, key, evaluation.get(key))
        for section, keys in _CSV_FIELDS.items()
        for key in keys.split()
    ]
    (tn, fp), (fn, tp) = evaluation["confusion_matrix"]
    rows += [
        ("confusion_matrix", "TN", tn),
        ("confusion_matrix", "FP", fp),
        ("confusion_matrix", "FN", fn),
        ("confusion_matrix", "TP", tp),
    ]
    for row in report_table(ThresholdMetrics.from_dict(evaluation)):
        for column, value in zip(REPORT_COLUMNS, row.cells()):
            if value is not None:
                rows.append(("report", f"{row.label} {column}", value))
    for name in STATISTICS:
        interval = (evaluation.get("bootstrap") or {}).get(name) or {}
        rows += [
            ("bootstrap_95", f"{name} {bound}", interval.get(bound)) for bound in ("low", "high")
        ]
    for key, value in (evaluation.get("costs") or {}).items():
        rows.append(("cost", key, value))
    return rows


def to_csv(evaluation: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "name", "value"))
    writer.writerows((section, name, _cell(value)) for section, name, value in csv_rows(evaluation))
    return buffer.getvalue()


def comparison_csv(comparison: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ("quantity", "a", "b", "difference", "low", "high", "outside")
    writer.writerow(columns)
    writer.writerows(tuple(_cell(row.get(c)) for c in columns) for row in comparison["rows"])
    return buffer.getvalue()


def to_html(
    evaluation: dict, comparison: dict | None = None, title: str = "PneumoLab evaluation"
) -> str:
    """One self-contained page: settings, report, confusion matrix, intervals, curves, comparison."""
    parts = [
        f"<h1>{_e(title)}</h1>",
        *(f"<p class='warning'>{_e(warning)}</p>" for warning in evaluation.get("warnings") or []),
        _definition_list(evaluation),
        "<h2>Classification report</h2>",
        _report(evaluation),
        "<h2>Confusion matrix</h2>",
        _confusion(evaluation),
        "<h2>95% bootstrap intervals</h2>",
        _intervals(evaluation),
        "<h2>Curves</h2>",
        _curves(evaluation),
    ]
    if comparison:
        parts += ["<h2>Keras vs PyTorch</h2>", _comparison(comparison)]
    if evaluation.get("skipped"):
        parts += ["<h2>Images not scored</h2>", _skipped(evaluation["skipped"])]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


def _definition_list(evaluation: dict) -> str:
    items = [
        ("Run", evaluation.get("run_id")),
        ("Framework", evaluation.get("framework")),
        ("Trained on", evaluation.get("trained_on")),
        ("Scored on", evaluation.get("source")),
        ("Split", evaluation.get("split")),
        ("Images", evaluation.get("n")),
        ("Image size", evaluation.get("img_size")),
        (
            "Threshold",
            f"{_fmt(evaluation.get('threshold'))} ({evaluation.get('threshold_origin', '')})",
        ),
        ("AUC", _fmt(evaluation.get("auc"))),
        ("Average precision", _fmt(evaluation.get("average_precision"))),
        ("Sensitivity", _fmt(evaluation.get("sensitivity"))),
        ("Specificity", _fmt(evaluation.get("specificity"))),
        ("Brier score", _fmt(evaluation.get("brier"))),
    ]
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def _report(evaluation: dict) -> str:
    return _table(
        ("", *REPORT_COLUMNS),
        [
            [row.label, *map(_fmt, row.cells())]
            for row in report_table(ThresholdMetrics.from_dict(evaluation))
        ],
    )


def _confusion(evaluation: dict) -> str:
    matrix = evaluation["confusion_matrix"]
    total = sum(map(sum, matrix)) or 1
    cells = [
        [f"true {CLASS_NAMES[i]}"]
        + [f"{count} ({100 * count / total:.1f}%)" for count in matrix[i]]
        for i in (0, 1)
    ]
    return _table(("", f"predicted {CLASS_NAMES[0]}", f"predicted {CLASS_NAMES[1]}"), cells)


def _intervals(evaluation: dict) -> str:
    bootstrap = evaluation.get("bootstrap") or {}
    rows = [
        [
            name,
            _fmt(bootstrap.get(name, {}).get("estimate")),
            _fmt(bootstrap.get(name, {}).get("low")),
            _fmt(bootstrap.get(name, {}).get("high")),
        ]
        for name in STATISTICS
    ]
    settings = bootstrap.get("settings") or {}
    note = (
        (
            f"<p>{_e(settings.get('resamples'))} resamples of {_e(settings.get('unit'))}s, "
            f"seed {_e(settings.get('seed'))}.</p>"
        )
        if settings
        else ""
    )
    return _table(("statistic", "estimate", "low", "high"), rows) + note


def _comparison(comparison: dict) -> str:
    rows = [
        [
            row["quantity"],
            _fmt(row.get("a")),
            _fmt(row.get("b")),
            _fmt(row.get("difference")),
            _fmt(row.get("low")),
            _fmt(row.get("high")),
            {True: "yes", False: "no", None: ""}[row.get("outside")],
        ]
        for row in comparison["rows"]
    ]
    header = (
        "",
        comparison.get("label_a", "a"),
        comparison.get("label_b", "b"),
        "a - b",
        "95% low",
        "95% high",
        "outside interval",
    )
    notes = "".join(f"<p>{_e(note)}</p>" for note in comparison.get("notes", []))
    return _table(header, rows) + notes


def _skipped(skipped: list) -> str:
    return _table(("file", "reason"), [[item.get("path"), item.get("reason")] for item in skipped])


def _table(header, rows) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# each curve's plot: its title and the figure in it, the curve and its x and y, and whether the
# diagonal is drawn as a reference (chance for ROC, perfect calibration)
_CURVE_PLOTS = (
    ("ROC (AUC", "auc", "roc", "fpr", "tpr", True),
    ("Precision-recall (AP", "average_precision", "pr", "recall", "precision", False),
    ("Calibration (Brier", "brier", "calibration", "mean_predicted", "fraction_positive", True),
)
_AXIS_LABELS = {
    "fpr": "false positive rate",
    "tpr": "true positive rate",
    "mean_predicted": "mean predicted",
    "fraction_positive": "observed PNEUMONIA",
}


def _curves(evaluation: dict) -> str:
    plots = []
    for title, figure, key, x, y, diagonal in _CURVE_PLOTS:
        curve = evaluation.get(key) or {}
        plots.append(
            _svg_plot(
                f"{title} {_fmt(evaluation.get(figure))})",
                curve.get(x, []),
                curve.get(y, []),
                _AXIS_LABELS.get(x, x),
                _AXIS_LABELS.get(y, y),
                diagonal=diagonal,
            )
        )
    return "<div class='curves'>" + "".join(plots) + "</div>"


def _svg_plot(
    title: str, xs, ys, x_label: str, y_label: str, diagonal: bool = False, size: int = 240
) -> str:
    """A unit-square line plot as inline SVG (y grows upwards)."""
    pad = 34
    inner = size - 2 * pad

    def point(x, y):
        return f"{pad + x * inner:.1f},{pad + (1 - y) * inner:.1f}"

    line = " ".join(point(x, y) for x, y in zip(xs, ys))
    guide = (
        f"<line x1='{pad}' y1='{pad + inner}' x2='{pad + inner}' y2='{pad}' class='guide'/>"
        if diagonal
        else ""
    )
    return (
        f"<figure><svg width='{size}' height='{size}' viewBox='0 0 {size} {size}' role='img'>"
        f"<rect x='{pad}' y='{pad}' width='{inner}' height='{inner}' class='frame'/>{guide}"
        f"<polyline points='{line}' class='curve'/>"
        f"<text x='{size / 2}' y='{size - 6}' text-anchor='middle'>{_e(x_label)}</text>"
        f"<text x='12' y='{size / 2}' text-anchor='middle' transform='rotate(-90 12 {size / 2})'>{_e(y_label)}</text>"
        f"</svg><figcaption>{_e(title)}</figcaption></figure>"
    )


def _fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}dl{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem}
dt{font-weight:600}dd{margin:0}.curves{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}
.frame{fill:none;stroke:#888}.guide{stroke:#bbb;stroke-dasharray:4}.curve{fill:none;stroke:#1f77b4;stroke-width:2}
text{font-size:11px}figcaption{text-align:center;font-size:.9rem}
.warning{background:#fff3cd;border-left:4px solid #e0a800;padding:.4rem .6rem}
"""
