"""Statistics of results (escalate.analysis) against known answers.

Small worlds whose outcome probabilities are known exactly are simulated with
the kernel; the estimates, intervals, paired tests and standard errors are
checked against those probabilities, against scipy applied to the raw arrays,
and against hand-computed values.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from escalate.analysis.compare import compare
from escalate.analysis.counts import quantile_from_counts, value_counts
from escalate.analysis.intervals import proportion_intervals
from escalate.analysis.metrics import REQUIRED_COLUMNS
from escalate.analysis.paired import holm, signed_rank_counts
from escalate.analysis.tails import CLAUSET_2018, ccdf, tail_exponents
from escalate.engine.compile import compile_world
from escalate.model.load import world_from_dict
from escalate.results.arrow import run_arrays, to_tables
from escalate.results.schema import CASCADE_COLUMNS
from escalate.viz.tables import format_text, summary_table

N = 20_000


def pact_world(name: str, reliability: float, *, second: float | None = None):
    """A attacks T; T and C have a defense pact of the given reliability.

    C enters (3 belligerents) exactly when the pact is honoured, so
    P(belligerents = 3) = reliability, and with A, T, C all major powers
    P(world war) = reliability too. ``second`` adds a pact T-D (D minor).
    """
    nations = [
        {"id": i, "name": i, "power": 0.25, "major": major}
        for i, major in (("A", True), ("T", True), ("C", True), ("D", False))
    ]
    alliances = [
        {"name": "T-C pact", "kind": "defense", "members": ["T", "C"], "reliability": reliability}
    ]
    if second is not None:
        alliances.append(
            {"name": "T-D pact", "kind": "defense", "members": ["T", "D"], "reliability": second}
        )
    return world_from_dict(
        {
            "name": name,
            "incident": {"initiator": "A", "target": "T"},
            "nations": nations,
            "alliances": alliances,
        }
    )


def simulate(world, n: int = N, seed: int = 11, structure: str | None = None) -> pd.DataFrame:
    cw = compile_world(world)
    out, parts = run_arrays(cw, seed, 0, n, False)
    cascades, _ = to_tables(cw, 0, out, parts, False)
    df = cascades.to_pandas()
    df.insert(0, "structure", structure or world.name)
    return df


def row(table: pd.DataFrame, structure: str, metric: str) -> pd.Series:
    hit = table[(table["structure"] == structure) & (table["metric"] == metric)]
    assert len(hit) == 1, (structure, metric)
    return hit.iloc[0]


@pytest.fixture(scope="module")
def pact_results() -> pd.DataFrame:
    return pd.concat(
        [
            simulate(pact_world("p50", 0.5)),
            simulate(pact_world("p60", 0.6)),
            simulate(pact_world("p30_d", 0.3, second=0.5)),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def pact_table(pact_results) -> pd.DataFrame:
    return compare(pact_results, baseline="p50")


# --------------------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    "structure, metric, p",
    [
        ("p50", "p_world_war", 0.5),
        ("p60", "p_world_war", 0.6),
        ("p30_d", "p_world_war", 0.3),  # D is not a major power
        ("p50", "p_belligerents_ge_3", 0.5),
        ("p60", "p_belligerents_ge_3", 0.6),
        ("p30_d", "p_belligerents_ge_3", 1 - 0.7 * 0.5),
        ("p30_d", "p_belligerents_ge_5", 0.0),
    ],
)
def test_known_probability_is_covered(pact_table, structure, metric, p):
    r = row(pact_table, structure, metric)
    assert r.interval == "wilson"
    assert r.low <= p <= r.high
    assert abs(r.estimate - p) <= 4 * math.sqrt(p * (1 - p) / N)
    assert r.se == pytest.approx(math.sqrt(r.estimate * (1 - r.estimate) / N))
    ci = scipy_stats.binomtest(round(r.estimate * N), N).proportion_ci(0.95, method="wilson")
    assert (r.low, r.high) == pytest.approx((ci.low, ci.high))


def test_known_means_and_quantiles(pact_table):
    # belligerents = 2 + Bernoulli(0.6): mean 2.6, median 3, q90 3
    r = row(pact_table, "p60", "mean_belligerents")
    assert r.interval == "bootstrap-percentile"
    assert abs(r.estimate - 2.6) < 4 * math.sqrt(0.24 / N)
    assert r.low < r.estimate < r.high
    assert r.high - r.low == pytest.approx(2 * 1.96 * math.sqrt(0.24 / N), rel=0.15)
    assert row(pact_table, "p60", "q50_belligerents").estimate == 3
    assert row(pact_table, "p50", "q99_belligerents").estimate == 3
    assert row(pact_table, "p30_d", "q50_belligerents").estimate == 3  # P(>=3) = 1-.7*.5
    # broken promise rate: exactly the pacts that fail
    r = row(pact_table, "p60", "p_broken_promise")
    assert r.low <= 0.4 <= r.high
    # no deterrence and no organizations in these worlds
    assert row(pact_table, "p60", "p_deterred").estimate == 0
    assert row(pact_table, "p60", "p_vetoed").estimate == 0


def test_quantiles_are_numpy_inverted_cdf():
    rng = np.random.default_rng(5)
    for n in (1, 2, 10, 101, 1000):
        x = rng.integers(0, 7, n)
        values, counts = value_counts(x)
        for q in (0.01, 0.1, 0.5, 0.9, 0.99):
            expected = np.quantile(x, q, method="inverted_cdf")
            assert quantile_from_counts(values, counts, q) == expected


def test_value_count_bootstrap_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(2)
    x = rng.poisson(3.0, 4000)
    df = pd.DataFrame(
        {
            "structure": "s",
            "replicate": np.arange(x.size),
            "deterred": False,
            "belligerents": x.astype(np.int16),
            "rounds": np.int16(1),
            "broken_promises": 0,
            "sanctions": 0,
            "diplomacy": 0,
            "power_share": 0.5,
            "vetoed": False,
            "world_war": False,
        }
    )
    r = row(compare(df, n_resamples=4000), "s", "mean_belligerents")
    ref = scipy_stats.bootstrap(
        (x,), np.mean, n_resamples=4000, method="percentile", random_state=0
    ).confidence_interval
    width = ref.high - ref.low
    assert abs(r.low - ref.low) < 0.06 * width
    assert abs(r.high - ref.high) < 0.06 * width


# --------------------------------------------------------------------------- paired


def test_identical_worlds_show_no_difference():
    world = pact_world("p50", 0.5, second=0.4)
    df = pd.concat([simulate(world, structure="a"), simulate(world, structure="b")])
    t = compare(df, baseline="a")
    b = t[t["structure"] == "b"]
    assert len(b) == len(t) / 2
    assert (b["difference"] == 0).all()
    assert (b["difference_low"] == 0).all() and (b["difference_high"] == 0).all()
    assert (b["se_paired"] == 0).all()
    tested = b[b["test"] != ""]
    assert set(tested["test"]) == {"mcnemar-exact", "wilcoxon-signed-rank"}
    assert (tested["p_value"] == 1).all() and (tested["p_holm"] == 1).all()
    assert (tested["effect_size"] == 0).all()
    varying = b[b["se_unpaired"] > 0]
    assert len(varying) >= 5
    assert (varying["se_ratio"] == 0).all()
    assert (b["n_pairs"] == N).all()


def test_pairing_shrinks_the_standard_error(pact_table, pact_results):
    # p60 vs p50: the same uniform decides the shared pact, so C enters in p60
    # whenever it enters in p50: d = 1 with probability 0.1, never -1.
    r = row(pact_table, "p60", "p_world_war")
    assert r.test == "mcnemar-exact"
    p_a = pact_results.query("structure == 'p50'")["world_war"].to_numpy()
    p_b = pact_results.query("structure == 'p60'")["world_war"].to_numpy()
    b, c = int((p_b & ~p_a).sum()), int((~p_b & p_a).sum())
    assert c == 0 and r.statistic == b
    assert r.effect_size == 1.0
    assert r.p_value == scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert r.difference_low <= 0.1 <= r.difference_high
    # analytic: var(d) = .1 * .9, unpaired var = .25 + .24
    assert r.se_paired == pytest.approx(math.sqrt(0.09 / N), rel=0.05)
    assert r.se_unpaired == pytest.approx(math.sqrt(0.49 / N), rel=0.02)
    assert r.se_ratio == pytest.approx(math.sqrt(0.09 / 0.49), rel=0.06)
    assert r.se_ratio < 0.5
    m = row(pact_table, "p60", "mean_belligerents")
    assert m.test == "wilcoxon-signed-rank"
    assert m.se_ratio < 0.5
    assert m.difference == pytest.approx(
        row(pact_table, "p60", "mean_belligerents").estimate
        - row(pact_table, "p50", "mean_belligerents").estimate
    )


def test_paired_se_matches_the_paired_differences(pact_table, pact_results):
    x = pact_results.query("structure == 'p30_d'")["belligerents"].to_numpy(float)
    y = pact_results.query("structure == 'p50'")["belligerents"].to_numpy(float)
    r = row(pact_table, "p30_d", "mean_belligerents")
    assert r.se_paired == pytest.approx(np.std(x - y, ddof=1) / math.sqrt(N))
    se_u = math.hypot(np.std(x, ddof=1), np.std(y, ddof=1)) / math.sqrt(N)
    assert r.se_unpaired == pytest.approx(se_u)
    # the Wilcoxon p value is scipy's on the raw differences
    ref = scipy_stats.wilcoxon(x - y, zero_method="wilcox", method="approx")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_signed_rank_on_value_counts_equals_scipy():
    rng = np.random.default_rng(8)
    d = rng.choice([-3.0, -1.0, 0.0, 0.0, 1.0, 2.0, 2.0, 5.0], size=60_000)
    dv, dc = np.unique(d, return_counts=True)
    t_plus, t_minus, n_nz, p = signed_rank_counts(dv, dc)
    ref = scipy_stats.wilcoxon(d, zero_method="wilcox", method="approx")
    assert p == pytest.approx(ref.pvalue, rel=1e-9)
    assert min(t_plus, t_minus) == pytest.approx(ref.statistic)
    assert n_nz == np.count_nonzero(d)


def test_mcnemar_hand_checked():
    # 8 pairs with the outcome only in "s", 2 only in "b": exact two-sided
    # binomial p = 2 * (C(10,8) + C(10,9) + C(10,10)) / 2**10 = 112/1024.
    s = np.array([1] * 8 + [0] * 2 + [1] * 5 + [0] * 5, bool)
    b = np.array([0] * 8 + [1] * 2 + [1] * 5 + [0] * 5, bool)
    df = pd.concat([_frame("b", world_war=b), _frame("s", world_war=s)])
    r = row(compare(df, baseline="b"), "s", "p_world_war")
    assert r.p_value == pytest.approx(112 / 1024)
    assert r.statistic == 8
    assert r.effect_size == pytest.approx((8 - 2) / 10)
    assert r.difference == pytest.approx(6 / 20)


def _frame(structure: str, **columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "structure": structure,
        "replicate": np.arange(n, dtype=np.int64),
        "deterred": False,
        "belligerents": np.int16(2),
        "rounds": np.int16(0),
        "broken_promises": np.int32(0),
        "sanctions": np.int32(0),
        "diplomacy": np.int32(0),
        "power_share": 0.1,
        "vetoed": False,
        "world_war": False,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_pairs_are_the_common_replicates():
    a = _frame("a", belligerents=np.arange(10, dtype=np.int16))
    b = _frame("b", belligerents=np.arange(10, dtype=np.int16)).iloc[::2]
    b = b.assign(belligerents=b["belligerents"] + 1).iloc[::-1]  # unsorted on purpose
    t = compare(pd.concat([a, b]), baseline="a")
    r = row(t, "b", "mean_belligerents")
    assert r.n == 5 and r.n_pairs == 5
    assert r.difference == pytest.approx(1.0)
    assert r.se_paired == 0


def test_no_common_replicates_warns():
    a = _frame("a", belligerents=np.int16([2, 3]))
    b = _frame("b", replicate=np.int64([5, 6]))
    with pytest.warns(UserWarning, match="no replicate index"):
        t = compare(pd.concat([a, b]))
    r = row(t, "b", "mean_belligerents")
    assert r.n_pairs == 0 and np.isnan(r.difference) and r.test == ""


def test_holm_hand_checked():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*.005=.02, 3*.01=.03, 2*.03=.06, max(.06, .04)
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = holm([0.5, np.nan, 0.6])
    assert out[0] == pytest.approx(1.0) and np.isnan(out[1]) and out[2] == pytest.approx(1.0)
    assert holm([]).size == 0


def test_holm_is_applied_across_the_whole_table(pact_table):
    tested = pact_table[pact_table["test"] != ""]
    assert tested["p_holm"].to_numpy() == pytest.approx(holm(tested["p_value"].to_numpy()))
    assert pact_table.loc[pact_table["test"] == "", "p_holm"].isna().all()


# --------------------------------------------------------------------------- layout


def test_layout_and_summary(pact_table):
    structures = ["p50", "p60", "p30_d"]
    assert list(dict.fromkeys(pact_table["structure"])) == structures
    n_metrics = pact_table["metric"].nunique()
    assert len(pact_table) == 3 * n_metrics
    assert {
        "p_belligerents_ge_3",
        "p_belligerents_ge_5",
        "p_belligerents_ge_10",
        "q50_power_share",
        "q99_belligerents",
        "mean_diplomacy",
    } <= set(pact_table.metric)
    base_rows = pact_table[pact_table["structure"] == "p50"]
    assert base_rows["difference"].isna().all() and (base_rows["test"] == "").all()
    assert pact_table.attrs["baseline"] == "p50"
    wide = summary_table(pact_table)
    assert len(wide) == n_metrics
    assert list(wide.columns) == ["metric", "p50 (baseline)", "p60", "p30_d", "Δ p60", "Δ p30_d"]
    assert wide.iloc[0, 0] == "P(world war)"
    assert "SE×" in wide.loc[0, "Δ p60"]
    assert list(summary_table(pact_table, differences=False).columns) == [
        "metric",
        "p50 (baseline)",
        "p60",
        "p30_d",
    ]


def test_text_names_the_confidence_actually_used():
    # the note under the text table used to say 95% whatever the level
    rng = np.random.default_rng(12)
    a = _frame("a", belligerents=rng.integers(2, 6, 500).astype(np.int16))
    b = _frame("b", belligerents=rng.integers(2, 7, 500).astype(np.int16))
    df = pd.concat([a, b], ignore_index=True)
    for confidence, text in ((0.5, "50%"), (0.9, "90%"), (0.999, "99.9%"), (0.95, "95%")):
        note = format_text(compare(df, confidence=confidence, n_resamples=100)).splitlines()[-1]
        assert note.startswith(f"intervals: {text} (Wilson")
        if text != "95%":
            assert "95%" not in note
    table = compare(df, n_resamples=100)
    table.attrs.clear()  # e.g. read back from a CSV file: the level is unknown
    assert "intervals: level not recorded" in format_text(table)


def test_compare_at_the_package_root_is_the_documented_function():
    import escalate
    import escalate.analysis.compare as compare_module

    assert escalate.compare is compare is compare_module.compare
    assert not hasattr(escalate.compare, "__wrapped__")
    params = inspect.signature(escalate.compare).parameters
    assert list(params)[:2] == ["results", "baseline"]
    assert params["confidence"].default == 0.95
    assert params["confidence"].kind is inspect.Parameter.KEYWORD_ONLY
    doc = inspect.getdoc(escalate.compare)
    for section in ("Parameters", "Returns", "Notes", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc
    for name in params:  # every parameter is documented
        assert f"\n{name}\n" in doc


def test_required_columns_come_from_the_results_schema():
    assert REQUIRED_COLUMNS[0] == "structure"
    schema_names = [c.name for c in CASCADE_COLUMNS]
    assert list(REQUIRED_COLUMNS[1:]) == [n for n in schema_names if n in REQUIRED_COLUMNS]
    # a change of the schema shows in REQUIRED_COLUMNS, and a column the analysis
    # reads that leaves the schema fails at import, by name
    patch = "import escalate.results.schema as s; s.CASCADE_COLUMNS = s.CASCADE_COLUMNS[{}]\n"
    code = "from escalate.analysis.metrics import REQUIRED_COLUMNS; print(*REQUIRED_COLUMNS)"
    reordered = subprocess.run(
        [sys.executable, "-c", patch.format("::-1") + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert reordered.stdout.split() == ["structure", *REQUIRED_COLUMNS[:0:-1]]
    without = "tuple(c for c in s.CASCADE_COLUMNS if c.name != 'sanctions')"
    removed = subprocess.run(
        [sys.executable, "-c", patch.replace("s.CASCADE_COLUMNS[{}]", without) + code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert removed.returncode != 0
    assert "sanctions" in removed.stderr and "results schema" in removed.stderr


def test_categorical_order_and_default_baseline(pact_results):
    df = pact_results.copy()
    df["structure"] = pd.Categorical(df["structure"], categories=["p60", "unused", "p50", "p30_d"])
    t = compare(df.sample(frac=1.0, random_state=1), ks=(3,))  # shuffled rows
    assert list(dict.fromkeys(t["structure"])) == ["p60", "p50", "p30_d"]
    assert t.attrs["baseline"] == "p60"
    assert row(t, "p50", "p_world_war").difference == pytest.approx(
        -row(compare(pact_results, baseline="p50", ks=(3,)), "p60", "p_world_war").difference
    )


def test_compare_is_reproducible(pact_results):
    a = compare(pact_results, seed=4)
    b = compare(pact_results, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["seed"] == 4
    # the estimates are those of the data, whatever the seed ...
    for structure, rows in pact_results.groupby("structure", observed=True):
        mean = row(a, str(structure), "mean_belligerents").estimate
        assert mean == pytest.approx(rows["belligerents"].mean())
        share = row(a, str(structure), "p_world_war").estimate
        assert share == pytest.approx(rows["world_war"].mean())
    # ... and the seed draws the bootstrap resamples: another seed, other intervals
    c = compare(pact_results, seed=5)
    fixed = ["structure", "metric", "n", "estimate", "difference", "statistic", "p_value"]
    pd.testing.assert_frame_equal(a[fixed], c[fixed])
    boot = a["interval"] == "bootstrap-percentile"
    assert boot.any()
    bounds = ["low", "high"]
    assert (a.loc[boot, bounds] != c.loc[boot, bounds]).any(axis=None)
    wilson = a["interval"] == "wilson"
    pd.testing.assert_series_equal(a.loc[wilson, "low"], c.loc[wilson, "low"])


def test_bad_input_is_explained(pact_results):
    with pytest.raises(ValueError, match="did you mean 'p60'"):
        compare(pact_results, baseline="p61")
    with pytest.raises(ValueError, match="power_share"):
        compare(pact_results.drop(columns="power_share"))
    with pytest.raises(ValueError, match="confidence"):
        compare(pact_results, confidence=95)
    dup = pd.concat(
        [_frame("a", belligerents=np.int16([2, 3])), _frame("b", replicate=np.int64([0, 0]))]
    )
    with pytest.raises(ValueError, match="more than once"):
        compare(dup)


def test_large_results_take_seconds():
    rng = np.random.default_rng(0)
    n = 2_000_000
    u = rng.random(n)
    bell = (2 + (u < 0.5) + (rng.random(n) < 0.3) * rng.integers(0, 12, n)).astype(np.int16)
    share = np.round(bell / 40 + rng.integers(0, 50, n) / 1000, 6)
    a = _frame("a", belligerents=bell, power_share=share, world_war=bell > 4)
    bell_b = (bell + (u < 0.6) - (u < 0.5)).astype(np.int16)
    b = _frame("b", belligerents=bell_b, power_share=share + 0.01, world_war=bell_b > 4)
    df = pd.concat([a, b], ignore_index=True)
    start = time.perf_counter()
    t = compare(df)
    assert time.perf_counter() - start < 20
    assert row(t, "b", "mean_belligerents").difference == pytest.approx(0.1, abs=0.002)


# --------------------------------------------------------------------------- tails


def test_ccdf(pact_table, pact_results):
    c = ccdf(pact_results)
    part = c[c["structure"] == "p60"]
    assert part["value"].tolist() == [2, 3]
    assert part["ccdf"].iloc[0] == 1.0
    p3 = (pact_results.query("structure == 'p60'")["belligerents"] >= 3).mean()
    assert part["ccdf"].iloc[1] == pytest.approx(p3)
    assert (part["low"] <= part["ccdf"]).all() and (part["ccdf"] <= part["high"]).all()
    assert np.all(np.diff(part["ccdf"]) <= 0)


def test_ccdf_leaves_out_deterred_cascades():
    df = _frame("a", belligerents=np.int16([0, 0, 2, 3]), deterred=np.array([1, 1, 0, 0], bool))
    c = ccdf(df)
    assert c["value"].tolist() == [2, 3] and c["n"].tolist() == [2, 2]
    assert ccdf(df, wars_only=False)["value"].tolist() == [0, 2, 3]


def test_tail_exponent_recovers_a_known_power_law():
    pytest.importorskip("powerlaw")
    rng = np.random.default_rng(3)
    x = np.floor(5 * (1 - rng.random(30_000)) ** (-1 / 1.5)).astype(np.int64)  # alpha ~ 2.5
    df = _frame("zeta", belligerents=x)
    t = tail_exponents(df, xmin=20)
    r = t.iloc[0]
    assert r.structure == "zeta" and r.xmin == 20
    assert abs(r.alpha - 2.5) < max(4 * r.sigma, 0.05)
    assert r.alpha_low < r.alpha < r.alpha_high
    ref = t.iloc[-1]
    assert ref.alpha == CLAUSET_2018["alpha"] and "not a target" in ref.note


def test_tail_exponent_of_a_degenerate_structure():
    pytest.importorskip("powerlaw")
    t = tail_exponents(_frame("flat", belligerents=np.int16([2] * 50)), reference=False)
    assert len(t) == 1 and np.isnan(t["alpha"].iloc[0]) and "fewer than 3" in t["note"].iloc[0]


def test_proportion_intervals(pact_results):
    t = proportion_intervals(pact_results)
    assert t["structure"].tolist() == ["p50", "p60", "p30_d"]
    assert ((t["low"] <= t["estimate"]) & (t["estimate"] <= t["high"])).all()
