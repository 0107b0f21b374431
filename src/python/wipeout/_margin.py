"""wipeout.liq_price: venue-exact liquidation prices, vectorized over numpy arrays."""
import dataclasses
import os

import numpy as np

from . import _core

InputError = _core.InputError

# Per-position inputs (arrays broadcast together); the rest describe the venue's rules, one value per call.
_COLUMNS = ("entry", "qty", "leverage", "margin", "extra_margin", "wallet_balance", "other_maint_margin",
            "other_upnl")
_RESULTS = ("liquidation_price", "bankruptcy_price", "initial_margin", "maintenance_margin", "liquidation_fee",
            "tier", "mmr", "maint_amount", "liquidates", "leverage", "notional")


@dataclasses.dataclass(frozen=True)
class LiqQuote:
    """The quotes of wipeout.liq_price: each field has the broadcast shape of the inputs (a plain float,
    int or bool for scalar inputs). The fields are those of `wipeout liq-price --json`:

    liquidation_price: the mark price that triggers liquidation (0 where it never does: liquidates False).
    bankruptcy_price: where the margin is spent. initial_margin (NaN for cross margin without a leverage),
    maintenance_margin (at the trigger; Bybit: at entry), liquidation_fee (the fee part of the trigger,
    where the venue counts it), tier (the bracket, numbered from 1; 0 for a position refused with
    errors="nan"), mmr, maint_amount, leverage, notional. mode ("isolated" or "cross"), venue, tiers (where
    the brackets came from), fee and fee_in_trigger are the same for every position.
    """

    liquidation_price: object
    bankruptcy_price: object
    initial_margin: object
    maintenance_margin: object
    liquidation_fee: object
    tier: object
    mmr: object
    maint_amount: object
    liquidates: object
    leverage: object
    notional: object
    mode: str
    venue: str
    tiers: str
    fee: float
    fee_in_trigger: bool

    def to_frame(self):
        """One row per position (flattened), one column per field: a pandas.DataFrame."""
        import pandas as pd

        return pd.DataFrame({k: np.ravel(getattr(self, k)) for k in _RESULTS})


def _side_codes(side):
    """1 for short, 0 for long: "long" / "short" (scalar or array), or signs +1 / -1."""
    a = np.asarray(side)
    if a.dtype.kind in "UOS":
        if a.dtype.kind == "S":
            a = a.astype(str)
        short = a == "short"
        bad = ~(short | (a == "long"))
        if bad.any():
            _core.side_is_short(str(a[bad].flat[0]))  # raises the CLI's message for that value
        return short.astype(np.int8)
    if a.dtype.kind in "iuf" and np.isin(a, (1, -1)).all():
        return (a < 0).astype(np.int8)
    raise InputError(f"side: expected 'long' or 'short' (or an array of them, or signs +1 / -1), got {side!r}")


def liq_price(side, entry, qty, *, leverage=None, margin=None, extra_margin=None, venue="generic", fee=0.0,
              mmr=None, maint_amount=None, max_leverage=None, tiers=None, wallet_balance=None,
              other_maint_margin=None, other_upnl=None, errors="raise"):
    """Liquidation and bankruptcy prices of linear perpetual positions, the numbers of `wipeout liq-price`
    (the same library code), for one position or millions at once.

    side, entry, qty, leverage, margin, extra_margin, wallet_balance, other_maint_margin, other_upnl are
    scalars or numpy arrays, broadcast together; side is "long"/"short" or an array of them (or +1/-1).
    Isolated margin: give leverage (margin = notional / leverage) or the posted margin, optionally
    extra_margin. Cross margin: wallet_balance (and other_maint_margin, other_upnl of the account's other
    positions); leverage then only sets the reported initial margin.
    venue: "generic" (default), "binance", "bybit", "hyperliquid" or "dydx" (docs/margin.md).
    Brackets: mmr (a flat tier, with maint_amount and max_leverage; on hyperliquid max_leverage alone fixes
    the MMR at 1 / (2 max_leverage)), tiers (a tier CSV file), or by default the embedded BTCUSDT table.
    fee: liquidation fee, a fraction of notional in [0, 1).

    Returns a LiqQuote whose fields have the inputs' broadcast shape. Bad input raises InputError with the
    CLI's message (naming its options, e.g. --leverage); a position the margin rules refuse (e.g. a leverage
    above its bracket's maximum) raises it prefixed with its flat index, or with errors="nan" gets NaN
    prices, tier 0 and liquidates False.

    >>> wipeout.liq_price("long", 100000, 0.5, leverage=20).liquidation_price
    >>> wipeout.liq_price("long", np.linspace(5e4, 1e5, 1_000_000), 0.01, leverage=10, venue="binance")
    """
    if errors not in ("raise", "nan"):
        raise InputError(f"errors={errors!r}: expected 'raise' or 'nan'")
    values = dict(entry=entry, qty=qty, leverage=leverage, margin=margin, extra_margin=extra_margin,
                  wallet_balance=wallet_balance, other_maint_margin=other_maint_margin, other_upnl=other_upnl)
    given = [k for k in ("leverage", "margin", "extra_margin", "wallet_balance", "other_maint_margin",
                         "other_upnl") if values[k] is not None]
    scalar = {}
    for name, v in (("fee", fee), ("mmr", mmr), ("maint_amount", maint_amount), ("max_leverage", max_leverage)):
        if v is None:
            scalar[name] = None
            continue
        if np.ndim(v) != 0:
            raise InputError(f"{name}: expected one number for every position (it shapes the venue's brackets)")
        scalar[name] = float(v)
    plan = _core.liq_price_plan(str(venue), scalar["fee"], given, scalar["mmr"], scalar["maint_amount"],
                                scalar["max_leverage"], None if tiers is None else os.fspath(tiers))

    is_short = _side_codes(side)
    arrays = {}
    for name in _COLUMNS:
        v = values[name]
        try:
            arrays[name] = np.asarray(0.0 if v is None else v, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected a number or an array of numbers, got {v!r}") from None
    shape = np.broadcast_shapes(is_short.shape, *(a.shape for a in arrays.values()))
    n = int(np.prod(shape, dtype=np.int64))

    def flat(a):  # one value for all, or all n values in order
        return a.reshape(1) if a.size == 1 else np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1)

    r = _core.liq_price_quote(plan, flat(is_short), *(flat(arrays[c]) for c in _COLUMNS), n, errors == "raise")
    fields = {k: (r[k].reshape(shape) if shape else r[k][0].item()) for k in _RESULTS}
    return LiqQuote(**fields, mode="cross" if plan.cross else "isolated", venue=plan.venue,
                    tiers=plan.tiers_source, fee=scalar["fee"], fee_in_trigger=plan.fee_in_trigger)
