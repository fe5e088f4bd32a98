"""Figures and the markdown summary of a backtest (``escalate backtest``).

``reliability.png``: observed frequency of joining against predicted P(at war), by
tenth of probability, with Wilson intervals (the model and the no-alliance
baseline); ``joiners.png``: per war, the expected number of third parties at war
(the sum of P(at war)) against the number that joined within the window.
:func:`backtest_markdown` is the summary table (``DIR/report.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .plots import save_figure
from .style import new_figure

__all__ = [
    "BASE_RATE_AUC",
    "backtest_markdown",
    "joiners_figure",
    "reliability_figure",
    "write_backtest_figures",
]

_NAMES = {
    "model": "model (shipped defaults)",
    "model_cv": "model (held-out fit)",
    "nobody": "nobody else joins",
    "base_rate": "base rate (leave one war out)",
    "pact_rule": "pact rule",
    "logit": "logistic regression",
    "no_alliances": "model without alliances",
}
_SCORE_NAMES = {
    "brier": "Brier",
    "log_loss": "log loss",
    "brier_side": "Brier, side",
    "log_loss_side": "log loss, side",
    "auc": "AUC",
}


#: Why the base rate's AUC is below one half (the page and ``report.md`` say it).
BASE_RATE_AUC = (
    "The base rate's AUC is below 0.5 by construction, not by anti-skill: for war w it is "
    "the share of the third parties of the other wars that joined, the same for every "
    "state of w, and it is lowest for the wars in which the most states joined (their "
    "joiners leave its numerator) and highest for wars with many third parties that stayed "
    "out (they leave its denominator). Across wars it thus ranks the joiners below the "
    "non-joiners. Compare it on Brier and log loss, which the skill scores use."
)


def reliability_figure(summary: dict[str, Any], window: int):
    """Reliability diagram of P(at war) at ``window`` days (a matplotlib Figure).

    The number of third parties in each bin is written in a row per predictor
    above the plot, at the bin's mean prediction, not beside its point.
    """
    fig = new_figure(7.5, 6.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    cal = summary["scores"][str(window)]["calibration"]
    rows_of = [(n, c, m) for n, c, m in (("model", "C0", "o"), ("model_cv", "C1", "s")) if n in cal]
    for k, (name, color, marker) in enumerate(rows_of):
        rows = cal[name]
        if not rows:
            continue
        x = np.array([r["mean_p"] for r in rows])
        y = np.array([r["observed"] for r in rows])
        err = np.array(
            [
                [r["observed"] - r["observed_low"] for r in rows],
                [r["observed_high"] - r["observed"] for r in rows],
            ]
        )
        ax.errorbar(x, y, yerr=err, color=color, marker=marker, lw=1, capsize=2, label=_NAMES[name])
        for xi, r in zip(x, rows, strict=True):  # counts in their own row, turned upright
            ax.text(xi, 1.03 + 0.07 * k, f"{r['n']:,}", transform=ax.get_xaxis_transform(),
                    rotation=90, ha="center", va="bottom", fontsize=7, color=color)  # fmt: skip
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_xlabel("predicted P(at war), mean of the bin")
    ax.set_ylabel(f"observed share that joined within {window} days")
    ax.set_title(
        "Reliability of P(at war), third parties of every war\n"
        "(numbers above: third parties in each bin; bars: 95% Wilson intervals)",
        fontsize=10,
        pad=52,
    )
    ax.legend(fontsize=8, loc="upper left")
    return fig


def joiners_figure(wars: pd.DataFrame, window: int, *, labels: int = 8):
    """Per war: expected third parties at war against those that joined (a Figure).

    Both axes are symlog (linear below 1, logarithmic above), so that the many
    wars with 0 to 2 joiners do not pile up at the origin; only the ``labels``
    wars farthest from the diagonal on that scale are named.
    """
    fig = new_figure(7.0, 6.0)
    ax = fig.add_subplot()
    scored = wars[wars["skipped"].fillna("") == ""]
    x = scored["joiners"].to_numpy(float)
    y = scored["expected_joiners"].to_numpy(float)
    top = max(1.0, float(np.nanmax(np.concatenate([x, y]))) if len(x) else 1.0)
    for axis in ("x", "y"):
        getattr(ax, f"set_{axis}scale")("symlog", linthresh=1.0)
    line = np.concatenate([np.linspace(0, 1, 20), np.geomspace(1, top * 1.2, 40)])
    ax.plot(line, line, color="0.6", lw=1, ls="--", label="predicted = actual")
    ax.scatter(x, y, s=22, alpha=0.7, color="C0", label="a war")
    off = np.abs(np.arcsinh(y / 2) - np.arcsinh(x / 2))  # distance on a symlog-like scale
    far = [i for i in np.argsort(-off, kind="stable")[:labels] if off[i] > 0.5]
    for rank, i in enumerate(far):
        r = scored.iloc[i]
        ax.annotate(
            str(r["name"]),
            (x[i], y[i]),
            fontsize=7,
            textcoords="offset points",
            xytext=(6, -10 if rank % 2 else 4),
            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5},
        )
    from matplotlib.ticker import FixedLocator, FuncFormatter

    ticks = [t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= top * 1.5]
    for scale in (ax.xaxis, ax.yaxis):
        scale.set_major_locator(FixedLocator(ticks))
        scale.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(-0.2, top * 1.5)
    ax.set_ylim(-0.2, top * 1.5)
    ax.grid(alpha=0.3)
    ax.set_xlabel(f"third parties that joined within {window} days (COW; symlog)")
    ax.set_ylabel("expected third parties at war (sum of P; symlog)")
    ax.set_title(
        f"Each war: predicted against actual joiners\n(named: the {len(far)} farthest from "
        "the diagonal)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="lower right")
    return fig


def write_backtest_figures(
    summary: dict[str, Any], wars: pd.DataFrame, out: str | Path, *, dpi: int = 120
) -> list[Path]:
    """Write ``reliability.png`` and ``joiners.png`` into ``out``; their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    window = int(summary["window"])
    paths = [out / "reliability.png", out / "joiners.png"]
    for fig, path in (
        (reliability_figure(summary, window), paths[0]),
        (joiners_figure(wars, window), paths[1]),
    ):
        save_figure(fig, path, "png", dpi)
    return paths


