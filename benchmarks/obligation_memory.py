"""Peak memory per obligation while a world is compiled (the loader's memory bound).

    python benchmarks/obligation_memory.py [--members K]

Compiles one defence treaty of K members (K * (K - 1) directed obligations) under
``tracemalloc`` and prints the peak and the kept bytes per obligation: the figure
behind ``escalate.model.schema.BYTES_PER_OBLIGATION``.
"""

from __future__ import annotations

import argparse
import tracemalloc

from escalate.engine.compile import compile_world
from escalate.model.load import world_from_dict


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=1000)
    k = p.parse_args().members
    ids = [f"N{i}" for i in range(k)]
    world = world_from_dict({
        "name": "big",
        "incident": {"initiator": "N0", "target": "N1"},
        "nations": [{"id": x, "power": 1.0} for x in ids],
        "alliances": [{"name": "everyone", "kind": "defense", "members": ids}],
    })  # fmt: skip
    tracemalloc.start()
    compiled = compile_world(world)
    kept, peak = tracemalloc.get_traced_memory()
    m = k * (k - 1)
    print(f"{m:,} obligations: peak {peak / m:.0f} bytes each, kept {kept / m:.0f}")
    assert compiled.arrays.ob_kind.size == m


if __name__ == "__main__":
    main()
