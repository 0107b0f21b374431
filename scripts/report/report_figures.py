"""The report's figures (matplotlib, Agg backend), each returned as PNG bytes."""
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from report_common import quote  # noqa: E402

DPI = 150
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#555555",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d8d8d8",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 8,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#cccccc",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
INK = "#1f3b5c"        # the estimate
BAND = "#9fc3e6"       # its Monte Carlo band
LONG = "#c0392b"       # long liquidations
SHORT = "#27ae60"      # short liquidations
ADL = "#8e44ad"        # auto-deleveraging
FUND = "#d68910"       # insurance fund
FUNDAMENTAL = "#7f8c8d"
GREY = "#888888"
PATH_COLORS = ("#c0392b", "#1f6fb2", "#27ae60")  # worst, median, mildest


def png(fig):
    """The figure as PNG bytes (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.15,
                metadata={"Software": "wipeout report"})
    plt.close(fig)
    return buf.getvalue()


def _style():
    return plt.rc_context(STYLE)


# ---- axis formatters ----
def _percent_axis_formatter(values_are_fractions):
    scale = 100.0 if values_are_fractions else 1.0

    def fmt(v, _pos):
        x = v * scale
        if x == 0:
            return "0%"
        return f"{x:.{max(0, -int(math.floor(math.log10(abs(x)))))}f}%" if abs(x) < 1 else f"{x:,.0f}%"
    return ticker.FuncFormatter(fmt)


def _quote_formatter():
    return ticker.FuncFormatter(lambda v, _pos: "0" if v == 0 else quote(v, 3).replace(".00 ", " ").replace(
        ".0 ", " "))


def _log_axis(axis, lo, hi, formatter):
    """A log axis with readable ticks: decades over a wide range, 1-2-5 over a narrow one."""
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 1
    subs = (1.0,) if decades > 3.5 else (1.0, 2.0, 5.0)
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs, numticks=20))
    axis.set_minor_locator(ticker.LogLocator(base=10, subs=np.arange(2, 10) * 1.0, numticks=20))
    axis.set_major_formatter(formatter)
    axis.set_minor_formatter(ticker.NullFormatter())


def _minutes_axis(axis, lo, hi):
    """A log time axis in minutes with ticks at durations people think in."""
    marks = [(1 / 6, "10 s"), (0.5, "30 s"), (1, "1 min"), (5, "5 min"), (15, "15 min"), (60, "1 h"),
             (240, "4 h"), (1440, "24 h"), (10080, "1 wk")]
    marks = [(m, t) for m, t in marks if lo / 1.5 <= m <= hi * 1.5] or marks[2:6]
    axis.set_major_locator(ticker.FixedLocator([m for m, _ in marks]))
    axis.set_major_formatter(ticker.FixedFormatter([t for _, t in marks]))
    axis.set_minor_formatter(ticker.NullFormatter())


# ---- loss exceedance curves ----
def exceedance(curves):
    """Loss exceedance curves P(loss > x) on log-log axes with pointwise 95% binomial (Wilson) bands.

    curves: dicts with title, xlabel, unit ('fraction' or 'quote'), x, p, lo, hi, n, n_positive, and var:
    [(label, level, value)] for the VaR points quoted in the headline table.
    """
    with _style():
        rows = math.ceil(len(curves) / 2)
        fig, axes = plt.subplots(rows, 2, figsize=(11, 4.1 * rows), squeeze=False)
        for ax, c in zip(axes.flat, curves):
            ax.set_title(c["title"])
            ax.set_xlabel(c["xlabel"])
            ax.set_ylabel("P(loss > x)")
            n = c["n"]
            scale = 100.0 if c["unit"] == "fraction" else 1.0
            if len(c["x"]) == 0:
                ax.text(0.5, 0.5, f"no path with a positive value\n(all {n:,} paths are 0)", ha="center",
                        va="center", transform=ax.transAxes, color=GREY)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            x = np.asarray(c["x"]) * scale
            ax.fill_between(x, np.maximum(c["lo"], 0.3 / n), c["hi"], step="post", color=BAND, alpha=0.55,
                            linewidth=0, label="95% Monte Carlo band (Wilson)")
            ax.step(x, c["p"], where="post", color=INK, linewidth=1.4, label="empirical P(loss > x)")
            for (label, level, value), marker in zip(c["var"], ("o", "s", "D")):
                if value is not None and np.isfinite(value) and value > 0:
                    ax.plot([value * scale], [1.0 - level], marker=marker, color=LONG, markersize=5.5,
                            linestyle="none", zorder=5, label=f"{label} = {c['fmt'](value)}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(0.3 / n, 1.15)
            # Very small positive values (a payout of a few quote units) would stretch the axis over decades of
            # nothing: start at a third of the 0.5% quantile of the positive values.
            xlo, xhi = max(x.min(), np.quantile(np.asarray(c["positive"]) * scale, 0.005) / 3), x.max()
            ax.set_xlim(xlo / 1.15, xhi * 1.15)
            _log_axis(ax.xaxis, xlo, xhi, _percent_axis_formatter(False) if c["unit"] == "fraction"
                      else _quote_formatter())
            _log_axis(ax.yaxis, 0.3 / n, 1.0, _percent_axis_formatter(True))
            share = c["n_positive"] / n
            legend = ax.legend(loc="lower left", title=f"{n:,} paths, P(loss > 0) = {100 * share:.3g}%",
                               title_fontsize=8)
            legend._legend_box.align = "left"
        for ax in list(axes.flat)[len(curves):]:
            ax.set_visible(False)
        fig.tight_layout(h_pad=2.0, w_pad=2.5)
        return png(fig)


# ---- distributions ----
def distributions(panels):
    """Histograms, each with its mean and median marked.

    panels: dicts with title, xlabel, values (already in display units), log (bool), reference (optional
    (x, label) line), note (text under the panel).
    """
    with _style():
        cols = 3
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(12, 3.7 * rows), squeeze=False)
        for ax, p in zip(axes.flat, panels):
            v = np.asarray(p["values"], dtype=float)
            v = v[np.isfinite(v)]
            ax.set_title(p["title"])
            ax.set_xlabel(p["xlabel"])
            ax.set_ylabel("share of paths (%)")
            if v.size == 0:
                ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
                continue
            shown = v
            if p.get("log"):
                shown = v[v > 0]
                lo, hi = shown.min(), shown.max()
                bins = np.geomspace(lo, hi * 1.0001, 45) if hi > lo else 10
            else:
                lo, hi = np.quantile(v, [0.002, 0.998])
                if hi <= lo:
                    lo, hi = v.min() - 0.5, v.max() + 0.5
                bins = np.linspace(lo, hi, 46)
                shown = v[(v >= lo) & (v <= hi)]
            weights = np.full(shown.size, 100.0 / v.size)
            heights, _, _ = ax.hist(shown, bins=bins, weights=weights, color=BAND, edgecolor=INK, linewidth=0.4)
            ax.set_ylim(0, max(float(np.max(heights)), 1e-9) * 1.75)  # headroom: the legend sits above the bars
            mean, median = float(np.mean(v)), float(np.median(v))
            ax.axvline(median, color=INK, linewidth=1.3, label=f"median {p['fmt'](median)}")
            ax.axvline(mean, color=INK, linewidth=1.3, linestyle="--", label=f"mean {p['fmt'](mean)}")
            if p.get("tail") is not None:
                q = float(np.quantile(v, p["tail"][0]))
                ax.axvline(q, color=LONG, linewidth=1.2, linestyle=":", label=f"{p['tail'][1]} {p['fmt'](q)}")
            if p.get("reference") is not None:
                ax.axvline(p["reference"][0], color=SHORT, linewidth=1.2, linestyle="-.", label=p["reference"][1])
            if p.get("log"):
                ax.set_xscale("log")
                if p.get("minutes"):
                    _minutes_axis(ax.xaxis, shown.min(), shown.max())
                else:
                    _log_axis(ax.xaxis, shown.min(), shown.max(), ticker.FuncFormatter(lambda x, _p: f"{x:g}"))
            handles, labels = ax.get_legend_handles_labels()
            hidden = v.size - shown.size
            if hidden:
                handles.append(Line2D([], [], linestyle="none"))
                labels.append(f"{hidden:,} paths ({100 * hidden / v.size:.2g}%) off the axis")
            ax.legend(handles, labels, loc="upper right")
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        fig.tight_layout(h_pad=2.0, w_pad=2.0)
        return png(fig)


# ---- the V-bounce ----
def _steps(t):
    """Each row's step length (row i covers (t[i-1], t[i]])."""
    dt = np.diff(t, prepend=t[0])
    dt[0] = dt[1] if dt.size > 1 else 1.0
    return dt


