"""`make soak`: many seeds of the simulation, with what was injected and every failing seed.

python -m tests.simulation.soak [--seeds 2000] [--start 0] [--level 0.3] [--seed N]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter

from tests.simulation.checks import LEVEL, check_seed


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulation.soak")
    parser.add_argument("--seeds", type=int, default=2000, help="how many seeds")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    parser.add_argument("--level", type=float, default=LEVEL, help="each fault's chance")
    parser.add_argument("--seed", type=int, help="replay one seed")
    args = parser.parse_args()
    # The functions log every injected crash; the report below says what matters.
    logging.disable(logging.CRITICAL)
    seeds = [args.seed] if args.seed is not None else range(args.start, args.start + args.seeds)
    injected: Counter[str] = Counter()
    failures = []
    started = time.perf_counter()
    for count, seed in enumerate(seeds, 1):
        verdict = check_seed(seed, args.level)
        if verdict.report is not None:
            injected.update(verdict.report.injected)
        if not verdict.ok:
            failures.append(verdict)
            print(f"FAIL seed {seed}: {verdict.failure}", flush=True)
        if count % 100 == 0:
            print(
                f"{count} seeds, {len(failures)} failing, {time.perf_counter() - started:.0f} s", flush=True
            )
    total = sum(injected.values())
    print(f"seeds run: {len(seeds)}; faults injected: {total}")
    for kind, number in sorted(injected.items()):
        print(f"  {kind}: {number}")
    print(
        f"failing seeds: {len(failures)}"
        + (f" ({', '.join(str(v.seed) for v in failures)})" if failures else "")
    )
    print("replay one: python -m tests.simulation.soak --seed N")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
