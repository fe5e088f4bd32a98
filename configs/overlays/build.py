"""Build the bundled worlds from the COW/ATOP data files and the overlays here.

    python configs/overlays/build.py [--data DIR] [--check] [NAME ...]

Each ``NAME.toml`` overlay in this folder names its day (``date``) and alliance
files (``data``); the world is written to ``configs/NAME.toml`` by the importer
(``escalate import``), whose header names every source file with its sha256.
``--check`` rebuilds in memory and fails if a committed world differs (the test
suite runs it when the data are present). DIR holds the data files in these
sub-folders (the layout of the published copies):
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from escalate.importers import import_world
from escalate.importers.render import render

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent
#: The data files, relative to the data directory.
FILES = {
    "states": "cow_state_system_v2016/states2016.csv",
    "majors": "cow_state_system_v2016/majors2016.csv",
    "capabilities": "cow_nmc_v6.0/NMC-60-abridged.csv",
    "atop": "atop_v5.1/atop5_1m.csv",
    "cow": "cow_alliances_v4.1/alliance_v4.1_by_member.csv",
}
__doc__ = (__doc__ or "") + "".join(f"\n    {k:<13}{v}" for k, v in FILES.items()) + "\n"
#: Worlds derived from a built one: name -> (source world, description). The same
#: nations, power, incident and dynamics with no alliances, organizations or plans:
#: the baseline of a paired comparison.
BASELINES = {
    "europe_1914_no_alliances": (
        "europe_1914",
        "Baseline for europe_1914: same nations, powers, incident and dynamics; "
        "no alliances, organizations or plans",
    ),
}


def default_data_dir() -> Path:
    """``ESCALATE_DATA_DIR``, else ``shared/data`` beside the repository."""
    env = os.environ.get("ESCALATE_DATA_DIR")
    return Path(env) if env else CONFIGS.parent.parent / "shared" / "data"


def overlays() -> list[Path]:
    """Every overlay in this folder, by name."""
    return sorted(HERE.glob("*.toml"))


def build(overlay: Path, data: Path) -> str:
    """The world file of one overlay."""
    meta = tomllib.loads(overlay.read_text(encoding="utf-8"))
    alliances = {k: data / FILES[k] for k in meta.get("data", ["atop", "cow"])}
    return import_world(
        meta["date"],
        states=data / FILES["states"],
        capabilities=data / FILES["capabilities"],
        majors=data / FILES["majors"],
        overlay=overlay,
        **alliances,
    ).text.replace(f"--overlay {overlay.name}", f"--overlay configs/overlays/{overlay.name}")


def baseline(text: str, name: str, description: str, source: str) -> str:
    """The no-alliance baseline of a built world."""
    d = tomllib.loads(text)
    header = [
        f"{name}: the baseline of {source}, built with it by configs/overlays/build.py.",
        f"The same nations, powers, incident and dynamics as {source}; no alliances,",
        "organizations or plans. Run both with one seed for a paired comparison.",
    ]
    return render(
        name=name,
        description=description,
        dynamics=d.get("dynamics", {}),
        incident=d["incident"],
        nations=d["nations"],
        alliances=[],
        organizations=[],
        plans=[],
        header=header,
        left_out=[],
    )


def main(argv: list[str] | None = None) -> int:
    """Build (or ``--check``) the bundled worlds."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", type=Path, default=default_data_dir(), help="the data directory")
    p.add_argument("--check", action="store_true", help="compare with the committed worlds")
    p.add_argument("names", nargs="*", help="overlays to build (default: all)")
    args = p.parse_args(argv)
    built: dict[str, str] = {}
    for overlay in overlays():
        if args.names and overlay.stem not in args.names:
            continue
        built[overlay.stem] = build(overlay, args.data)
    for name, (source, description) in BASELINES.items():
        if source in built:
            built[name] = baseline(built[source], name, description, source)
    stale = []
    for name, text in built.items():
        path = CONFIGS / f"{name}.toml"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(CONFIGS.parent)}", file=sys.stderr)
    if stale:
        print(
            f"out of date (rebuild with {Path(__file__).name}): {', '.join(stale)}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
