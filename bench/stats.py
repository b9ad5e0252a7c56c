"""Summaries of repeated measurements."""

import statistics


def percentile(values, fraction):
    """Linear interpolation between the two nearest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summary(values):
    """Median, p95, min, max and n of the measured values; the values are kept too, so that
    the results files hold every figure."""
    values = [value for value in values if value is not None]
    if not values:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None, "values": []}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "max": max(values),
        "values": values,
    }