def vbounce(paths, p0, window_min):
    """Worst, median and mildest saved paths over the first `window_min` minutes after the shock: price
    (trade and fundamental, % of P0), liquidated notional per step (long and short) with ADL, and the
    insurance fund. paths: dicts with label, index, drawdown, t0 (shock start, s), and the trace columns."""
    with _style():
        cols = len(paths)
        fig, axes = plt.subplots(3, cols, figsize=(4.1 * cols + 0.6, 9.6), squeeze=False, sharex="col",
                                 gridspec_kw={"height_ratios": [2.3, 1.5, 1.1]})
        price_lo, price_hi = [], []
        for j, p in enumerate(paths):
            t = (p["time_s"] - p["t0"]) / 60.0
            keep = t <= window_min
            keep[: np.searchsorted(t, window_min, side="right") + 1] = True  # one row past the window edge
            tt = t[keep]
            price = 100.0 * p["trade_price"][keep] / p0
            fundamental = 100.0 * p["fundamental"][keep] / p0
            ax = axes[0, j]
            ax.set_title(f"{p['label']}: path {p['index']}\nmax drawdown {100 * p['drawdown']:.3g}%", fontsize=10)
            ax.plot(tt, fundamental, color=FUNDAMENTAL, linewidth=1.2, linestyle="--", label="fundamental V")
            ax.plot(tt, price, color=INK, linewidth=1.5, label="trade price P")
            trough = int(np.argmin(price))
            ax.plot(tt[trough], price[trough], "v", color=LONG, markersize=7, zorder=5,
                    label=f"trough {price[trough]:.1f}%")
            adl = p["adl_notional"][keep] > 0
            if adl.any():
                ax.plot(tt[adl], price[adl], "|", color=ADL, markersize=9, markeredgewidth=1.5,
                        label="ADL in this step")
            ax.axvline(0, color=GREY, linewidth=0.8, linestyle=":")
            price_lo.append(min(price.min(), fundamental.min()))
            price_hi.append(max(price.max(), fundamental.max()))
            if j == 0:
                ax.set_ylabel("price (% of P0)")
            ax.legend(loc="lower right")

            # Row i covers the step (t[i-1], t[i]]: stairs over those edges, whatever the step lengths.
            ax = axes[1, j]
            edges = np.concatenate([[tt[0] - _steps(p["time_s"])[0] / 60.0], tt])
            longs = p["liquidated_long"][keep] / 1e6
            shorts = p["liquidated_short"][keep] / 1e6
            # Filled and outlined: 1 s steps are narrower than a pixel, and an outline keeps them solid.
            ax.stairs(longs, edges, fill=True, facecolor=LONG, edgecolor=LONG, linewidth=0.6,
                      label="longs liquidated")
            ax.stairs(-shorts, edges, fill=True, facecolor=SHORT, edgecolor=SHORT, linewidth=0.6,
                      label="shorts liquidated (below 0)")
            adl_m = p["adl_notional"][keep] / 1e6
            if (adl_m > 0).any():
                ax.stairs(adl_m, edges, color=ADL, linewidth=1.1, label="ADL notional")
            ax.axhline(0, color="#444444", linewidth=0.6)
            ax.axvline(0, color=GREY, linewidth=0.8, linestyle=":")
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: f"{abs(v):g}"))
            if j == 0:
                ax.set_ylabel("notional per step\n(M quote ccy)")
            ax.legend(loc="upper right")

            ax = axes[2, j]
            ax.plot(tt, p["fund_balance"][keep] / 1e6, color=FUND, linewidth=1.4, label="insurance fund")
            ax.axhline(0, color="#444444", linewidth=0.6)
            ax.axvline(0, color=GREY, linewidth=0.8, linestyle=":")
            ax.set_xlabel("minutes after the shock starts")
            ax.set_xlim(-1.0, window_min)
            if j == 0:
                ax.set_ylabel("fund balance\n(M quote ccy)")
            ax.legend(loc="upper right")
        lo, hi = min(price_lo), max(price_hi)
        pad = 0.06 * (hi - lo)
        for j in range(cols):
            axes[0, j].set_ylim(lo - pad, hi + pad)
        fig.tight_layout(h_pad=1.2, w_pad=1.5)
        return png(fig)


