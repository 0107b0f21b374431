"""The report of one `wipeout-results` file: tables (CSV), figures (PNG) and the HTML sections."""
import math

import numpy as np

import report_figures as figures
import report_stats as stats
import response
from report_common import DUST_QUOTE, ReportError, csv_text, duration, is_number, percent, quote, sig, with_unit
from report_data import ResultsFile
from report_html import banner_html, esc, figure, meta_cells, report_title, status_html, table, value_with_ci

# Every file a results report can write (figures/ and tables/ relative to the report directory), so a
# --force rerun removes the ones this run does not produce (e.g. the V-bounce of a file without trajectories).
EXCEEDANCE_OUTPUTS = (
    ("max_drawdown", "Max drawdown", "max drawdown x (% of P0)"),
    ("liquidated_notional", "Liquidated notional (long + short)", "liquidated notional x (quote ccy)"),
    ("fund_payout", "Insurance fund payout", "fund payout x (quote ccy)"),
    ("adl_notional", "ADL notional", "auto-deleveraged notional x (quote ccy)"),
)
ALL_FILES = (
    "report.html", "scenario.toml",
    "figures/exceedance.png", "figures/distributions.png", "figures/vbounce.png", "figures/vbounce_horizon.png",
    "figures/drivers_rank.png", "figures/drivers_mean.png", "figures/drivers_tail.png",
    "tables/headline.csv", "tables/probabilities.csv", "tables/summary.csv", "tables/distributions.csv",
    "tables/trajectories.csv", "tables/drivers.csv", "tables/driver_bins.csv",
    "figures/fund_curve.png", "tables/fund_sizes.csv", "tables/fund_curve.csv",
    "figures/liquidation_map.png", "tables/liquidation_map.csv", "figures/response.png", "tables/response.csv",
) + tuple(f"tables/exceedance_{name}.csv" for name, _, _ in EXCEEDANCE_OUTPUTS)
FUND_TARGETS = (0.01, 0.001)  # P(ADL) the fund is sized for: a 99% and Binance's stated 99.9% level

HEADLINE = (
    ("max_drawdown", "Max drawdown", "% of P0"),
    ("liquidated_notional", "Liquidated notional, long + short", "quote ccy"),
    ("liquidated_long_notional", "… of which longs", "quote ccy"),
    ("liquidated_short_notional", "… of which shorts", "quote ccy"),
    ("fund_payout", "Insurance fund payout", "quote ccy"),
    ("adl_notional", "ADL notional", "quote ccy"),
    ("bad_debt", "Bad debt (uncovered)", "quote ccy"),
)
HEADLINE_STATS = ("n", "n_missing", "mean", "se", "sd", "p95", "p95_lo", "p95_hi", "p99", "p99_lo", "p99_hi",
                  "p999", "p999_lo", "p999_hi", "es95", "es95_se", "es99", "es99_se")
SUMMARY_COLUMNS = ("output", "unit", "kind", "adverse_tail", "n", "n_missing", "mean", "sd", "se", "p01", "p05",
                   "p50", "p95", "p99", "p999", "es95", "es99", "probability", "probability_lo", "probability_hi")
DISTRIBUTION_OUTPUTS = ("max_drawdown", "amplification", "recovered_1h", "recovered_4h", "recovered_end",
                        "time_to_50pct_recovery_s")
DRIVER_LOSSES = (("max_drawdown", "max drawdown"), ("liquidated_notional", "liquidated notional"),
                 ("fund_payout", "fund payout"))
MAX_DRIVER_PANELS = 8
VBOUNCE_WINDOW_MIN = 20.0  # the cascade and the V take minutes; the horizon figure shows the hours after