def _cell(d: dict[str, Any] | None, digits: int = 3) -> str:
    if not d or d.get("value") is None or not np.isfinite(d["value"]):
        return "n/a"
    lo, hi = d.get("low"), d.get("high")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{d['value']:.{digits}f}"
    return f"{d['value']:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _by_ties(by: dict[str, Any] | None, window: str) -> list[str]:
    """The table of log loss by defence pact (``loss_by_ties``), if the summary has it."""
    if not by:
        return []
    preds = list(next(iter(by.values()))["loss"])
    lines = [
        "",
        f"## Where the log loss is: third parties by their defence pacts, {window} days",
        "",
        "Three-outcome log loss in nats, summed over the third parties owing a defence pact "
        "to an incident party of the initiator's side, the target's side, both or neither.",
        "",
        "| pact to | third parties | joined initiator's side | joined target's side | "
        + " | ".join(_NAMES.get(k, k) for k in preds)
        + " |",
        "|---" * (4 + len(preds)) + "|",
    ]
    for name, r in by.items():
        lines.append(
            f"| {name} | {r['third_parties']:,} | {r['joined_initiator_side']} | "
            f"{r['joined_target_side']} | "
            + " | ".join(f"{r['loss'][k]:.1f}" for k in preds)
            + " |"
        )
    return lines


def backtest_markdown(summary: dict[str, Any], wars: pd.DataFrame) -> str:
    """The backtest's tables in markdown: scores and skill per window, calibration."""
    lines = [
        "# Backtest",
        "",
        f"{summary['wars_scored']} wars scored, {summary['wars_skipped']} skipped; "
        f"{summary['replicates']:,} cascades per world, seed {summary['seed']}; "
        f"95% intervals from {summary['resamples']} bootstrap resamples of wars; "
        f"log losses clip p to [{summary['eps']}, 1 - {summary['eps']}].",
        "",
    ]
    left = summary.get("treaties_left_out")
    if left:
        lines += [
            f"Treaties left out of the world of the day, {left['rule']}: {left['treaties']} "
            f"in {left['wars']} wars (wars.csv: treaties_left_out).",
            "",
        ]
    for w in summary["windows"]:
        s = summary["scores"][str(w)]
        lines += [
            f"## Joined within {w} days: {s['joiners']} of {s['third_parties']:,} third parties",
            "",
            "| predictor | " + " | ".join(_SCORE_NAMES.values()) + " |",
            "|---" * (len(_SCORE_NAMES) + 1) + "|",
        ]
        for name, scores in s["scores"].items():
            lines.append(
                f"| {_NAMES.get(name, name)} | "
                + " | ".join(_cell(scores[k]) for k in _SCORE_NAMES)
                + " |"
            )
        if "base_rate" in s["scores"] and w == summary["windows"][0]:
            lines += ["", BASE_RATE_AUC]  # once, below the first table
        lines += ["", "Skill of the model, 1 - score / score of the baseline (> 0: better):", ""]
        lines += [
            "| baseline | " + " | ".join(_SCORE_NAMES[k] for k in _SCORE_NAMES if k != "auc") + " |"
        ]
        lines += ["|---" * len(_SCORE_NAMES) + "|"]
        for base, sk in s["skill"].items():
            lines.append(
                f"| {_NAMES.get(base, base)} | "
                + " | ".join(_cell(sk[k], 2) for k in _SCORE_NAMES if k != "auc")
                + " |"
            )
        lines.append("")
    w = str(summary["window"])
    lines += [
        f"## Calibration of the model's P(at war), {w} days",
        "",
        "| predicted | third parties | mean P | observed [95% Wilson] |",
        "|---|---|---|---|",
    ]
    for r in summary["scores"][w]["calibration"]["model"]:
        lines.append(
            f"| {r['low']:.1f}-{r['high']:.1f} | {r['n']:,} | {r['mean_p']:.3f} | "
            f"{r['observed']:.3f} [{r['observed_low']:.3f}, {r['observed_high']:.3f}] |"
        )
    lines += _by_ties(summary["scores"][w].get("loss_by_ties"), w)
    skipped = wars[wars["skipped"].fillna("") != ""]
    if len(skipped):
        lines += ["", "## Skipped wars", ""]
        lines += [f"- {r['war']} {r['name']}: {r['skipped']}" for _, r in skipped.iterrows()]
    return "\n".join(lines) + "\n"