def vbounce_horizon(paths, p0):
    """The same paths over the whole horizon (hours): the slow part of the recovery."""
    with _style():
        fig, ax = plt.subplots(figsize=(11, 3.6))
        for p, color in zip(paths, PATH_COLORS):
            t = (p["time_s"] - p["t0"]) / 3600.0
            ax.plot(t, 100.0 * p["trade_price"] / p0, color=color, linewidth=1.3,
                    label=f"{p['label']} (path {p['index']}): trade price")
            ax.plot(t, 100.0 * p["fundamental"] / p0, color=color, linewidth=0.9, linestyle="--", alpha=0.8)
        ax.plot([], [], color=GREY, linestyle="--", label="fundamental V (dashed, same colour)")
        ax.axvline(0, color=GREY, linewidth=0.8, linestyle=":")
        for h in (1, 4):
            ax.axvline(h, color="#bbbbbb", linewidth=0.8)
            ax.text(h, 1.0, f" {h} h", transform=ax.get_xaxis_transform(), fontsize=8, color="#666666", va="top")
        ax.set_xlabel("hours after the shock starts")
        ax.set_ylabel("price (% of P0)")
        ax.set_title("Whole horizon")
        ax.legend(loc="lower right", ncol=2)
        fig.tight_layout()
        return png(fig)


