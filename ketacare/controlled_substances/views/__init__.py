"""The ledger's pages: ``session`` (the draw-up step and the rest of a dose, posted from the
session page), ``pages`` (the safe at a glance, the ledger, the count screen, entries, set-up,
discrepancies and loss reports) and ``reports`` (DEA reports as PDF and CSV)."""
