"""Cohort analytics: the de-identified export's layout and the engine that queries it.

``layout``, ``queries``, ``engine``, ``spark`` and ``synthetic`` import no Django: they run on
a researcher's machine, on Spark or in a benchmark with nothing but the Parquet files.
"""