# ---- drivers ----
def driver_ranking(rows, loss_labels):
    """Spearman rank correlation of each sampled parameter with each loss, 95% intervals, sorted."""
    with _style():
        k = len(loss_labels)
        fig, ax = plt.subplots(figsize=(11, 0.2 * k * len(rows) + 1.3))
        height = 0.8 / k
        y = np.arange(len(rows))[::-1]
        colors = (INK, LONG, FUND, ADL)
        for i, (key, label) in enumerate(loss_labels):
            rho = np.array([r[key][0] for r in rows])
            err = np.array([[r[key][0] - r[key][1], r[key][2] - r[key][0]] for r in rows]).T
            pos = y + (k - 1 - 2 * i) * height / 2
            ax.barh(pos, rho, height=height * 0.92, color=colors[i % len(colors)], alpha=0.85, label=label)
            ax.errorbar(rho, pos, xerr=err, fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2)
        ax.set_yticks(y)
        ax.set_yticklabels([r["label"] for r in rows])
        ax.axvline(0, color="#444444", linewidth=0.8)
        lows = [r[key][1] for r in rows for key, _ in loss_labels if np.isfinite(r[key][1])]
        highs = [r[key][2] for r in rows for key, _ in loss_labels if np.isfinite(r[key][2])]
        ax.set_xlim(max(-1.0, min([-0.2] + lows) - 0.05), min(1.0, max([0.2] + highs) + 0.05))
        ax.set_xlabel("Spearman rank correlation with the loss (bars: 95% interval)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        ax.set_title("Sampled parameters ranked by |rank correlation| with max drawdown")
        fig.tight_layout()
        return png(fig)


def driver_bins(panels, ylabel, baseline, baseline_label, values_are_shares):
    """Small multiples: a statistic of the loss in quantile bins of each parameter, with 95% intervals.

    panels: dicts with title, xlabel, discrete, tick_labels, bins (x, y, lo, hi)."""
    with _style():
        cols = 4 if len(panels) > 6 else 3
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(12, 3.2 * rows), squeeze=False)
        for ax, p in zip(axes.flat, panels):
            x = np.asarray(p["x"], dtype=float)
            y = np.asarray(p["y"], dtype=float) * 100.0
            lo = np.asarray(p["lo"], dtype=float) * 100.0
            hi = np.asarray(p["hi"], dtype=float) * 100.0
            ax.axhline(baseline * 100.0, color=GREY, linewidth=0.9, linestyle="--")
            # Clipped at 0: Wilson's bound at 0 successes can round to +1e-18, above the estimate.
            ax.errorbar(x, y, yerr=[np.maximum(y - lo, 0.0), np.maximum(hi - y, 0.0)], fmt="o-", color=INK, markersize=4, linewidth=1.2,
                        ecolor=INK, elinewidth=0.9, capsize=2.5)
            ax.set_title(p["title"], fontsize=9.5, linespacing=1.35)
            ax.set_xlabel(p["xlabel"], fontsize=8.5)
            if p["discrete"]:
                ax.set_xticks(x)
                ax.set_xticklabels(p["tick_labels"])
                ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
            elif p.get("log"):
                ax.set_xscale("log")
                _log_axis(ax.xaxis, x.min(), x.max(), ticker.FuncFormatter(lambda v, _p: f"{v:g}"))
            else:
                ax.xaxis.set_major_locator(ticker.MaxNLocator(5))
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: f"{v:g}%"))
            ax.set_ylim(bottom=0 if values_are_shares else None)
        for i, ax in enumerate(axes.flat):
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=INK, marker="o", markersize=4, label="bin estimate, 95% interval"),
                   Line2D([], [], color=GREY, linestyle="--", label=baseline_label)]
        fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.01))
        fig.tight_layout(rect=(0, 0.04, 1, 1), h_pad=1.6, w_pad=1.6)
        return png(fig)



