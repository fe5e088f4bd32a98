"""Write docs/history.md: each bundled world with a real incident beside its war.

    python docs/make_history.py [--replicates N] [--seed S] [--data DIR] [--out FILE]

For every bundled world whose incident is a real one (europe_1914, league_1935,
europe_1939, gulf_1990), it simulates N cascades with the world's own settings and
the documented defaults (nothing tuned here), and puts, per nation, P(at war), P(at
war on each side) and the median round of entry next to what the Correlates of War
Inter-State War Data v4.0 record: whether the state took part, on which side, and
when it entered. It also scores the world over third parties (every nation but the
initiator and the target): the Brier score of P(at war) against "took part in the
war" and against the baseline "nobody else joins". The data directory is
``ESCALATE_DATA_DIR`` or ``shared/data`` beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import escalate

REPO = Path(__file__).resolve().parents[1]
WARS_FILE = "cow_interstate_war_v4.0/Inter-StateWarData_v4.0.csv"

#: world -> (COW WarNum, what the war is called)
WORLDS = {
    "europe_1914": (106, "World War I"),
    "league_1935": (127, "Conquest of Ethiopia"),
    "europe_1939": (139, "World War II"),
    "gulf_1990": (211, "Gulf War"),
}

#: Where the model fails, said plainly (read with the tables; revised when they change).
READING = {
    "europe_1914": """
The July Crisis is the case the model was built for. Russia, Germany, France,
Belgium and Britain, the powers that entered within a week, enter in roughly half of
the cascades (0.4-0.6 each), in the right order of rounds and on the right sides,
through the Franco-Russian alliance, Russia's patronage of Serbia, the Dual
Alliance (against Russia), the Schlieffen-Moltke plan and the guarantee of Belgium.
Italy and Romania, whose treaties held only against unprovoked attack, now enter on
Austria's side in well under half of the cascades (their remaining ties are
consultation pledges without conditions); both declined in 1914. Where it fails:
Greece enters in three cascades of four through the Serbo-Greek alliance, which ATOP
codes as a defence pact against unprovoked attack by anyone while it was aimed at
Bulgaria (Greece stayed out until 1917); Montenegro, at war from August 1914, is not a
COW state and so never counts as a hit. And the model has no time: the Ottoman Empire
(October 1914), Bulgaria and Italy (1915), Portugal and Romania (1916), Greece and the
United States (1917) entered for reasons that arose in a four-year war (the alliances
signed after 28 June, the Treaty of London, submarine warfare), which the world of
that day does not hold. *Rounds* are steps of a cascade, not days.""",
    "league_1935": """
The League did not stop Italy. Under model version 2 it never even responded with
force here: with `unanimity = true` any member bound to the aggressor blocked it, and
Albania's defence treaty with Italy (ATOP), which held only against unprovoked
attack, did so in every cascade. Version 3's veto counts a pledge only while its
conditions hold towards the culprit, so Albania no longer blocks, and the members'
responses are drawn from the overlay's assumed ladder: Britain, France and a tail of
small members enter against Italy in a few cascades in a hundred each. That is the
rule doing what it says, and it makes this world worse than "nobody else joins"
(nobody fought Italy in 1935-36; about 50 members applied sanctions, which appear
only in the `sanctions` count): the response probabilities are an overlay's
labelled assumption, not an estimate. Austria, Hungary and Greece then enter on
Italy's side in a third of the cascades, through treaties with Italy that an attack
on Italy triggers; in history no one was at war with Italy, so they were never
called.""",
    "europe_1939": """
