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
    "model": "model",
    "nobody": "nobody else joins",
    "base_rate": "base rate (leave one war out)",
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
    """Reliability diagram of P(at war) at ``window`` days (a matplotlib Figure)."""
    fig = new_figure(5.0, 4.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    cal = summary["scores"][str(window)]["calibration"]
    for name, color, marker in (("model", "C0", "o"), ("no_alliances", "C1", "s")):
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
        for xi, yi, r in zip(x, y, rows, strict=True):
            ax.annotate(
                f"{r['n']:,}",
                (xi, yi),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=color,
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("predicted P(at war), mean of the bin")
    ax.set_ylabel(f"observed share that joined within {window} days")
    ax.set_title("Reliability of P(at war), third parties of every war", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def joiners_figure(wars: pd.DataFrame, window: int):
    """Per war: expected third parties at war against those that joined (a Figure)."""
    fig = new_figure(5.6, 4.6)
    ax = fig.add_subplot()
    scored = wars[wars["skipped"].fillna("") == ""]
    x = scored["joiners"].to_numpy(float)
    y = scored["expected_joiners"].to_numpy(float)
    top = max(1.0, float(np.nanmax(np.concatenate([x, y]))) if len(x) else 1.0)
    ax.plot([0, top], [0, top], color="0.6", lw=1, ls="--")
    ax.scatter(x, y, s=18, alpha=0.7, color="C0")
    for _, r in scored.iterrows():
        if abs(r["expected_joiners"] - r["joiners"]) >= 2:
            ax.annotate(
                str(r["name"]),
                (r["joiners"], r["expected_joiners"]),
                fontsize=6,
                textcoords="offset points",
                xytext=(3, 2),
            )
    ax.set_xlabel(f"third parties that joined within {window} days (COW)")
    ax.set_ylabel("expected third parties at war (sum of P)")
    ax.set_title("Each war: predicted against actual joiners", fontsize=10)
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
    skipped = wars[wars["skipped"].fillna("") != ""]
    if len(skipped):
        lines += ["", "## Skipped wars", ""]
        lines += [f"- {r['war']} {r['name']}: {r['skipped']}" for _, r in skipped.iterrows()]
    return "\n".join(lines) + "\n"