# ---- sweeps ----
SERIES_COLORS = (INK, LONG, SHORT, ADL, FUND, "#1f6fb2", "#7f8c8d", "#e67e22")


def _value_axis(axis, unit):
    """Tick labels of a statistic's axis in its unit (fraction as %, quote with k/M/bn)."""
    if unit == "fraction":
        axis.set_major_formatter(_percent_axis_formatter(True))
    elif unit == "quote":
        axis.set_major_formatter(_quote_formatter())


def sweep_panels(panels, cols=3, legend_title=None):
    """Small multiples of a statistic against a swept key: lines with error bars (grid) or points (Latin
    hypercube). panels: dicts with title, xlabel, ylabel, unit, log (x axis), series: dicts with label, x,
    y, lo, hi (None: no interval), line (bool)."""
    with _style():
        cols = min(cols, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.1 * cols, 3.3 * rows), squeeze=False)
        labelled = False
        for ax, p in zip(axes.flat, panels):
            for i, s in enumerate(p["series"]):
                x = np.asarray(s["x"], dtype=float)
                y = np.asarray(s["y"], dtype=float)
                color = SERIES_COLORS[i % len(SERIES_COLORS)]
                style = dict(color=color, markersize=4 if s["line"] else 3.5, linewidth=1.3,
                             label=s.get("label"))
                if s.get("lo") is not None:
                    lo, hi = np.asarray(s["lo"], dtype=float), np.asarray(s["hi"], dtype=float)
                    yerr = [np.maximum(y - lo, 0.0), np.maximum(hi - y, 0.0)]
                    ax.errorbar(x, y, yerr=yerr, fmt="o-" if s["line"] else "o", ecolor=color, elinewidth=0.9,
                                capsize=2.5, alpha=1.0 if s["line"] else 0.8, **style)
                else:
                    ax.plot(x, y, "o-" if s["line"] else "o", alpha=1.0 if s["line"] else 0.8, **style)
                labelled = labelled or bool(s.get("label"))
            ax.set_title(p["title"], fontsize=9.5, linespacing=1.35)
            ax.set_xlabel(p["xlabel"], fontsize=8.5)
            ax.set_ylabel(p.get("ylabel", ""), fontsize=8.5)
            if p.get("xticklabels"):  # a choice axis: its names at its indices
                ax.set_xticks([i for i, _ in p["xticklabels"]], [t for _, t in p["xticklabels"]])
            elif p.get("log"):
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: f"{v:g}"))
            else:
                ax.xaxis.set_major_locator(ticker.MaxNLocator(6))
            _value_axis(ax.yaxis, p.get("unit", ""))
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        if labelled:
            handles, labels = axes.flat[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False,
                       title=legend_title, bbox_to_anchor=(0.5, -0.01))
            fig.tight_layout(rect=(0, 0.08 if rows == 1 else 0.05, 1, 1), h_pad=1.6, w_pad=1.6)
        else:
            fig.tight_layout(h_pad=1.6, w_pad=1.6)
        return png(fig)


def sweep_heatmaps(panels, cols=3):
    """One heatmap per panel: z[i, j] at (x tick j, y tick i), values written in the cells when few.
    panels: dicts with title, xlabel, ylabel, xticks, yticks (labels), z (2-D), unit, annotate."""
    from report_common import with_unit
    with _style():
        cols = min(cols, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.6 * rows), squeeze=False)
        for ax, p in zip(axes.flat, panels):
            z = np.asarray(p["z"], dtype=float)
            finite = z[np.isfinite(z)]
            vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            image = ax.imshow(z, origin="lower", aspect="auto", cmap="magma_r", vmin=vmin,
                              vmax=vmax if vmax > vmin else vmin + 1e-300)
            ax.grid(False)
            ax.set_xticks(range(z.shape[1]))
            ax.set_xticklabels(p["xticks"], rotation=0 if z.shape[1] <= 6 else 45)
            ax.set_yticks(range(z.shape[0]))
            ax.set_yticklabels(p["yticks"])
            ax.set_xlabel(p["xlabel"], fontsize=8.5)
            ax.set_ylabel(p["ylabel"], fontsize=8.5)
            ax.set_title(p["title"], fontsize=9.5, linespacing=1.35)
            bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
            _value_axis(bar.ax.yaxis, p.get("unit", ""))
            bar.ax.tick_params(labelsize=7.5)
            if p.get("annotate"):
                middle = (vmin + vmax) / 2
                for i in range(z.shape[0]):
                    for j in range(z.shape[1]):
                        ax.text(j, i, with_unit(z[i, j], p.get("unit", ""), 2), ha="center", va="center",
                                fontsize=9, color="white" if np.isfinite(z[i, j]) and z[i, j] > middle
                                else "#1d2329")
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        fig.tight_layout(h_pad=1.8, w_pad=1.2)
        return png(fig)


