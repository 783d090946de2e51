"""Regenerate tests/clinical/data/pk_opentiva_reference.json: opentiva's ketamine curves.

opentiva [S108] is the peer implementation that reference §7.1 transcribes its ketamine models
from. It is not a Ketacare dependency: run this script once, in a throw-away virtual environment
outside the repository, and commit the JSON it writes. opentiva 1.1.2's shipped C file does not
build on current Python, so it is rebuilt from its Cython source:

    python3 -m venv /tmp/opentiva-venv
    /tmp/opentiva-venv/bin/pip install cython numpy scipy setuptools wheel
    /tmp/opentiva-venv/bin/pip download --no-deps --no-binary :all: opentiva==1.1.2 -d /tmp/ot
    tar xzf /tmp/ot/opentiva-1.1.2.tar.gz -C /tmp/ot && rm /tmp/ot/opentiva-1.1.2/opentiva/pkpd.c
    /tmp/opentiva-venv/bin/pip install --no-build-isolation /tmp/ot/opentiva-1.1.2
    /tmp/opentiva-venv/bin/python scripts/pk_opentiva_reference.py

opentiva works on a grid of whole seconds (``Pump.add_infusion(start_s, mg_per_s, duration_s)``,
``Pump.run()`` returns plasma and effect-site concentrations for every second) and cannot give a
dose in zero time, so a bolus is written as a 1-second infusion here and in the tests that read
this file. Its plasma curve is the closed-form sum of exponentials; its effect site is stepped
second by second. Values are in ng/mL at every whole minute from 0 to 240.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import warnings
from pathlib import Path

import opentiva.ketamine as ketamine
import opentiva.pump as pump

OUTPUT = Path(__file__).resolve().parent.parent / "tests/clinical/data/pk_opentiva_reference.json"
HORIZON_MIN = 240
BOLUS_MIN = 1 / 60  # opentiva's shortest infusion: one second

# (start_min, duration_min, dose_mg): 0.5 mg/kg over 40 min at 70 kg; a 0.1 mg/kg bolus then an
# infusion; the same 35 mg with a pause and two rate changes, as a pump record would give.
SCENARIOS: dict[str, list[tuple[float, float, float]]] = {
    "standard_0.5_mg_per_kg_40_min": [(0, 40, 35.0)],
    "bolus_then_infusion": [(0, BOLUS_MIN, 7.0), (1, 40, 28.0)],
    "pause_and_rate_changes": [(0, 20, 17.5), (25, 10, 10.0), (35, 15, 7.5)],
}
# (model key, opentiva class, weight kg, age years, scenarios)
CASES = [
    ("domino", ketamine.Domino, 70.0, 40, list(SCENARIOS)),
    ("clements250", ketamine.Clements250, 70.0, 40, list(SCENARIOS)),
    ("hijazi", ketamine.Hijazi, 55.0, 16, ["standard_0.5_mg_per_kg_40_min"]),
    ("herd", ketamine.Herd, 25.0, 8, ["standard_0.5_mg_per_kg_40_min"]),
    ("hornik", ketamine.Hornik, 25.0, 8, ["standard_0.5_mg_per_kg_40_min"]),
]


def curve(model_class, weight_kg: float, age_years: float, infusions) -> tuple[list, list]:
    """Plasma and effect-site ng/mL at each whole minute."""
    model = model_class(sex=0, age=age_years, weight=weight_kg, height=170)
    simulation = pump.Pump(model=model, drug_concentration=10, end_time=HORIZON_MIN * 60 + 1)
    for start_min, duration_min, dose_mg in infusions:
        duration_s = round(duration_min * 60)
        simulation.add_infusion(
            start=round(start_min * 60), dose=dose_mg / duration_s, duration=duration_s
        )
    rows = simulation.run()[:: 60]  # columns: second, plasma mg/L, effect site mg/L
    return (
        [float(f"{value * 1000:.9g}") for value in rows[:, 1]],
        [float(f"{value * 1000:.9g}") for value in rows[:, 2]],
    )


def main() -> None:
    warnings.simplefilter("error")  # every case lies inside opentiva's model limits
    cases = []
    for key, model_class, weight_kg, age_years, scenario_names in CASES:
        # A standard dose scales with weight (0.5 mg/kg): rescale the 70 kg scenarios.
        for name in scenario_names:
            infusions = [(s, d, dose * weight_kg / 70) for s, d, dose in SCENARIOS[name]]
            plasma, effect = curve(model_class, weight_kg, age_years, infusions)
            cases.append({
                "model": key, "scenario": name, "weight_kg": weight_kg, "age_years": age_years,
                "infusions": infusions, "plasma_ng_per_ml": plasma,
                "effect_site_ng_per_ml": effect,
            })
    versions = {name: importlib.metadata.version(name) for name in ("opentiva", "numpy", "scipy")}
    versions["cython"] = importlib.metadata.version("cython")
    versions["python"] = platform.python_version()
    document = {
        "about": "opentiva's ketamine models at every minute 0-240; see scripts/"
        "pk_opentiva_reference.py. Infusions are (start_min, duration_min, dose_mg); a "
        "duration of 1/60 min is opentiva's one-second bolus.",
        "versions": versions,
        "times_min": list(range(HORIZON_MIN + 1)),
        "cases": cases,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
