"""One flag vocabulary: mistakes are named, numbers are read as people write them."""

from __future__ import annotations

import pytest

from escalate.cli import build_parser, main


def _error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    assert e.value.code == 2
    return capsys.readouterr().err


def test_a_wrong_flag_is_named_before_the_missing_one(capsys) -> None:
    err = _error(capsys, "run", "europe_1914", "--reps", "1000", "-s", "1", "-o", "x")
    assert "unknown option --reps (did you mean --replicates?)" in err
    assert "required: --replicates/-n" in err


def test_a_misspelt_flag_gets_a_did_you_mean(capsys) -> None:
    err = _error(capsys, "run", "europe_1914", "-n", "9", "-s", "1", "-o", "x", "--particpants")
    assert err.startswith("escalate run: error: unknown option --particpants")
    assert "(did you mean --participants?)" in err
    assert "unrecognized arguments" not in err
    err = _error(capsys, "compare", "x", "--basline", "a")
    assert "unknown option --basline (did you mean --baseline?)" in err


def test_a_flag_far_from_any_gets_no_guess(capsys) -> None:
    err = _error(capsys, "compare", "x", "--zzzzzzzz")
    assert "unknown option --zzzzzzzz (see escalate compare --help)" in err


def test_values_that_look_like_flags_are_not_named(capsys) -> None:
    # a negative number is a value, not an option
    err = _error(capsys, "generate", "random", "--nations", "teaching", "--density", "-1", "--x")
    assert "error: unknown option --x; the following arguments are required" in err


@pytest.mark.parametrize(
    ("text", "value"),
    [("1000000", 10**6), ("1_000_000", 10**6), ("1,000,000", 10**6), ("1e6", 10**6),
     ("2.5e3", 2500), ("2E7", 2 * 10**7)],
)  # fmt: skip
def test_replicates_read_as_people_write_them(text: str, value: int) -> None:
    args = build_parser().parse_args(["run", "teaching", "-n", text, "-s", text, "-o", "x"])
    assert args.replicates == value
    assert args.seed == value
    args = build_parser().parse_args(["sweep", "teaching", "--set", "a=1", "-n", text, "-s", "1",
                                      "-o", "x", "--chunk-size", text])  # fmt: skip
    assert args.replicates == args.chunk_size == value


@pytest.mark.parametrize("text", ["1.5", "1e-3", "1,00", "1,0000", "inf", "nan", "1e6x", "0"])
def test_numbers_that_are_not_exact_counts_are_refused(capsys, text: str) -> None:
    err = _error(capsys, "run", "teaching", "-n", text, "-s", "1", "-o", "x")
    assert "argument --replicates/-n:" in err
    assert text in err or "must be positive" in err


def test_seed_keeps_hexadecimal() -> None:
    args = build_parser().parse_args(["trace", "teaching", "-s", "0x10"])
    assert args.seed == 16


WRITERS = {
    "run": ["teaching", "-n", "1", "-s", "1"],
    "sweep": ["teaching", "--set", "a=1", "-n", "1", "-s", "1"],
    "import": ["--date", "1914-06-28", "--states", "s", "--capabilities", "c"],
    "generate": ["none", "--nations", "teaching"],
    "draw": ["teaching"],
    "plot": ["dir"],
    "report": ["dir"],
    "compare": ["dir"],
    "backtest": ["--wars", "w", "--states", "s", "--capabilities", "c"],
    "calibrate": ["--wars", "w", "--states", "s", "--capabilities", "c"],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_command_writes_to_out_and_takes_output_as_an_alias(command: str) -> None:
    parser = build_parser()
    for flag in ("--out", "-o", "--output"):
        args = parser.parse_args([command, *WRITERS[command], flag, "there"])
        assert str(args.out) == "there"
        assert not hasattr(args, "output")
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    text = sub.format_help()
    assert "-o" in text and "--out" in text
    # the help names --output only as the alias of --out
    assert text.count("--output") == 2, text  # the usage of the flag and "(--output is the same)"


@pytest.mark.parametrize("command", sorted(build_parser()._subparsers._group_actions[0].choices))  # type: ignore[union-attr]
def test_help_examples_name_no_file_of_the_clone(command: str) -> None:
    # the examples must work outside the repository: bundled worlds by name
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    text = sub.format_help()
    assert "configs/" not in text