# ---- sizing the insurance fund ----
def fund_curve(curves, sizes, run_fund=None, confidence=0.95):
    """P(ADL) against the initial fund, one panel per measure, log-log, with the pointwise band.

    curves: dicts with title, xlabel, unit ('fraction' of OI or 'quote'), x (fund values > 0), p, lo, hi (P(ADL)
    with a fund of x), n, p0 (P(ADL) with no fund). sizes: dicts with label, p (the target), and per unit
    {'fraction': (fund, lo, hi), 'quote': ...}: the smallest fund meeting the target with its interval.
    run_fund: the run's own fund as a share of OI, or None.
    """
    with _style():
        fig, axes = plt.subplots(1, len(curves), figsize=(5.6 * len(curves), 4.3), squeeze=False)
        for ax, c in zip(axes.flat, curves):
            ax.set_title(c["title"])
            ax.set_xlabel(c["xlabel"])
            ax.set_ylabel("P(ADL) with this initial fund")
            n = c["n"]
            scale = 100.0 if c["unit"] == "fraction" else 1.0
            if len(c["x"]) == 0:
                ax.text(0.5, 0.5, f"no path needs a fund\n(ADL on none of the {n:,} paths with any fund)",
                        ha="center", va="center", transform=ax.transAxes, color=GREY)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            x = np.asarray(c["x"]) * scale
            floor = 0.3 / n
            ax.fill_between(x, np.maximum(c["lo"], floor), c["hi"], step="post", color=BAND, alpha=0.55,
                            linewidth=0, label=f"{100 * confidence:g}% pointwise band (Wilson)")
            ax.step(x, np.maximum(c["p"], floor), where="post", color=INK, linewidth=1.4,
                    label="P(fund_needed > fund)")
            for s, marker in zip(sizes, ("o", "s", "D", "^")):
                fund, lo, hi = s[c["unit"]]
                if not (np.isfinite(fund) and fund > 0):
                    continue
                lo_x = lo * scale if np.isfinite(lo) and lo > 0 else x.min()
                hi_x = hi * scale if np.isfinite(hi) else x.max()
                ax.errorbar([fund * scale], [s["p"]], xerr=[[fund * scale - lo_x], [max(hi_x - fund * scale, 0)]],
                            fmt=marker, color=LONG, markersize=5.5, capsize=3, elinewidth=1.1, zorder=5,
                            label=f"P(ADL) ≤ {100 * s['p']:g}%: {s['text'][c['unit']]}")
            if run_fund is not None and c["unit"] == "fraction" and run_fund > 0:
                ax.axvline(run_fund * scale, color=FUND, linewidth=1.3, linestyle="--",
                           label=f"this run's fund: {100 * run_fund:.3g}% of OI")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(floor, 1.15)
            ax.set_xlim(x.min() / 1.3, x.max() * 1.3)
            _log_axis(ax.xaxis, x.min(), x.max(), _percent_axis_formatter(False) if c["unit"] == "fraction"
                      else _quote_formatter())
            _log_axis(ax.yaxis, floor, 1.0, _percent_axis_formatter(True))
            legend = ax.legend(loc="lower left", title=f"{n:,} paths; with no fund P(ADL) = {100 * c['p0']:.3g}%",
                               title_fontsize=8)
            legend._legend_box.align = "left"
        fig.tight_layout(w_pad=2.5)
        return png(fig)


