"""Shared pieces of the report: the bad-input error and number formatting with units."""
import math


# Quote amounts below this are accounting residue (the engine's sums leave ~1e-12 where the exact value is 0):
# shown as "≈ 0" and not counted as an event (e.g. P(bad debt > 0)).
DUST_QUOTE = 0.01


class ReportError(Exception):
    """Bad input (missing file, not a wipeout file, incomplete, output exists): one line, exit 2."""


def is_number(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def sig(x, digits=3):
    """x with `digits` significant digits, thousands separated, no exponent for everyday magnitudes."""
    if not is_number(x):
        return "–"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude >= 15 or magnitude <= -5:
        return f"{x:.{digits - 1}e}"
    decimals = max(0, digits - 1 - magnitude)
    return f"{x:,.{decimals}f}"


def quote(x, digits=3):
    """A quote-currency amount with a k / M / bn suffix (e.g. 1.23 bn)."""
    if not is_number(x):
        return "–"
    a = abs(x)
    if 0 < a < DUST_QUOTE:
        return "≈ 0"  # floating-point residue of the engine's accounting, not money
    for scale, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if a >= scale:
            return sig(x / scale, digits) + suffix
    return sig(x, digits)


def duration(seconds, digits=3):
    """A duration in s, min or h, whichever reads best."""
    if not is_number(seconds):
        return "–"
    a = abs(seconds)
    if a >= 7200:
        return sig(seconds / 3600, digits) + " h"
    if a >= 120:
        return sig(seconds / 60, digits) + " min"
    return sig(seconds, digits) + " s"


def percent(fraction, digits=3):
    if not is_number(fraction):
        return "–"
    return sig(100.0 * fraction, digits) + "%"


def with_unit(x, unit, digits=3):
    """A value formatted for its unit attribute (fraction, quote, s, or anything else)."""
    if unit == "fraction":
        return percent(x, digits)
    if unit == "quote":
        return quote(x, digits)
    if unit == "s":
        return duration(x, digits)
    if unit == "quote/min":
        return quote(x, digits) + "/min"
    text = sig(x, digits)
    return f"{text} {unit}" if unit and text != "–" else text


def unit_label(unit):
    """How a unit attribute reads in a table header or axis label."""
    return {"fraction": "%", "quote": "quote ccy", "s": "time", "": "–"}.get(unit, unit)


def csv_number(x):
    """A number for CSV: repr round-trips floats exactly; NaN as 'nan'."""
    if x is None:
        return "nan"
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return "nan" if math.isnan(x) else repr(x)
    return str(x)


def csv_text(header, rows):
    """A CSV table as UTF-8 bytes; numbers by csv_number (floats round-trip), cells quoted where needed."""
    lines = [",".join(header)]
    for row in rows:
        cells = []
        for value in row:
            text = csv_number(value)
            if any(ch in text for ch in ',"\n'):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")