class ResultsReport:
    """Builds every table, figure and HTML section of one results file, in memory."""

    def __init__(self, f, path, allow_incomplete, daily_data=None):
        self.r = ResultsFile(f, path, allow_incomplete)
        self.path = path
        self.daily_data = daily_data  # --daily-data: the daily file set beside the run's response, any market
        self.files = {}      # relative path -> bytes
        self.warnings = []   # printed on stderr and shown on the page
        self._columns = {}

    # ---- data ----
    def column(self, name):
        """An output's values; 'liquidated_notional' is long + short, per path."""
        if name not in self._columns:
            if name == "liquidated_notional":
                self._columns[name] = (self.r.output("liquidated_long_notional")
                                       + self.r.output("liquidated_short_notional"))
            else:
                self._columns[name] = self.r.output(name)
        return self._columns[name]

    def column_stats(self, name):
        if name == "liquidated_notional":
            row = stats.summarize(self.column(name), "real", "upper")
            row.update(output=name, unit="quote", kind="real", adverse_tail="upper", source="computed")
            return row
        return self.r.stats(name)

    # ---- build ----
    def build(self):
        r = self.r
        if not r.complete:
            self.warnings.append(f"INCOMPLETE results file: {r.n_done:,} of {r.n_paths:,} paths on disk; every "
                                 f"number in this report comes from those paths only and is provisional")
        sections = [
            self.section_headline(),
            self.section_exceedance(),
            self.section_fund(),
            self.section_distributions(),
            self.section_vbounce(),
            self.section_drivers(),
            self.section_response(),
            self.section_liquidation_map(),
            self.section_methods(),
        ]
        self.files["scenario.toml"] = r.scenario_toml.encode("utf-8")
        self.files["tables/summary.csv"] = self.summary_csv()
        return self.header_html() + "".join(sections) + self.footer_html()

    def title(self):
        return report_title("report", self.path, self.r.complete)

    # ---- header: what was run ----
    def header_html(self):
        r = self.r
        status = status_html(r.complete, r.n_done, r.n_paths, "paths")
        meta = [
            ("Results file", f"<code>{esc(self.path)}</code>", "wide"),
            ("Paths", f"{r.n_done:,}" + ("" if r.n_done == r.n_paths else f" of {r.n_paths:,}"), ""),
            ("File status", status, ""),
            ("Seed", f"{r.seed}", ""),
            ("Saved trajectories", f"{r.n_trajectories}", ""),
            ("wipeout version", esc(r.software_version), ""),
            ("Git SHA", f"<code>{esc(r.git_sha)}</code>", ""),
            ("Created (UTC)", esc(r.created_utc), ""),
            ("Results format", esc(r.format_version), ""),
            ("Command line", f"<code>{esc(r.command_line)}</code>", "wide"),
        ]
        cells = meta_cells(meta)
        banners = banner_html(self.warnings)
        toc = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
            ("headline", "Tail risk"), ("exceedance", "Exceedance curves"), ("fund", "Fund sizing"),
            ("distributions", "Distributions"),
            ("vbounce", "V-bounce"), ("drivers", "Drivers of the tail"), ("response", "Liquidation response"),
            ("liquidation-map", "Liquidation map"),
            ("methods", "Methods")))
        return (f"<h1>Liquidation-cascade stress test</h1>"
                f'<p class="subtitle">wipeout Monte Carlo report of <code>{esc(self.path.rsplit("/", 1)[-1])}'
                f"</code>: {r.n_done:,} simulated paths of a leveraged perpetual-futures market under a "
                f"sampled macro shock.</p>{banners}<div class=\"meta\">{cells}</div>"
                f"<details><summary>Scenario (the file's root <code>scenario</code> attribute; rerun it with "
                f"<code>wipeout run scenario.toml --seed {r.seed} --paths {r.n_paths}</code>)</summary>"
                f"<pre>{esc(r.scenario_toml)}</pre></details><nav class=\"toc\">{toc}</nav>")

    def footer_html(self):
        files = ", ".join(f"<code>{esc(p)}</code>" for p in sorted(self.files) + ["report.html"])
        return (f"<footer>Written by <code>wipeout report</code> from wipeout {esc(self.r.software_version)} "
                f"(git {esc(self.r.git_sha)}) results. Files of this report: {files}.</footer>")

    # ---- headline: VaR, ES, probabilities ----
    def headline_rows(self):
        rows = []
        for name, label, unit_text in HEADLINE:
            if name != "liquidated_notional" and not self.r.has_output(name):
                continue
            s = self.column_stats(name)
            errors = stats.monte_carlo_errors(self.column(name), s.get("adverse_tail", "upper"))
            row = {"output": name, "label": label, "unit": s.get("unit", ""), "unit_text": unit_text,
                   "source": s["source"]}
            for key in HEADLINE_STATS:
                row[key] = s[key] if key in s else errors[key]
            rows.append(row)
        return rows

    def probability_rows(self):
        rows = []
        n_depleted = self.column("fund_depleted")
        ok = np.isfinite(n_depleted)
        s = self.r.stats("fund_depleted")
        rows.append({"event": "fund_depleted", "label": "Insurance fund depleted",
                     "definition": "/paths/fund_depleted = 1 (the fund could not cover a shortfall)",
                     "successes": int(np.count_nonzero(n_depleted[ok])), "n": int(ok.sum()),
                     "probability": s["probability"], "probability_lo": s["probability_lo"],
                     "probability_hi": s["probability_hi"], "source": s["source"]})
        for name, event, label in (("adl_notional", "adl_positive", "Auto-deleveraging happens (ADL > 0)"),
                                   ("bad_debt", "bad_debt_positive", "Bad debt left (bad debt > 0)")):
            v = self.column(name)
            v = v[np.isfinite(v)]
            x = int(np.count_nonzero(v > DUST_QUOTE))
            p, lo, hi = stats.wilson(x, len(v))
            rows.append({"event": event, "label": label, "successes": x,
                         "definition": f"/paths/{name} > {DUST_QUOTE:g} (a hundredth of a quote unit: less is "
                                       f"rounding residue)",
                         "n": len(v), "probability": p, "probability_lo": lo, "probability_hi": hi,
                         "source": "computed"})
        for row in rows:
            p, n = row["probability"], row["n"]
            row["se"] = math.sqrt(p * (1 - p) / n) if n and is_number(p) else float("nan")
        return rows

    def section_headline(self):
        rows = self.headline_rows()
        self.headline = {row["output"]: row for row in rows}
        self.files["tables/headline.csv"] = csv_text(
            ("output", "label", "unit", "source") + HEADLINE_STATS,
            [[row["output"], row["label"], row["unit"], row["source"]] + [row[k] for k in HEADLINE_STATS]
             for row in rows])
        probabilities = self.probability_rows()
        self.probabilities = {row["event"]: row for row in probabilities}
        keys = ("successes", "n", "probability", "probability_lo", "probability_hi", "se")
        self.files["tables/probabilities.csv"] = csv_text(
            ("event", "definition", "source") + keys,
            [[row["event"], row["definition"], row["source"]] + [row[k] for k in keys] for row in probabilities])

        def fmt(row, x):
            return percent(x) if row["unit"] == "fraction" else quote(x)

        def interval(row, lo, hi):
            if not is_number(lo) and not is_number(hi):
                return "95% CI: n/a"
            hi_text = fmt(row, hi) if is_number(hi) else "> sample max"
            lo_text = fmt(row, lo) if is_number(lo) else "< sample min"
            return f"95% CI [{lo_text}, {hi_text}]"

        def pm(row, se):
            return f"± {fmt(row, se)} (se)" if is_number(se) else "se n/a"

        body = []
        for row in rows:
            cells = [f'<td class="name">{esc(row["label"])}<span class="doc">{esc(row["unit_text"])}'
                     f'{"" if row["source"] == "summary" else " · computed from /paths"}</span></td>',
                     value_with_ci(fmt(row, row["mean"]), pm(row, row["se"]))]
            for q in ("p95", "p99", "p999"):
                cells.append(value_with_ci(fmt(row, row[q]), interval(row, row[q + "_lo"], row[q + "_hi"])))
            for e in ("es95", "es99"):
                cells.append(value_with_ci(fmt(row, row[e]), pm(row, row[e + "_se"])))
            body.append(cells)
        head = ["Loss", "Mean", "VaR 95% (p95)", "VaR 99% (p99)", "VaR 99.9% (p999)", "ES 95%", "ES 99%"]
        prob_body = []
        for row in probabilities:
            prob_body.append([f'<td class="name">{esc(row["label"])}<span class="doc">{esc(row["definition"])}'
                              f"</span></td>",
                              percent(row["probability"]),
                              f"[{percent(row['probability_lo'])}, {percent(row['probability_hi'])}]",
                              percent(row["se"]), f"{row['successes']:,} of {row['n']:,}"])
        dd = self.headline.get("max_drawdown")
        fd = self.probabilities["fund_depleted"]
        adl = self.probabilities["adl_positive"]
        liq = self.headline.get("liquidated_notional")
        findings = (
            f"<p><b>In brief.</b> One path in a hundred falls by more than <b>{percent(dd['p99'])}</b> "
            f"(VaR 99% of max drawdown, 95% CI {percent(dd['p99_lo'])}–"
            f"{percent(dd['p99_hi']) if is_number(dd['p99_hi']) else 'beyond the sample max'}); in those worst "
            f"1% the drawdown averages <b>{percent(dd['es99'])}</b> (ES 99%). Liquidations reach "
            f"<b>{quote(liq['p99'])}</b> at the 99% level. The insurance fund is depleted on "
            f"<b>{percent(fd['probability'])}</b> of paths (95% CI {percent(fd['probability_lo'])}–"
            f"{percent(fd['probability_hi'])}) and auto-deleveraging hits profitable traders on "
            f"<b>{percent(adl['probability'])}</b> ({percent(adl['probability_lo'])}–"
            f"{percent(adl['probability_hi'])}).</p>")
        return (f'<h2 id="headline">Tail risk: value at risk and expected shortfall</h2>{findings}'
                + table(head, body) +
                f'<p class="note">VaR = quantile of the loss over the {self.r.n_done:,} paths (type 7, as in '
                f"<code>/summary</code>); ES = mean of the worst 5% / 1% of paths. Grey: the Monte Carlo error of "
                f"each figure: standard error (se) of means and expected shortfalls; a distribution-free "
                f"95% order-statistic interval for each VaR (“&gt; sample max” when the run has too few paths "
                f"to bound it from above). Liquidated notional long + short is summed per path. Tables: "
                f"<code>tables/headline.csv</code>, <code>tables/probabilities.csv</code>.</p>"
                "<h3>Probabilities of a stressed fund</h3>"
                + table(["Event", "Probability", "95% Wilson interval", "Standard error", "Paths"], prob_body))

    # ---- loss exceedance curves ----
    def section_exceedance(self):
        curves = []
        for name, title, xlabel in EXCEEDANCE_OUTPUTS:
            values = self.column(name)
            x, above, n, p, lo, hi = stats.exceedance_curve(values)
            self.files[f"tables/exceedance_{name}.csv"] = csv_text(
                ("x", "count_above", "n", "p_exceed", "p_lo", "p_hi"),
                [[float(a), int(b), n, float(c), float(d), float(e)] for a, b, c, d, e in zip(x, above, p, lo, hi)])
            row = self.headline.get(name) or self.column_stats(name)
            unit = "fraction" if name == "max_drawdown" else "quote"
            fmt = percent if unit == "fraction" else quote
            var = [(f"VaR {lvl}", level, row.get(key)) for lvl, level, key in
                   (("95%", 0.95, "p95"), ("99%", 0.99, "p99"), ("99.9%", 0.999, "p999"))]
            finite_values = values[np.isfinite(values)]
            curves.append({"title": title, "xlabel": xlabel, "unit": unit, "x": x, "p": p, "lo": lo, "hi": hi,
                           "n": n, "n_positive": int(np.count_nonzero(finite_values > 0)), "var": var, "fmt": fmt,
                           "positive": finite_values[finite_values > 0]})
        self.files["figures/exceedance.png"] = figures.exceedance(curves)
        caption = ("Loss exceedance curves: the share of paths whose loss exceeds x, on log–log axes. Shaded: "
                   "pointwise 95% Monte Carlo band (Wilson score interval of the binomial exceedance count). "
                   "Markers: the VaR figures of the headline table (where the curve crosses 5%, 1% and 0.1%). A "
                   "curve starts at P(loss &gt; 0): paths with no fund payout or no ADL are not on a log axis. "
                   "Data: <code>tables/exceedance_*.csv</code>.")
        return ('<h2 id="exceedance">Loss exceedance curves</h2>'
                + figure(self.files["figures/exceedance.png"], "Loss exceedance curves", caption,
                         "figures/exceedance.png"))

    # ---- sizing the insurance fund ----
    def section_fund(self):
        head = '<h2 id="fund">Sizing the insurance fund</h2>'
        r = self.r
        if not (r.has_output("fund_needed_to_oi") and r.has_output("fund_needed")):
            return head + ("<p class=\"note\">This file has no <code>/paths/fund_needed_to_oi</code> (written by "
                           "a wipeout before fund sizing): run it again to size the fund.</p>")
        share = np.sort(stats.finite(self.column("fund_needed_to_oi")))
        quote_needed = np.sort(stats.finite(self.column("fund_needed")))
        n = len(share)
        curves, curve_rows = [], []
        for values, unit, measure, title, xlabel in (
                (share, "fraction", "fund_to_oi", "P(ADL) against the fund, as a share of OI",
                 "initial fund (% of open interest)"),
                (quote_needed, "quote", "fund_quote", "P(ADL) against the fund, in quote", "initial fund (quote ccy)")):
            x, above, _, p, lo, hi = stats.exceedance_curve(values, max_points=len(values) + 1)
            p0 = stats.wilson(int(np.count_nonzero(values > 0)), len(values))
            curve_rows.append([measure, 0.0, int(np.count_nonzero(values > 0)), len(values)] + list(p0))
            curve_rows += [[measure, float(a), int(b), len(values), float(c), float(d), float(e)]
                           for a, b, c, d, e in zip(x, above, p, lo, hi)]
            curves.append({"title": title, "xlabel": xlabel, "unit": unit, "x": x, "p": p, "lo": lo, "hi": hi,
                           "n": len(values), "p0": p0[0]})
        self.files["tables/fund_curve.csv"] = csv_text(("measure", "fund", "paths_above", "n", "p_adl", "p_lo", "p_hi"),
                                                       curve_rows)
        sizes, size_rows = [], []
        for target in FUND_TARGETS:
            f, lo, hi, above = stats.fund_size(share, target)
            q, qlo, qhi, _ = stats.fund_size(quote_needed, target)
            p, plo, phi = stats.wilson(above, n)
            size_rows.append([target, f, lo, hi, q, qlo, qhi, above, n, p, plo, phi])
            sizes.append({"p": target, "fraction": (f, lo, hi), "quote": (q, qlo, qhi),
                          "text": {"fraction": f"{percent(f)} of OI", "quote": quote(q)}})
        # The run's own fund, path by path: P(ADL) there is the run's P(fund depleted).
        own = np.where(r.parameter("fund.enabled") != 0, r.parameter("fund.initial_to_oi"), 0.0)
        need = self.column("fund_needed_to_oi")
        ok = np.isfinite(need)
        own_above = int(np.count_nonzero(need[ok] > own[ok]))
        own_p = stats.wilson(own_above, int(ok.sum()))
        fixed = float(own[0]) if np.all(own == own[0]) else None
        self.files["tables/fund_sizes.csv"] = csv_text(
            ("p_adl_target", "fund_to_oi", "fund_to_oi_lo", "fund_to_oi_hi", "fund_quote", "fund_quote_lo",
             "fund_quote_hi", "paths_above", "n", "p_adl_at_fund", "p_lo", "p_hi"),
            size_rows + [["run", fixed if fixed is not None else float("nan"), "", "", "", "", "", own_above,
                          int(ok.sum())] + list(own_p)])
        self.files["figures/fund_curve.png"] = figures.fund_curve(curves, sizes, fixed)

        def bounds(lo, hi, fmt):
            return (f"[{fmt(lo) if is_number(lo) else '< sample min'}, "
                    f"{fmt(hi) if is_number(hi) else '> sample max'}]")
        body = []
        for row in size_rows:
            target, f, lo, hi, q, qlo, qhi, above, _, p, plo, phi = row
            body.append([f"P(ADL) ≤ {percent(target)}", value_with_ci(f"{percent(f)} of OI", bounds(lo, hi, percent)),
                         value_with_ci(quote(q), bounds(qlo, qhi, quote)),
                         value_with_ci(percent(p), f"[{percent(plo)}, {percent(phi)}]"), f"{above:,} of {n:,}"])
        body.append(["This run's fund", (f"{percent(fixed)} of OI" if fixed is not None else "varies by path"), "",
                     value_with_ci(percent(own_p[0]), f"[{percent(own_p[1])}, {percent(own_p[2])}]"),
                     f"{own_above:,} of {int(ok.sum()):,}"])
        depleted = self.probabilities.get("fund_depleted")
        check = ""
        if depleted and depleted["successes"] == own_above:
            check = (" At the run's own fund it is exactly the run's P(fund depleted), path by path, as it must "
                     "be.")
        return (head +
                f"<p>Each path's <code>fund_needed</code> is the smallest initial fund with which that path would "
                f"have needed no auto-deleveraging: the fund could have paid every shortfall. ADL changes the "
                f"path (what it deleverages never reaches the book), so the engine reads it off the path an "
                f"unlimited fund would have had, which is the path itself up to its first ADL. A path started with "
                f"fund F therefore needs ADL exactly when its <code>fund_needed</code> exceeds F: the share of "
                f"paths above F is P(ADL | F), for every F at once, on the same paths.{check}</p>"
                + figure(self.files["figures/fund_curve.png"], "P(ADL) against the insurance fund", (
                    "P(ADL) as a function of the initial insurance fund, on log–log axes, as a share of open "
                    "interest (left) and in quote (right), with the pointwise 95% Wilson band. Markers: the "
                    "smallest fund meeting P(ADL) ≤ 1% and ≤ 0.1%, with the distribution-free 95% interval of "
                    "that fund (order statistics of fund_needed); dashed: the fund this run had. Data: "
                    "<code>tables/fund_curve.csv</code>."), "figures/fund_curve.png")
                + table(["Target", "Fund (share of OI)", "Fund (quote)", "P(ADL) at that fund in this run", "Paths"],
                        body)
                + '<p class="note">The fund for a target p is the order statistic of <code>fund_needed</code> that '
                  "leaves at most ⌊p n⌋ paths above it; its interval brackets the true (1 − p) quantile with at "
                  "least 95% coverage whatever the distribution (“&gt; sample max”: too few paths to bound it). "
                  "<code>wipeout fund FILE --p-adl P --json</code> gives the same figures for any target. "
                  "Cover-k (the fund that covers the k largest accounts' defaults) needs accounts, which the crowd "
                  "does not have yet. Table: <code>tables/fund_sizes.csv</code>.</p>")

    # ---- distributions ----
    def section_distributions(self):
        r = self.r
        names = [n for n in DISTRIBUTION_OUTPUTS if r.has_output(n)]
        rows = [self.column_stats(n) for n in names]
        self.files["tables/distributions.csv"] = csv_text(
            SUMMARY_COLUMNS[:-3] + ("source",), [[row.get(k) for k in SUMMARY_COLUMNS[:-3]] + [row["source"]]
                                                 for row in rows])
        panels = []
        specs = {
            "max_drawdown": ("Max drawdown", "max drawdown (% of P0)", 100.0, lambda v: f"{v:.3g}%", False,
                             (0.99, "p99"), None),
            "amplification": ("Amplification", "max drawdown / exogenous shock size (×)", 1.0,
                              lambda v: f"{v:.3g}×", False, (0.99, "p99"), (1.0, "1× (no cascade)")),
            "recovered_1h": ("Recovered after 1 h", "share of the drawdown recovered (%)", 100.0,
                             lambda v: f"{v:.3g}%", False, None, (100.0, "full recovery")),
            "recovered_4h": ("Recovered after 4 h", "share of the drawdown recovered (%)", 100.0,
                             lambda v: f"{v:.3g}%", False, None, (100.0, "full recovery")),
            "recovered_end": ("Recovered at the horizon", "share of the drawdown recovered (%)", 100.0,
                              lambda v: f"{v:.3g}%", False, None, (100.0, "full recovery")),
            "time_to_50pct_recovery_s": ("Time to 50% recovery", "time from the trough (log scale)", 1 / 60.0,
                                         lambda v: duration(v * 60.0), True, (0.95, "p95"), None),
        }
        for name in names:
            title, xlabel, scale, fmt, log, tail, ref = specs[name]
            panels.append({"title": title, "xlabel": xlabel, "values": self.column(name) * scale, "log": log,
                           "fmt": fmt, "tail": tail, "reference": ref, "minutes": name.endswith("_s")})
        self.files["figures/distributions.png"] = figures.distributions(panels)

        def fmt(row, x):
            if row["output"] == "amplification":
                return sig(x) + "×"
            return with_unit(x, row["unit"])
        body = [[f'<td class="name">{esc(row["output"])}<span class="doc">'
                 f'{esc(r.output_attr(row["output"], "doc"))}</span></td>',
                 value_with_ci(fmt(row, row["mean"]), f"± {fmt(row, row['se'])} (se)"),
                 fmt(row, row["p05"]), fmt(row, row["p50"]), fmt(row, row["p95"]), fmt(row, row["p99"])]
                for row in rows]
        caption = ("Distributions over all paths (histogram bars: share of paths per bin). Solid line: median; "
                   "dashed: mean; dotted red: an upper quantile. Recovered share: 100% = back to the pre-shock "
                   "price, above 100% = overshoot, below 0 = lower than the trough. Time to 50% recovery: paths "
                   "that never recover half the drawdown count the rest of the horizon. Values beyond the "
                   "0.2%–99.8% range of the linear panels are counted but not drawn.")
        return ('<h2 id="distributions">Drawdown, amplification and recovery</h2>'
                + figure(self.files["figures/distributions.png"], "Distributions", caption,
                         "figures/distributions.png")
                + table(["Output", "Mean", "p05", "Median", "p95", "p99"], body)
                + '<p class="note">Table: <code>tables/distributions.csv</code> (the /summary rows of these '
                  'outputs); every output: <code>tables/summary.csv</code>.</p>')

    # ---- V-bounce ----
    def section_vbounce(self):
        head = '<h2 id="vbounce">The V-bounce: saved price paths</h2>'
        r = self.r
        saved = r.trajectories()
        if not saved:
            return head + ("<p class=\"note\">This file holds no trajectories. Rerun with "
                           "<code>--save-trajectories K</code> to store the time series of the first K paths, "
                           "or replay one with <code>wipeout path --index I --trace FILE</code>.</p>")
        drawdown = self.column("max_drawdown")
        order = sorted(saved, key=lambda item: drawdown[item[0]])
        worst, median, mildest = order[-1], order[(len(order) - 1) // 2], order[0]
        if len(order) == 1:
            picks = [("Only saved path", worst)]
        else:
            picks = [("Worst", worst)] + ([("Median", median)] if median[0] not in (worst[0], mildest[0]) else [])
            picks.append(("Mildest", mildest))
        chosen = []
        for label, (index, trace) in picks:
            t0 = r.parameter("shock.start_s")[index] if "shock.start_s" in r.parameters else trace["time_s"][0]
            chosen.append(dict(trace, label=label, index=index, drawdown=float(drawdown[index]), t0=float(t0)))
        p0 = (float(r.parameter("market.reference_price")[chosen[0]["index"]])
              if "market.reference_price" in r.parameters else float(chosen[0]["trade_price"][0]))
        self.files["figures/vbounce.png"] = figures.vbounce(chosen, p0, VBOUNCE_WINDOW_MIN)
        self.files["figures/vbounce_horizon.png"] = figures.vbounce_horizon(chosen, p0)
        roles = {c["index"]: c["label"].lower() for c in chosen}
        extra = [n for n in ("recovered_1h", "liquidated_long_notional", "liquidated_short_notional",
                             "fund_payout", "adl_notional") if r.has_output(n)]
        rows = []
        for index, trace in sorted(saved, key=lambda item: item[0]):
            rows.append([index, roles.get(index, ""), float(drawdown[index]), len(trace["time_s"])]
                        + [float(self.column(n)[index]) for n in extra])
        self.files["tables/trajectories.csv"] = csv_text(("path", "selected_as", "max_drawdown", "rows") +
                                                         tuple(extra), rows)
        caption = (f"The worst, median and mildest of the {len(saved)} saved trajectories, ranked by max drawdown, "
                   f"over the first {VBOUNCE_WINDOW_MIN:.0f} minutes after the shock starts (dotted line). Top: "
                   f"trade price P and fundamental value V as % of the reference price P0 = {p0:,.0f}; purple "
                   f"ticks: steps with auto-deleveraging. Middle: liquidation waves, notional liquidated in "
                   f"each clock step (1 s while the cascade runs; longer, adaptive steps when calm): longs above "
                   f"the axis, shorts below, ADL notional as dots. Bottom: the insurance fund balance.")
        caption2 = ("The same paths over the whole horizon: the fast V of the cascade and the slow drift that "
                    "follows, with the fundamental (dashed) showing how much of the fall was permanent.")
        return (head + figure(self.files["figures/vbounce.png"], "V-bounce of the worst, median and mildest paths",
                              caption, "figures/vbounce.png")
                + figure(self.files["figures/vbounce_horizon.png"], "Price paths over the horizon", caption2,
                         "figures/vbounce_horizon.png")
                + '<p class="note">Saved trajectories and their outputs: <code>tables/trajectories.csv</code>; '
                  'replay any path exactly with <code>wipeout path --index I --trace FILE</code>.</p>')

    # ---- drivers of the tail ----
    def parameter_label(self, name):
        unit = self.r.parameter_attr(name, "unit")
        return f"{name} ({unit})" if unit else name

    def tick_labels(self, name, values):
        kind = self.r.parameter_attr(name, "kind")
        if kind == "flag":
            return ["no" if v == 0 else "yes" for v in values]
        if kind == "choice":
            choices = self.r.parameter_attr(name, "choices", [])
            return [choices[int(v)] if 0 <= int(v) < len(choices) else sig(v) for v in values]
        return [sig(v) for v in values]

    def section_drivers(self):
        r = self.r
        varying = r.varying_parameters()
        head = '<h2 id="drivers">What drives the tail</h2>'
        if not varying:
            return head + "<p class=\"note\">No scenario parameter varies across paths: nothing to rank.</p>"
        losses = [(name, label) for name, label in DRIVER_LOSSES]
        rows = []
        for name in varying:
            values = r.parameter(name)
            row = {"parameter": name, "label": self.parameter_label(name), "unit": r.parameter_attr(name, "unit"),
                   "kind": r.parameter_attr(name, "kind"), "distribution": r.parameter_attr(name, "distribution"),
                   "doc": r.parameter_attr(name, "doc"), "n_unique": int(np.unique(values[np.isfinite(values)]).size)}
            for loss, _ in losses:
                row[loss] = stats.spearman(values, self.column(loss))
            rows.append(row)
        rows.sort(key=lambda row: -abs(row["max_drawdown"][0]) if is_number(row["max_drawdown"][0]) else 0)
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        header = ["rank", "parameter", "unit", "kind", "n_unique", "distribution"]
        for loss, _ in losses:
            header += [f"spearman_{loss}", f"spearman_{loss}_lo", f"spearman_{loss}_hi"]
        self.files["tables/drivers.csv"] = csv_text(header, [
            [row["rank"], row["parameter"], row["unit"], row["kind"], row["n_unique"], row["distribution"]]
            + [x for loss, _ in losses for x in row[loss]] for row in rows])
        self.files["figures/drivers_rank.png"] = figures.driver_ranking(rows, losses)

        # Conditional statistics of the drawdown in bins of each parameter (the top ones in the figures).
        dd = self.column("max_drawdown")
        threshold = self.headline["max_drawdown"]["p95"]
        bin_rows, mean_panels, tail_panels = [], [], []
        for row in rows:
            name = row["parameter"]
            bins = stats.parameter_bins(r.parameter(name), dd, threshold)
            for b in bins:
                bin_rows.append([name, b["bin"], b["value"], b["param_lo"], b["param_hi"], b["param_median"], b["n"],
                                 b["mean"], b["se"], b["tail_share"], b["tail_share_lo"], b["tail_share_hi"]])
            if row["rank"] > MAX_DRIVER_PANELS or not bins:
                continue
            discrete = bins[0]["discrete"]
            x = [b["value"] if discrete else b["param_median"] for b in bins]
            positive = all(v > 0 for v in x)
            log = (not discrete and positive and ("lognormal" in row["distribution"] or max(x) / min(x) > 20))
            rho = row["max_drawdown"][0]
            lo, hi = row["max_drawdown"][1:]
            common = {"title": f"{name}\nSpearman ρ = {rho:+.2f} [{lo:+.2f}, {hi:+.2f}]", "xlabel": self.parameter_label(name) +
                      ("" if discrete else ", bin median"), "discrete": discrete, "x": x, "log": log,
                      "tick_labels": self.tick_labels(name, x) if discrete else None}
            mean_panels.append(dict(common, y=[b["mean"] for b in bins],
                                    lo=[b["mean"] - stats.Z95 * b["se"] if is_number(b["se"]) else b["mean"]
                                        for b in bins],
                                    hi=[b["mean"] + stats.Z95 * b["se"] if is_number(b["se"]) else b["mean"]
                                        for b in bins]))
            tail_panels.append(dict(common, y=[b["tail_share"] for b in bins], lo=[b["tail_share_lo"] for b in bins],
                                    hi=[b["tail_share_hi"] for b in bins]))
        self.files["tables/driver_bins.csv"] = csv_text(
            ("parameter", "bin", "value", "param_lo", "param_hi", "param_median", "n", "mean_max_drawdown",
             "se_mean_max_drawdown", "p_drawdown_above_var95", "p_lo", "p_hi"), bin_rows)
        overall_mean = self.headline["max_drawdown"]["mean"]
        self.files["figures/drivers_mean.png"] = figures.driver_bins(
            mean_panels, "mean max drawdown (% of P0)", overall_mean, f"all paths: {percent(overall_mean)}", False)
        n = int(np.isfinite(dd).sum())
        overall_tail = np.count_nonzero(dd[np.isfinite(dd)] > threshold) / n
        self.files["figures/drivers_tail.png"] = figures.driver_bins(
            tail_panels, f"P(drawdown > {percent(threshold)})", overall_tail,
            f"all paths: {percent(overall_tail)} (VaR 95% = {percent(threshold)})", True)

        def rho_text(triple):
            rho, lo, hi = triple
            if not is_number(rho):
                return "–"
            return value_with_ci(f"{rho:+.3f}", f"[{lo:+.3f}, {hi:+.3f}]")
        body = [[str(row["rank"]),
                 f'<td class="name">{esc(row["parameter"])}<span class="doc">{esc(row["doc"])}</span></td>',
                 f'<td class="l" style="white-space:normal;max-width:330px"><code>{esc(row["distribution"])}'
                 f"</code></td>"]
                + [rho_text(row[loss]) for loss, _ in losses] for row in rows]
        top = rows[0]
        lead = (f"<p>The sampled parameters ranked by the strength of their monotone association with the max "
                f"drawdown (Spearman rank correlation, which does not assume a linear effect). The strongest "
                f"driver is <b>{esc(top['parameter'])}</b> (ρ = {top['max_drawdown'][0]:+.2f}); ")
        others = [f"{esc(row['parameter'])} ({row['max_drawdown'][0]:+.2f})" for row in rows[1:4]
                  if is_number(row["max_drawdown"][0])]
        lead += ("then " + ", ".join(others) + ".</p>") if others else "</p>"
        return (head + lead
                + figure(self.files["figures/drivers_rank.png"], "Rank correlations", (
                    "Spearman rank correlation between each sampled parameter and three losses, with 95% "
                    "intervals (Fisher z, se = √(1.06 / (n − 3))). Sorted by |ρ| with the max drawdown."),
                    "figures/drivers_rank.png")
                + table(["Rank", "Parameter", "Sampled from", "ρ drawdown", "ρ liquidated", "ρ fund payout"], body,
                        left=3)
                + figure(self.files["figures/drivers_mean.png"], "Conditional mean drawdown", (
                    f"Mean max drawdown of the paths in each bin of a parameter (continuous parameters: "
                    f"equal-count quantile bins, plotted at the bin median; flags and choices: one bin per "
                    f"value), with 95% intervals (± 1.96 standard errors). Dashed: the mean over all paths. "
                    f"The {min(len(rows), MAX_DRIVER_PANELS)} strongest drivers are shown; every bin of every "
                    f"parameter is in <code>tables/driver_bins.csv</code>."), "figures/drivers_mean.png")
                + figure(self.files["figures/drivers_tail.png"], "Conditional tail probability", (
                    f"The tail itself: the share of paths in each bin whose drawdown exceeds the overall VaR 95% "
                    f"({percent(threshold)}), with 95% Wilson intervals. Dashed: 5% by construction, the share "
                    f"over all paths. A parameter that moves this line drives the tail, not just the average."),
                    "figures/drivers_tail.png"))

    # ---- the liquidation map of path 0's crowd ----
    def response_days(self):
        """The daily data set beside the run's response: (days, where from) or (None, why not)."""
        if self.daily_data:
            try:
                return response.read_days(self.daily_data), f"<code>{esc(self.daily_data)}</code>"
            except response.DataError as e:
                raise ReportError(f"--daily-data {e}") from None
        if not response.is_default_market(self.r.scenario_toml):
            return None, ("The daily data describe the default scenario's market (Binance BTCUSDT perpetual); "
                          "<code>--daily-data FILE</code> sets a file of them beside this run all the same.")
        if not response.DEFAULT_DATA.exists():
            return None, ("This run is on the default scenario's market: <code>--daily-data FILE</code> (Binance "
                          "BTCUSDT perpetual daily, the columns of <code>../shared/data</code>) sets the market's "
                          "days beside it.")
        return response.read_days(response.DEFAULT_DATA), "<code>../shared/data</code>, beside the source tree"

    def section_response(self):
        head = '<h2 id="response">Liquidation response: how much of the open interest a fall liquidates</h2>'
        names = ("max_drawdown", "max_rise", "liquidated_long_notional", "liquidated_short_notional",
                 "liquidated_oi_fraction")
        paths = {n: self.column(n) for n in names if self.r.has_output(n)}
        if any(n not in paths for n in names if n != "max_rise"):
            return head + '<p class="note">This file lacks the outputs the response needs.</p>'
        curves = [{"label": "this run", "color": figures.INK, "style": "model",
                   "rows": response.curve(response.paths_sample(paths)), "source": "paths"}]
        days, where = self.response_days()
        if days is not None:
            for (start, end), label, color, style in (
                    (response.THROTTLED_ERA, "days 2022–24 (throttled feed: lower bounds)", figures.LONG, "--"),
                    (response.COMPLETE_ERA, "days Jan 2020 – Apr 2021 (complete feed, 125× era)", figures.GREY,
                     ":")):
                chosen = days.between(start, end)
                if len(chosen):
                    curves.append({"label": label, "color": color, "style": style, "source": f"days {start} {end}",
                                   "rows": response.curve(chosen)})
        keys = ("n", "any_long", "median", "p10", "p90", "long_share", "up_n", "up_down")
        self.files["tables/response.csv"] = csv_text(
            ("source", "fall_lo", "fall_hi") + keys,
            [[c["source"], row["lo"], row["hi"]] + [row[k] for k in keys] for c in curves for row in c["rows"]])
        self.files["figures/response.png"] = figures.response_curve(curves)

        def shape(rows, i):  # a bin's median over the 2-4% bin's: the throttled feed's levels keep their shape
            base = rows[1]["median"]
            return sig(rows[i]["median"] / base, 3) + "×" if is_number(base) and base > 0 else "–"
        header = ["fall", "paths", "any long", "median long / OI", "10–90%", "× 2–4%", "long share"]
        for c in curves[1:]:
            header += [f"{esc(c['label'].split(' (')[0])}: days", "median", "× 2–4%", "long share"]
        body = []
        for i, row in enumerate(curves[0]["rows"]):
            cells = [row["label"], f"{row['n']:,}", percent(row["any_long"]), percent(row["median"]),
                     f"{percent(row['p10'])} – {percent(row['p90'])}", shape(curves[0]["rows"], i),
                     sig(row["long_share"], 2)]
            for c in curves[1:]:
                d = c["rows"][i]
                cells += [f"{d['n']:,}", percent(d["median"]), shape(c["rows"], i), sig(d["long_share"], 2)]
            body.append(cells)
        beside = (f"Beside it, the market's days ({where}), binned by their fall from the open (1 − low / open): "
                  f"2022–2024, whose feed shows at most one liquidation a second, so their levels are lower bounds "
                  f"(about ten times too low on falls of 2% and more: <code>scripts/throttle_factor.py</code>) and "
                  f"the shape (× 2–4%) and long share are what compare; and January 2020 – April 2021, whose feed "
                  f"was complete but whose crowd was the 125× era's. <code>scripts/validate_model.py</code> holds the "
                  f"default scenario against both." if days is not None else where)
        caption = ("Left, log scale: the median of each path's long liquidations over its open interest per bin of "
                   "its max drawdown, with the 10th–90th percentile of paths; right: the pooled long share of the "
                   "liquidated notional. Data: <code>tables/response.csv</code> (also the short side: the median "
                   "short liquidations over OI of the paths binned by their max rise, over the bin's long median, "
                   "<code>up_down</code>).")
        return (head +
                "<p>The liquidation response curve: the paths binned by their max drawdown, and per bin the share "
                "that liquidate any long, the long liquidations over the open interest at the start "
                "(<code>liquidated_oi_fraction</code> × the longs' share of the liquidated notional) and the long "
                f"share of liquidations. {beside}</p>" +
                table(header, body, left=1) +
                figure(self.files["figures/response.png"], "Liquidation response curve", caption,
                       "figures/response.png"))

    def section_liquidation_map(self):
        head = '<h2 id="liquidation-map">The crowd before the shock: its liquidation map</h2>'
        m = self.r.liquidation_map()
        if m is None:
            return head + ("<p class=\"note\">This file has no <code>/liquidation_map</code> (written by a wipeout "
                           "before the map): <code>wipeout liq-map</code> maps the scenario's crowd.</p>")
        p0 = float(m["reference_price"])
        width = (float(m["range_high"]) - float(m["range_low"])) / int(m["bins"])
        columns = ("price", "long_liquidated", "short_liquidated", "long_cumulative", "short_cumulative")
        self.files["tables/liquidation_map.csv"] = csv_text(
            columns, [[float(m[c][i]) for c in columns] for i in range(len(m["price"]))])
        def attr(name):  # the reach is absent from files written before it
            return float(m[name]) if name in m else float("nan")
        cliffs = {key: {"found": bool(np.isfinite(m[f"{key}_move"])), "move": float(m[f"{key}_move"]),
                        "price": float(m[f"{key}_price"]), "forced": float(m[f"{key}_forced"]),
                        "depth": float(m[f"{key}_depth"]), "reach": attr(f"{key}_reach"),
                        "reach_price": attr(f"{key}_reach_price"), "reach_forced": attr(f"{key}_reach_forced")}
                  for key in ("cliff_down", "cliff_up")}
        self.files["figures/liquidation_map.png"] = figures.liquidation_map({
            "p0": p0, "price": m["price"], "width": width, "long": m["long_liquidated"],
            "short": m["short_liquidated"], "long_cum": m["long_cumulative"], "short_cum": m["short_cumulative"],
            "bid_depth": m["bid_depth"], "ask_depth": m["ask_depth"], "cliff_down": cliffs["cliff_down"],
            "cliff_up": cliffs["cliff_up"], "title": f"Liquidation map of path {int(m['path'])}'s crowd"})

        def price_text(v):
            return f"{v:,.2f}".rstrip("0").rstrip(".")

        def cliff(key, down):
            c = cliffs[key]
            if not c["found"]:
                reach = (1 - float(m["range_low"]) / p0) if down else (float(m["range_high"]) / p0 - 1)
                return f"none within {'−' if down else '+'}{percent(max(reach, 0.0))}"
            reach = (f"; it feeds the move to {'−' if down else '+'}{percent(c['reach'])} "
                     f"(price {price_text(c['reach_price'])}), {quote(c['reach_forced'])} forced"
                     if np.isfinite(c["reach"]) else "")
            return value_with_ci(f"{'−' if down else '+'}{percent(c['move'])} (price {price_text(c['price'])})",
                                 f"{quote(c['forced'])} forced &gt; {quote(c['depth'])} "
                                 f"{'bids' if down else 'asks'} within the move{reach}")
        never = int(m["long_never_cohorts"]) + int(m["short_never_cohorts"])
        rows = [
            ["Open interest (quote at P0)", quote(m["long_open_interest"]), quote(m["short_open_interest"])],
            ["Forced notional (qty × liquidation price)", quote(m["long_notional"]), quote(m["short_notional"])],
            [f"… of which in the map, {price_text(m['range_low'])} – {price_text(m['range_high'])}",
             quote(m["long_in_range"]),
             quote(m["short_in_range"])],
            ["Cliff: the move at which forced flow first exceeds the depth", cliff("cliff_down", True),
             cliff("cliff_up", False)],
        ]
        if never:
            rows.append(["Never liquidated (longs at or below 1×, left out)",
                         f"{int(m['long_never_cohorts']):,} cohorts, {quote(m['long_never_open_interest'])} of OI",
                         ""])
        caption = (f"Top: the notional whose liquidation price lies in each {sig(width, 3)}-wide price bin, longs "
                   f"(red) below P0, shorts (green) above: the forced selling or buying that hits the book when the "
                   f"price gets there. Bottom, log scale: the same notional cumulated from P0 outward against the "
                   f"book's depth resting within the same move (dashed); a dashed vertical marks a cliff, the "
                   f"smallest move at which the forced flow exceeds the depth (it feeds the move until the depth "
                   f"catches up, its reach). Data: "
                   f"<code>tables/liquidation_map.csv</code>.")
        return (head +
                "<p>Where the crowd's liquidation prices lie before anything happens, the map market-data vendors "
                "call a liquidation heatmap, for the crowd of path 0 (a position snapshot's cohorts when the scenario "
                "has one): how far the price has to move before forced flow outruns the book. "
                "<code>wipeout liq-map</code> draws it for any path or range.</p>"
                f"<p class=\"note\">Crowd: {esc(str(m['crowd_text']))} (path {int(m['path'])}, seed "
                f"{int(m['seed'])}), around P0 = {price_text(p0)}. Book at t = 0: {esc(str(m['book_text']))}.</p>"
                + figure(self.files["figures/liquidation_map.png"], "Liquidation map", caption,
                         "figures/liquidation_map.png")
                + table(["", "Longs (a fall)", "Shorts (a rise)"], rows))

    # ---- methods and the full summary ----
    def summary_csv(self):
        rows = [self.r.stats(name) for name in self.r.outputs]
        return csv_text(SUMMARY_COLUMNS + ("source",), [[row.get(k) for k in SUMMARY_COLUMNS] + [row["source"]]
                                                       for row in rows])

    def section_methods(self):
        r = self.r
        body = []
        for name in r.outputs:
            s = r.stats(name)
            unit = s.get("unit", "")
            if s.get("kind") == "flag":
                cells = [f"P = {percent(s['probability'])}",
                         f"[{percent(s['probability_lo'])}, {percent(s['probability_hi'])}]", "", "", "", ""]
            else:
                cells = [with_unit(s["mean"], unit), with_unit(s["se"], unit)] + [
                    with_unit(s[k], unit) for k in ("p50", "p95", "p99", "es99")]
            missing = f" ({s['n_missing']:,} missing)" if s.get("n_missing") else ""
            body.append([f'<td class="name">{esc(name)}{esc(missing)}<span class="doc">'
                         f'{esc(r.output_attr(name, "doc"))}</span></td>'] + cells)
        source = ("the file's <code>/summary</code>" if r.complete else
                  "computed now from the paths on disk (the file has no /summary yet)")
        return (f'<h2 id="methods">Methods and every output</h2>'
                f"<p>Each path is an independent draw of the scenario's sampled parameters and of the market's "
                f"randomness; path <i>i</i> is a pure function of (scenario, seed, <i>i</i>), so any number here "
                f"can be reproduced, and any path replayed with <code>wipeout path --index i</code>. The "
                f"statistics quoted from <code>/summary</code> are copied exactly; the others (liquidated notional "
                f"long + short, event probabilities, Monte Carlo errors) are computed from <code>/paths</code> "
                f"with the same definitions (docs/results_format.md).</p><ul>"
                f"<li><b>Quantiles (VaR)</b>: type 7 of Hyndman &amp; Fan. Monte Carlo error: the distribution-"
                f"free interval [x<sub>(r)</sub>, x<sub>(s)</sub>] between order statistics with "
                f"P(B &lt; r) ≤ 2.5% and P(B ≥ s) ≤ 2.5%, B ~ Binomial(n, p): coverage at least 95% whatever "
                f"the distribution.</li>"
                f"<li><b>Expected shortfall</b> at level α: the mean of the ⌈(1 − α) n⌉ worst paths. Standard "
                f"error from the estimator's asymptotic variance (Var(X | tail) + α (ES − VaR)²) / (n (1 − α)).</li>"
                f"<li><b>Means</b>: standard error sd / √n.</li>"
                f"<li><b>Probabilities</b>: Wilson score interval at 95% (z = 1.96); exceedance-curve bands are "
                f"the same interval at each x (pointwise, not simultaneous).</li>"
                f"<li><b>Drivers</b>: Spearman rank correlation with average ranks for ties; 95% interval by "
                f"Fisher's z with the Fieller–Hartley–Pearson variance 1.06 / (n − 3). Bins hold equal numbers "
                f"of paths; their means carry ± 1.96 standard errors.</li></ul>"
                f"<details><summary>Summary of every output ({len(r.outputs)} outputs; {source})</summary>"
                + table(["Output", "Mean", "se", "Median", "p95", "p99", "ES 99%"], body)
                + '<p class="note">All statistics of every output: <code>tables/summary.csv</code>.</p></details>')


def build(f, path, allow_incomplete, options=None):
    """The report of a results file: (title, body HTML, files, warnings); `options` (the sweep report's
    --stat/--outputs) do not apply to it."""
    report = ResultsReport(f, path, allow_incomplete, getattr(options, "daily_data", None))
    body = report.build()
    return report.title(), body, report.files, report.warnings