# ---- ADL designs ----
def adl_designs(panels, designs):
    """Per output, the distribution over the paths with ADL of each design (empirical CDFs on a log axis).

    panels: dicts with title, xlabel, unit, values: {design: array of the paths' values}. designs: names in
    order (one color each)."""
    with _style():
        cols = min(3, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.5 * rows), squeeze=False)
        for ax, p in zip(axes.flat, panels):
            ax.set_title(p["title"], fontsize=9.5)
            ax.set_xlabel(p["xlabel"], fontsize=8.5)
            ax.set_ylabel("share of paths with ADL ≤ x", fontsize=8.5)
            drawn = False
            positive_all = np.concatenate([v[v > 0] for v in p["values"].values()] or [np.array([])])
            for i, name in enumerate(designs):
                v = np.sort(np.asarray(p["values"].get(name, []), dtype=float))
                v = v[np.isfinite(v)]
                if v.size == 0:
                    continue
                color = SERIES_COLORS[i % len(SERIES_COLORS)]
                zero = np.count_nonzero(v <= p.get("zero", 0.0)) / v.size
                label = f"{name} ({v.size:,} paths" + (f", {100 * zero:.3g}% at 0)" if zero > 0 else ")")
                positive = v[v > p.get("zero", 0.0)]
                if positive.size:
                    ax.step(positive, zero + np.arange(1, positive.size + 1) / v.size, where="post", color=color,
                            linewidth=1.4, label=label)
                    drawn = True
                else:
                    ax.plot([], [], color=color, label=label + ": all 0")
            if drawn and positive_all.size:
                ax.set_xscale("log")
                _log_axis(ax.xaxis, positive_all.min(), positive_all.max(),
                          _quote_formatter() if p["unit"] in ("quote", "positions")
                          else ticker.FuncFormatter(lambda v, _p: f"{v:g}"))
            else:
                ax.text(0.5, 0.5, "0 on every path with ADL\n(no design took more than it had to)", ha="center",
                        va="center", transform=ax.transAxes, color=GREY)
            ax.set_ylim(0, 1.02)
            ax.legend(loc="lower right", fontsize=7.5)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        fig.tight_layout(h_pad=1.8, w_pad=1.8)
        return png(fig)


