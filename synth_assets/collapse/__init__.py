"""Model-collapse measurement: students trained per round, metrics across rounds, analytic checks."""
