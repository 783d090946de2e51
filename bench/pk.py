"""Pharmacokinetic simulation speed: 100,000 patients × 4 hours at 1-minute resolution.

    .venv/bin/python bench/pk.py
    .venv/bin/python bench/pk.py --patients 20000 --sample 500 --models domino

For each model, one run of ``plasma_concentrations_batch`` over every patient (0.5 mg/kg over
40 min, weights 45–120 kg from a seeded generator, times 0–240 min every minute), against
``plasma_concentrations`` called once per patient in a Python loop on the first ``--sample``
patients. The batch is timed twice: its first full-size call in the process ("first", which
includes the operating system's first touch of the result's memory) and the median of
``--repeat`` further calls ("steady"). Speed-up = loop time per patient ÷ batch time per
patient. The batch rows of the sampled patients must equal the loop's results. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ketacare.clinical.pharmacokinetics import (
    plasma_concentrations,
    plasma_concentrations_batch,
)

GOAL_SECONDS = 1.0
GOAL_SPEED_UP = 50.0
MG_PER_KG = 0.5  # source: S1 (the standard dose the bench simulates)
DURATION_MIN = 40.0  # source: S1


def measure(model: str, weights: np.ndarray, times: np.ndarray, sample: int, repeat: int) -> dict:
    doses = MG_PER_KG * weights

    def run_batch() -> tuple[float, np.ndarray]:
        started = time.perf_counter()
        result = plasma_concentrations_batch(
            model, weight_kg=weights, dose_mg=doses, duration_min=DURATION_MIN, times_min=times
        )
        return time.perf_counter() - started, result

    first_s, batch = run_batch()
    head = batch[:sample].copy()
    del batch
    steady = []
    for _ in range(repeat):
        seconds, result = run_batch()
        steady.append(seconds)
        del result
    started = time.perf_counter()
    looped = [
        plasma_concentrations(
            model, weight_kg=float(weight), infusions=[(0.0, DURATION_MIN, float(dose))],
            times_min=times,
        )
        for weight, dose in zip(weights[:sample], doses[:sample], strict=True)
    ]
    loop_s = time.perf_counter() - started
    steady_s = statistics.median(steady)
    loop_us = loop_s / sample * 1e6
    return {
        "model": model,
        "first_s": first_s,
        "steady_s": steady_s,
        "batch_us": steady_s / weights.size * 1e6,
        "loop_us": loop_us,
        "speed_up": loop_us / (steady_s / weights.size * 1e6),
        "speed_up_first": loop_us / (first_s / weights.size * 1e6),
        "max_difference": float(np.abs(head - np.array(looped)).max()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000, help="patients run one by one")
    parser.add_argument("--minutes", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=5, help="steady-state batch runs")
    parser.add_argument("--models", nargs="+", default=["domino", "clements250"])
    args = parser.parse_args()

    weights = np.random.default_rng(1).uniform(45, 120, args.patients)
    times = np.arange(args.minutes + 1, dtype=np.float64)
    sample = min(args.sample, args.patients)
    # Warm the code paths (imports, caches) on a few patients; the timed runs are full size.
    plasma_concentrations_batch("domino", weight_kg=weights[:8], dose_mg=4.0, duration_min=40,
                                times_min=times)
    results = [measure(model, weights, times, sample, args.repeat) for model in args.models]

    console = Console(width=max(Console().width, 130))
    table = Table(title=f"{args.patients:,} patients × {times.size} times "
                        f"(0–{args.minutes} min, every minute); loop on {sample:,} patients")
    for column in ("Model", "Batch first s", "Batch steady s", "Batch µs/patient",
                   "Loop µs/patient", "Speed-up steady", "Speed-up first", "Max |Δ| ng/mL",
                   "Goal"):
        table.add_column(column, justify="left" if column in ("Model", "Goal") else "right")
    all_met = True
    for r in results:
        met = r["first_s"] < GOAL_SECONDS and r["speed_up"] >= GOAL_SPEED_UP
        all_met &= met
        table.add_row(
            r["model"], f"{r['first_s']:.3f}", f"{r['steady_s']:.3f}", f"{r['batch_us']:.2f}",
            f"{r['loop_us']:.0f}", f"{r['speed_up']:.0f}×", f"{r['speed_up_first']:.0f}×",
            f"{r['max_difference']:.1e}", "met" if met else "missed",
        )
    console.print(table)
    console.print(
        f"{dt.date.today().isoformat()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores · Python {platform.python_version()} · numpy {np.__version__} · "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    console.print(f"Goal: the first batch call under {GOAL_SECONDS:g} s, and at least "
                  f"{GOAL_SPEED_UP:g}× the loop per patient (steady).")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