# ---- the liquidation map ----
def liquidation_map(m):
    """The liquidation map of a crowd (wipeout liq-map --png, the report's map): top, the notional liquidated in
    each price bin (longs below P0, shorts above); bottom, on a log axis, the cumulative forced notional from P0
    outward against the depth resting within the same move, the cliffs where the first exceeds the second.

    m: dict with p0, price (bin centres), width, long, short, long_cum, short_cum, bid_depth, ask_depth (arrays;
    depth inf where unlimited), cliff_down and cliff_up (dicts with found, price, move, forced, depth), title."""
    price = np.asarray(m["price"], dtype=float)
    width = float(m["width"])
    p0 = float(m["p0"])
    low, high = price - width / 2, price + width / 2
    edges = np.append(low, high[-1])
    long_, short = np.asarray(m["long"], dtype=float), np.asarray(m["short"], dtype=float)
    with _style():
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True,
                                          gridspec_kw={"height_ratios": [1, 1.15], "hspace": 0.08})
        top.stairs(long_, edges, fill=True, color=LONG, alpha=0.85, label="longs liquidated (below P0)")
        top.stairs(short, edges, fill=True, color=SHORT, alpha=0.85, label="shorts liquidated (above P0)")
        top.set_ylabel("notional per bin\n(qty × liquidation price)")
        top.yaxis.set_major_formatter(_quote_formatter())
        top.set_title(m.get("title") or "Liquidation map")
        top.legend(loc="upper right")

        below, above = low < p0, high > p0
        curves = (
            (low[below], np.asarray(m["long_cum"], dtype=float)[below], LONG, "-",
             "longs liquidated by a fall to x"),
            (high[above], np.asarray(m["short_cum"], dtype=float)[above], SHORT, "-",
             "shorts liquidated by a rise to x"),
            (low[below], np.asarray(m["bid_depth"], dtype=float)[below], INK, "--", "bids within the fall to x"),
            (high[above], np.asarray(m["ask_depth"], dtype=float)[above], FUNDAMENTAL, "--",
             "asks within the rise to x"))
        forced = np.concatenate([c[1] for c in curves[:2]])
        peak = float(forced[np.isfinite(forced)].max()) if forced.size else 0.0
        if peak > 0:
            floor = peak * 1e-4
            for x, y, color, style, label in curves:
                ok = np.isfinite(y) & (y > 0)
                if ok.any():
                    bottom.plot(x[ok], y[ok], color=color, linestyle=style, linewidth=1.5, label=label)
            bottom.set_yscale("log")
            bottom.set_ylim(floor, peak * 30)
            bottom.yaxis.set_major_formatter(_quote_formatter())
        else:
            bottom.text(0.5, 0.5, "no liquidation price in the range", ha="center", va="center",
                        transform=bottom.transAxes, color=GREY)
            bottom.set_yticks([])
        bottom.set_ylabel("cumulative from P0 (quote)")
        bottom.set_xlabel("price")
        for ax in (top, bottom):
            ax.axvline(p0, color="#222222", linestyle=":", linewidth=1.1)
        top.annotate(f"P0 = {p0:,.6g}", (p0, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                     textcoords="offset points", fontsize=8, color="#222222")
        for key, sign, color in (("cliff_down", "−", LONG), ("cliff_up", "+", SHORT)):
            c = m.get(key) or {}
            if not c.get("found"):
                continue
            for ax in (top, bottom):
                ax.axvline(c["price"], color=color, linestyle="--", linewidth=1.1)
            bottom.annotate(f"cliff {sign}{100 * c['move']:.3g}%\n{quote(c['forced'])} forced > "
                            f"{quote(c['depth'])} depth", (c["price"], 0.97), xycoords=("data", "axes fraction"),
                            xytext=(4 if sign == "+" else -4, 0), textcoords="offset points", va="top",
                            ha="left" if sign == "+" else "right", fontsize=8, color=color)
        bottom.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        bottom.set_xlim(edges[0], edges[-1])
        if peak > 0:
            bottom.legend(loc="lower right", fontsize=7.5)
        return png(fig)


# ---- the liquidation response ----
def response_curve(curves):
    """Long liquidations over open interest against the fall (paths by max_drawdown, days by their fall from
    the open), per bin of the fall, and the pooled long share of liquidations.

    curves: dicts with label, color, style ('model' draws markers and the 10-90% range), and rows (the
    response.curve rows: label, median, p10, p90, long_share)."""
    with _style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.5, 1]})
        labels = [row["label"] for row in curves[0]["rows"]]
        x = np.arange(len(labels))
        positive = []
        for i, c in enumerate(curves):
            med = np.array([row["median"] for row in c["rows"]], dtype=float)
            ok = np.isfinite(med) & (med > 0)
            shift = (i - (len(curves) - 1) / 2) * 0.08  # keep the markers and ranges of the curves apart
            if c.get("style") == "model":
                lo = np.array([row["p10"] for row in c["rows"]], dtype=float)
                hi = np.array([row["p90"] for row in c["rows"]], dtype=float)
                floor = np.where(lo > 0, lo, np.nan)
                left.vlines(x[ok] + shift, np.where(np.isfinite(floor), floor, med)[ok], hi[ok], color=c["color"],
                            alpha=0.35, linewidth=5, label=f"{c['label']}: 10–90% of paths")
                positive.extend(hi[ok & (hi > 0)])
                positive.extend(lo[ok & (lo > 0)])
                left.plot(x[ok] + shift, med[ok], color=c["color"], marker="o", linewidth=1.8,
                          label=f"{c['label']}: median")
            else:
                left.plot(x[ok] + shift, med[ok], color=c["color"], marker="s", markersize=4,
                          linestyle=c.get("style", "--"), linewidth=1.4, label=c["label"])
            positive.extend(med[ok])
            share = np.array([row["long_share"] for row in c["rows"]], dtype=float)
            sok = np.isfinite(share)
            right.plot(x[sok], share[sok], color=c["color"], marker="o" if c.get("style") == "model" else "s",
                       markersize=5 if c.get("style") == "model" else 4,
                       linestyle="-" if c.get("style") == "model" else c.get("style", "--"), label=c["label"])
        if positive:
            left.set_yscale("log")
            lo, hi = min(positive), max(positive)
            left.set_ylim(lo / 2, hi * 2)
            _log_axis(left.yaxis, lo / 2, hi * 2, _percent_axis_formatter(True))
        else:
            left.text(0.5, 0.5, "no long liquidated in any bin", ha="center", va="center",
                      transform=left.transAxes, color=GREY)
        left.set_title("Long liquidations over open interest")
        left.set_ylabel("long liquidations / OI (log)")
        right.set_title("Pooled long share of liquidations")
        right.set_ylabel("longs / (longs + shorts)")
        right.set_ylim(0, 1.02)
        for ax in (left, right):
            ax.set_xticks(x)
            ax.set_xticklabels(labels)
        left.legend(loc="upper left")
        right.legend(loc="lower right")
        left.set_xlabel("fall: a path's max drawdown, a day's 1 − low / open")
        right.set_xlabel("fall")
        return png(fig)