Britain and France enter in nearly every cascade (their guarantees to Poland are in
ATOP), as they did on 3 September 1939. The Dominions never do: Canada, Australia,
New Zealand and South Africa declared war within ten days with no treaty that either
dataset codes, a tie the world lacks. Most other participants entered in 1940-1945 in
wars that grew out of this one (Norway, the Low Countries, the Balkans, Barbarossa,
Pearl Harbor): the model, with no time, misses them all. It also fails on Italy and
on the smaller allies: the Pact of Steel's
offense clause, at the default reliability, takes Italy to war in most cascades,
where Italy declared non-belligerence until June 1940; Romania and Turkey enter
through treaties aimed at the Soviet Union or at a Balkan war, because ATOP codes
them without that condition. The Soviet Union is held out by its non-aggression
pledges to Poland (each a neutrality obligation that holds with probability 0.78),
while in history the secret protocol overrode them on 17 September (COW does not
count the Soviet invasion of Poland as part of this war, only 1941).

Side accuracy against Axelrod and Bennett (1993): their landscape theory, from 1936
alignments, split 17 European states into the two blocs of the war and placed 15
rightly; it assigns every state a side and has no time either. The cascade places
the European states that fought only where the treaties of 1 September 1939 reach
them: the states that entered in 1940-1941 (Norway, the Low Countries, Greece, the
Balkan and Finnish allies of Germany) are never at war in it, and the two it places
wrongly are Romania (pulled to Poland's side by the Polish-Romanian alliance; it
fought with Germany from 1941) and the Soviet Union (on Germany's side through the
secret protocol, in the few cascades where it enters; it fought Germany from 1941).
The two measures answer different questions: which bloc a state belongs to, against
who is pulled into the war that began that day.""",
    "gulf_1990": """
The Security Council was not blocked in 1990, and here no permanent member has a
defence or offense obligation towards Iraq, so the veto never applies. The coalition
that went to war in January 1991 (the United States, Britain, France, Saudi Arabia,
Egypt, Syria and the Gulf states) entered after five months of sanctions and a
Security Council authorisation, without a treaty binding its members to Kuwait: with
unaligned entry off (the default until its fit lands) the model cannot bring it in,
and every coalition member is a miss. Version 3 removed the two failures that made
version 2 much worse than "nobody else joins" here (skill -0.31, now -0.05): the Rio
Treaty's location condition (the hemisphere) now holds it to the Americas, so an
attack on the United States in the Middle East no longer takes every American state
to war; and entrants attack only their proteges' enemies, so the Warsaw Pact states
are no longer dragged in from the Soviet side. What remains is the Arab League's
non-aggression pledges among its members (neutrality obligations that hold even
towards the aggressor unless ATOP codes them unprovoked), which keep Saudi Arabia,
Egypt, Syria and the Gulf states out of a war they fought.""",
}


#: Nations in a world that COW's war data cannot score (not COW states), with what
#: happened: shown in the table, left out of the scores.
NOT_SCORED = {
    "europe_1914": {"MNG": "not a COW state; at war with Austria-Hungary from 1914-08-05"},
}


@dataclass
class Entry:
    """One COW participant of a war (its first spell)."""

    ccode: int
    name: str
    side: int
    start: dt.date
    initiator: bool


def _int(x: str) -> int:
    try:
        return int(float(x))
    except ValueError:
        return -9


def read_war(path: Path, war: int) -> list[Entry]:
    """The participants of one war, earliest spell per state (bare-CR file)."""
    with path.open(newline="", encoding="utf-8") as f:  # csv handles bare CR
        rows = [r for r in csv.DictReader(f) if _int(r["WarNum"]) == war]
    out: dict[int, Entry] = {}
    for r in rows:
        y, m, d = (_int(r[k]) for k in ("StartYear1", "StartMonth1", "StartDay1"))
        start = dt.date(y, max(m, 1), max(d, 1))
        e = Entry(_int(r["ccode"]), r["StateName"], _int(r["Side"]), start, r["Initiator"] == "1")
        if e.ccode not in out or e.start < out[e.ccode].start:
            out[e.ccode] = e
    return sorted(out.values(), key=lambda e: (e.start, e.ccode))


def ccodes(world_file: Path) -> dict[str, int]:
    """World id -> COW ccode, from the importer's ``# ccode N`` comments."""
    found = re.findall(r'^id = "(\w+)"\s+# ccode (\d+)', world_file.read_text(), re.M)
    return {nid: int(code) for nid, code in found}


def simulate(name: str, n: int, seed: int):
    """P(at war), P(side A), P(side D) and median entry round per nation."""
    df, parts = escalate.simulate(name, n, seed=seed, participants=True)
    first = parts.sort_values("round").drop_duplicates(["replicate", "nation"])
    nation = first["nation"].astype(str)
    g = first.assign(nation=nation, side=first["side"].astype(str)).groupby("nation")
    p = g.size() / n
    side_a = g["side"].apply(lambda s: (s == "A").sum()) / n
    entry = g["round"].median()
    return p, side_a, p - side_a, entry, df


def table(name: str, war: int, title: str, n: int, seed: int, data: Path) -> list[str]:
    """The markdown of one world."""
    world = escalate.load_world(name)
    codes = ccodes(REPO / "configs" / f"{name}.toml")
    entries = {e.ccode: e for e in read_war(data / WARS_FILE, war)}
    p, side_a, side_d, entry, df = simulate(name, n, seed)
    init = next(e for e in entries.values() if e.initiator)
    start = min(e.start for e in entries.values())
    lines = [
        f"## {name}: {title} (COW war {war}, from {start})",
        "",
        f"*{world.description}*",
        "",
        f"Simulated: {n:,} cascades, seed {seed}: P(world war) {df['world_war'].mean():.2f}, "
        f"mean belligerents {df['belligerents'].mean():.1f}, P(vetoed) {df['vetoed'].mean():.2f}.",
        "",
        "| nation | P(at war) | on the initiator's side | on the target's side "
        "| median entry round | in the war (COW) | entered | days after the start |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    for nat in world.nations:
        c = codes.get(nat.id)
        e = entries.get(c) if c is not None else None
        pw = float(p.get(nat.id, 0.0))
        if pw < 0.01 and e is None:
            continue
        if nat.id in NOT_SCORED.get(name, {}):
            real, when, days = NOT_SCORED[name][nat.id], "", ""
        elif e is None:
            real, when, days = "no", "", ""
        else:
            real = "initiator's side" if e.side == init.side else "target's side"
            when, days = str(e.start), str((e.start - start).days)
        med = entry.get(nat.id)
        rows.append((
            round(-pw, 6),
            f"| {nat.name} ({nat.id}) | {pw:.2f} | {float(side_a.get(nat.id, 0)):.2f} "
            f"| {float(side_d.get(nat.id, 0)):.2f} | {'' if med is None else f'{med:g}'} "
            f"| {real} | {when} | {days} |",
        ))  # fmt: skip
    rows.sort()
    # every nation in the war, and the 25 most likely to be; the rest summarized
    shown = [r for i, (q, r) in enumerate(rows) if i < 25 or "| no |" not in r]
    rest = [-q for i, (q, r) in enumerate(rows) if i >= 25 and "| no |" in r]
    lines += shown
    if rest:
        lines += ["", f"And {len(rest)} more nations not in the war, each with P(at war) between "
                  f"{min(rest):.2f} and {max(rest):.2f}."]  # fmt: skip
    absent = [e for c, e in entries.items() if c not in codes.values()]
    if absent:
        names = ", ".join(f"{e.name} (ccode {e.ccode}, {e.start})" for e in absent)
        lines += ["", f"In the war but not in the world: {names}."]
    scored = {i: c for i, c in codes.items() if i not in NOT_SCORED.get(name, {})}
    lines += ["", *score(world, scored, entries, p)]
    lines += ["", *sides(world, scored, entries, init.side, side_a, side_d, name)]
    lines += ["", READING[name].strip(), ""]
    return lines


#: world -> (region, whose placement the side accuracy is compared with)
SIDE_SCOPE = {
    "europe_1939": (
        "europe",
        "Axelrod and Bennett (1993), whose landscape theory took 1936 data, placed 15 of "
        "17 European states on their World War II side.",
    ),
}


def sides(world, codes, entries, init_side, side_a, side_d, name) -> list[str]:
    """Side accuracy: the states in the war put more often on their side than the other."""
    region, compare = SIDE_SCOPE.get(name, (None, ""))
    right, wrong, never = [], [], []
    for nat in world.nations:
        e = entries.get(codes.get(nat.id, -1))
        if e is None or (region is not None and nat.region != region):
            continue
        a, d = float(side_a.get(nat.id, 0.0)), float(side_d.get(nat.id, 0.0))
        own, other = (a, d) if e.side == init_side else (d, a)
        (never if a + d < 0.005 else right if own > other else wrong).append(nat.id)
    n = len(right) + len(wrong) + len(never)
    where = "European " if region == "europe" else f"{region} " if region else ""
    return [
        f"Side accuracy: of the {n} {where}states in the war (COW) that the world holds, "
        f"incident parties included, the model puts {len(right)} on their side more often "
        f"than on the other; on the wrong side: {', '.join(wrong) or 'none'}; never at war "
        f"in the simulation: {', '.join(never) or 'none'}. {compare}".rstrip(),
    ]


def score(world, codes: dict[str, int], entries: dict[int, Entry], p) -> list[str]:
    """Brier scores over third parties: the world, and "nobody else joins"."""
    incident = {world.incident.initiator, world.incident.target}
    third = [n.id for n in world.nations if n.id not in incident and n.id in codes]
    y = [1.0 if codes.get(i) in entries else 0.0 for i in third]
    q = [float(p.get(i, 0.0)) for i in third]
    brier = sum((a - b) ** 2 for a, b in zip(q, y, strict=True)) / len(third)
    nobody = sum(y) / len(third)
    hits = sum(1 for a, b in zip(q, y, strict=True) if a >= 0.5 and b)
    false = [i for a, b, i in zip(q, y, third, strict=True) if a >= 0.5 and not b]
    missed = [i for a, b, i in zip(q, y, third, strict=True) if a < 0.1 and b]
    return [
        f"Third parties: {len(third)} nations, {int(sum(y))} of them in the war (COW). "
        f'Brier score {brier:.3f} against {nobody:.3f} for "nobody else joins" '
        f"(lower is better; skill {f'{1 - brier / nobody:+.2f}' if nobody else 'undefined'}). "
        "P(at war) >= 0.5 and in the war: "
        f"{hits}; P >= 0.5 but stayed out: {', '.join(false) or 'none'}; "
        f"in the war with P < 0.1: {', '.join(missed) or 'none'}.",
    ]


def main(argv: list[str] | None = None) -> int:
    """Write the page."""
    env = os.environ.get("ESCALATE_DATA_DIR")
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--replicates", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1914)
    ap.add_argument(
        "--data", type=Path, default=Path(env) if env else REPO.parent / "shared" / "data"
    )
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "history.md")
    args = ap.parse_args(argv)
    if not (args.data / WARS_FILE).exists():
        print(
            f"no COW war data at {args.data / WARS_FILE} (set --data or ESCALATE_DATA_DIR)",
            file=sys.stderr,
        )
        return 2
    lines = [
        "# Each world beside its history",
        "",
        "Generated by `python docs/make_history.py "
        f"--replicates {args.replicates} --seed {args.seed}` from the bundled worlds and",
        "the Correlates of War Inter-State War Data v4.0 (participants, sides, entry dates).",
        "Every world uses its own file and the documented defaults: nothing here is tuned to",
        'the outcome. *Rounds* are steps of a cascade, not days. A state is "in the war"',
        "if COW lists it at any time, so late entries (years after the start) count as misses",
        "of a model that has no time. The Brier score is the mean squared error of P(at war)",
        'over third parties; the baseline "nobody else joins" predicts 0 for all of them.',
        "",
    ]
    for name, (war, title) in WORLDS.items():
        print(f"{name} ...", file=sys.stderr)
        lines += table(name, war, title, args.replicates, args.seed, args.data)
    args.out.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
