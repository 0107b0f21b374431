"""The report of one `wipeout-sweep` file: a statistic of chosen outputs across the sweep's points, as line
plots with Monte Carlo error bars (grid), heatmaps (two or more grid axes) or scatter plots with rank
correlations (Latin hypercube), plus a table (CSV) of every point."""
import numpy as np

import report_figures as figures
import report_stats as stats
from report_common import ReportError, csv_text, percent, sig, with_unit
from report_data import SweepFile
from report_html import banner_html, esc, figure, meta_cells, report_title, status_html, table

DEFAULT_STAT = "mean"
DEFAULT_OUTPUTS = ("max_drawdown", "liquidated_oi_fraction", "fund_payout", "adl_notional", "fund_depleted")
ALL_FILES = (
    "report.html", "scenario.toml",
    "figures/sweep_lines.png", "figures/sweep_heatmaps.png", "figures/sweep_marginals.png",
    "figures/sweep_scatter.png", "tables/sweep_points.csv", "tables/sweep_rank_correlations.csv",
    "figures/adl_designs.png", "tables/adl_designs.csv",
)
# The ADL-design comparison: each output on the paths with ADL, by design.
ADL_OUTPUTS = (("adl_haircut", "Haircut", "profit the deleveraged gave up (quote)"),
               ("adl_overshoot", "Overshoot", "haircut beyond the shortfall covered (quote)"),
               ("adl_max_share", "Largest position's share", "share of the path's haircut"),
               ("adl_hhi", "Concentration (HHI)", "Herfindahl index of the haircut shares"),
               ("adl_positions", "Positions hit", "positions"),
               ("bad_debt", "Bad debt", "shortfall neither the fund nor ADL covered (quote)"))
STAT_LABELS = {"mean": "mean", "sd": "sd", "p01": "p01", "p05": "p05", "p50": "median", "p95": "VaR 95%",
               "p99": "VaR 99%", "p999": "VaR 99.9%", "es95": "ES 95%", "es99": "ES 99%", "probability": "P"}
MAX_LINES = 8         # lines per panel (values of the other axis) before thinning
MAX_ANNOTATED = 64    # heatmap cells written in when the grid has at most this many
MAX_TABLE_ROWS = 200  # points shown in the HTML table (the CSV has all)


def label(output, stat):
    if stat == "probability":
        return f"P({output})"
    return f"{STAT_LABELS.get(stat, stat)} of {output}"


def tick(v):
    """A key's value, short: 0.07, 1, 2.5e+07."""
    return f"{v:.4g}"


class SweepReport:
    """Builds every table, figure and HTML section of one sweep file, in memory."""

    def __init__(self, f, path, allow_incomplete, options):
        self.s = SweepFile(f, path, allow_incomplete)
        self.path = path
        self.files = {}
        self.warnings = []
        self.stat = getattr(options, "stat", None) or DEFAULT_STAT
        requested = getattr(options, "outputs", None)
        names = [n.strip() for n in requested.split(",") if n.strip()] if requested else list(DEFAULT_OUTPUTS)
        known = self.s.statistics()
        if self.stat not in known or self.stat in ("n", "n_missing"):
            raise ReportError(f"--stat {self.stat}: not a /summary statistic of {path} (choose from: "
                              f"{', '.join(k for k in known if k not in ('n', 'n_missing'))})")
        self.shown = []  # (output, statistic): flags show their probability, other outputs --stat
        for name in names:
            if not self.s.has_output(name):
                if requested:
                    raise ReportError(f"--outputs: {path} has no output '{name}' (it has: "
                                      f"{', '.join(self.s.outputs)})")
                continue
            flag = self.s.output_attr(name, "kind", "real") == "flag"
            stat = "probability" if flag else self.stat
            if stat == "probability" and not flag:
                self.warnings.append(f"{name} is not a flag: it has no probability, left out")
                continue
            self.shown.append((name, stat))
        if not self.shown:
            raise ReportError(f"{path}: none of the outputs {', '.join(names)} can be shown")

    # ---- data ----
    def series(self, output, stat):
        """(value, lo, hi, se) at every point; lo/hi None where no interval is shown (quantiles, ES)."""
        y = self.s.point_stat(stat, output)
        if stat == "mean":
            se = self.s.point_stat("se", output)
            return y, y - stats.Z95 * se, y + stats.Z95 * se, se
        if stat == "probability":
            return y, self.s.point_stat("probability_lo", output), self.s.point_stat("probability_hi", output), None
        return y, None, None, None

    def unit(self, output, stat):
        return "fraction" if stat == "probability" else self.s.output_attr(output, "unit")

    def interval_text(self):
        parts = []
        if any(st == "mean" for _, st in self.shown):
            parts.append("means carry ± 1.96 standard errors")
        if any(st == "probability" for _, st in self.shown):
            parts.append("probabilities their 95% Wilson interval")
        if any(st not in ("mean", "probability") for _, st in self.shown):
            parts.append(f"{STAT_LABELS.get(self.stat, self.stat)} is shown without an interval (the file stores "
                         f"none for it; tables/sweep_points.csv has the per-point values)")
        return "Error bars: " + "; ".join(parts) + "."

    # ---- build ----
    def build(self):
        s = self.s
        if not s.complete:
            self.warnings.append(f"INCOMPLETE sweep file: {s.points_done:,} of {s.n_points:,} points finished "
                                 f"({s.n_done:,} of {s.n_paths:,} rows); statistics are computed from those "
                                 f"points' rows and are provisional")
        if s.design == "grid":
            k = len(s.keys)
            plots = self.section_grid1() if k == 1 else self.section_grid2() if k == 2 else self.section_gridn()
        else:
            plots = self.section_lhs()
        if "adl.design" in s.keys:
            plots += self.section_adl_designs()
        table_html = self.section_points()
        self.files["scenario.toml"] = s.scenario_toml.encode("utf-8")
        return self.header_html() + plots + table_html + self.section_methods() + self.footer_html()

    def title(self):
        return report_title("sweep report", self.path, self.s.complete)

    def header_html(self):
        s = self.s
        status = status_html(s.complete, s.points_done, s.n_points, "points")
        design = "grid" if s.design == "grid" else "Latin hypercube"
        axes = ", ".join(f"<code>{esc(s.axis_text(k) or k)}</code>" for k in s.keys)
        meta = [
            ("Sweep file", f"<code>{esc(self.path)}</code>", "wide"),
            ("Design", design + (" " + " × ".join(str(len(s.grid[k])) for k in s.keys) if s.grid else ""), ""),
            ("Points", f"{s.n_points:,}", ""),
            ("Paths per point", f"{s.per_point:,}", ""),
            ("File status", status, ""),
            ("Axes", axes, "wide"),
            ("Seed", f"{s.seed}", ""),
            ("wipeout version", esc(s.software_version), ""),
            ("Git SHA", f"<code>{esc(s.git_sha)}</code>", ""),
            ("Created (UTC)", esc(s.created_utc), ""),
            ("Command line", f"<code>{esc(s.command_line)}</code>", "wide"),
        ]
        shown = ", ".join(esc(label(o, st)) for o, st in self.shown)
        return (f"<h1>Parameter sweep of the liquidation-cascade stress test</h1>"
                f'<p class="subtitle">wipeout sweep report of <code>{esc(self.path.rsplit("/", 1)[-1])}</code>: '
                f"{s.n_points:,} points × {s.per_point:,} paths ({design}). Shown: {shown}.</p>"
                f"{banner_html(self.warnings)}<div class=\"meta\">{meta_cells(meta)}</div>"
                f"<details><summary>Base scenario (the file's root <code>scenario</code> attribute; each point "
                f"re-runs alone with <code>/sweep/command</code>, e.g. the table's last column)</summary>"
                f"<pre>{esc(s.scenario_toml)}</pre></details>")

    def footer_html(self):
        files = ", ".join(f"<code>{esc(p)}</code>" for p in sorted(self.files) + ["report.html"])
        return (f"<footer>Written by <code>wipeout report</code> from wipeout {esc(self.s.software_version)} "
                f"(git {esc(self.s.git_sha)}) sweep results. Files of this report: {files}.</footer>")

    def tick(self, key, v):
        """A key's value as shown: a choice by its name."""
        names = self.s.choices(key)
        return names[int(v)] if names and 0 <= int(v) < len(names) else tick(v)

    # ---- ADL designs compared on the paths of each design ----
    def section_adl_designs(self):
        s = self.s
        from report_common import DUST_QUOTE
        names = s.choices("adl.design") or []
        design_of_point = s.values["adl.design"][:s.points_done]
        designs = [d for d in range(len(names)) if np.any(design_of_point == d)]
        adl = s.output("adl_notional")
        panels, rows = [], []
        per_design = {}
        for d in designs:
            idx = s.rows_of(np.nonzero(design_of_point == d)[0])
            hit = idx[np.isfinite(adl[idx]) & (adl[idx] > DUST_QUOTE)]
            per_design[names[d]] = (idx, hit)
        for name, title, xlabel in ADL_OUTPUTS:
            if not s.has_output(name):
                continue
            column = s.output(name)
            panels.append({"title": title, "xlabel": xlabel, "unit": s.output_attr(name, "unit"),
                           "zero": DUST_QUOTE if s.output_attr(name, "unit") == "quote" else 0.0,
                           "values": {k: column[hit] for k, (_, hit) in per_design.items()}})
        self.files["figures/adl_designs.png"] = figures.adl_designs(panels, list(per_design))
        header = ["design", "rows", "paths_with_adl", "p_adl", "p_adl_lo", "p_adl_hi"]
        for name, _, _ in ADL_OUTPUTS:
            header += [f"{name}:mean_given_adl", f"{name}:se_given_adl", f"{name}:p99_given_adl"]
        body = []
        for design, (idx, hit) in per_design.items():
            p, lo, hi = stats.wilson(len(hit), len(idx))
            row = [design, len(idx), len(hit), p, lo, hi]
            cells = [f"<b>{esc(design)}</b>", f"{len(hit):,} of {len(idx):,}",
                     f"{percent(p)}<span class=\"ci\">[{percent(lo)}, {percent(hi)}]</span>"]
            for name, _, _ in ADL_OUTPUTS:
                v = stats.finite(s.output(name)[hit]) if s.has_output(name) else np.array([])
                summary = stats.summarize(v)
                row += [summary["mean"], summary["se"], summary["p99"]]
                unit = s.output_attr(name, "unit") if s.has_output(name) else ""
                if name in ("adl_haircut", "adl_overshoot", "adl_max_share", "adl_hhi", "bad_debt"):
                    cells.append(f"{with_unit(summary['mean'], unit)}<span class=\"ci\">± "
                                 f"{with_unit(summary['se'], unit)} se</span>")
            rows.append(row)
            body.append(cells)
        self.files["tables/adl_designs.csv"] = csv_text(header, rows)
        paired = ""
        if s.same_seed and len(per_design) > 1:
            base, (base_idx, _) = next(iter(per_design.items()))
            lines = []
            for design, (idx, _) in list(per_design.items())[1:]:
                if len(idx) != len(base_idx):
                    continue
                for name in ("adl_haircut", "bad_debt"):
                    diff = s.output(name)[idx] - s.output(name)[base_idx]
                    diff = diff[np.isfinite(diff)]
                    m = float(np.mean(diff)) if diff.size else float("nan")
                    se = float(np.std(diff, ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else float("nan")
                    lines.append(f"{esc(design)} − {esc(base)}, {esc(name)}: {with_unit(m, 'quote')} ± "
                                 f"{with_unit(se, 'quote')} (se)")
            paired = ("<p>The points share their paths (the sweep ran with <code>--same-seed</code>): until the first "
                      "ADL every design's path is the same, so the differences path by path are sharp. Mean "
                      "paired differences per path: " + "; ".join(lines) + ".</p>") if lines else ""
        caption = ("Over the paths with ADL of each design (pooled over the other axes' points), the empirical "
                   "distribution of each output: the haircut (profit the deleveraged gave up against the mark), "
                   "the overshoot (haircut beyond the shortfall it covered), the largest single position's share "
                   "of the haircut and the Herfindahl index of the positions' shares, the positions hit and the "
                   "bad debt. A curve starting above 0 has that share of paths at 0.")
        return ('<h2 id="adl-designs">ADL designs compared</h2>'
                "<p>The queue closes the best-ranked profitable positions at the liquidated position's bankruptcy "
                "price; pro-rata closes the same share of every profitable position and spreads the deficit at "
                "the mark in proportion to their profit; min-max spreads it evenly, capped at each position's "
                "profit (the smallest largest haircut). In this model the queue's overshoot is zero by "
                "construction (each unit closes at the bankruptcy price, which hands over exactly that unit's "
                "deficit): what separates the designs is who pays (concentration) and what none of them can "
                "cover (bad debt). docs/model.md, M10.</p>" + paired
                + figure(self.files["figures/adl_designs.png"], "ADL designs", caption, "figures/adl_designs.png")
                + table(["Design", "Paths with ADL", "P(ADL)", "Haircut | ADL", "Overshoot | ADL",
                         "Largest share | ADL", "HHI | ADL", "Bad debt | ADL"], body, left=1)
                + '<p class="note">Table: <code>tables/adl_designs.csv</code> (mean, se and p99 of each output over '
                  "the paths with ADL, per design).</p>")

    # ---- grid, one axis: a line per output ----
    def line_panel(self, output, stat, key, idx, series_label=None):
        """A panel of one output against `key` at the points `idx` (one or more series: list of (label, idx))."""
        series = []
        y, lo, hi, _ = self.series(output, stat)
        for name, points in idx:
            series.append({"label": name, "x": self.s.values[key][points], "y": y[points],
                           "lo": None if lo is None else lo[points], "hi": None if hi is None else hi[points],
                           "line": True})
        names = self.s.choices(key)
        return {"title": label(output, stat), "xlabel": key, "ylabel": label(output, stat),
                "unit": self.unit(output, stat), "log": self.s.is_log(key), "series": series,
                "xticklabels": list(enumerate(names)) if names else None}

    def section_grid1(self):
        key = self.s.keys[0]
        points = np.arange(self.s.n_points)
        panels = [self.line_panel(o, st, key, [(None, points)]) for o, st in self.shown]
        self.files["figures/sweep_lines.png"] = figures.sweep_panels(panels)
        return (f'<h2 id="lines">Across {esc(key)}</h2>'
                + figure(self.files["figures/sweep_lines.png"], f"statistics against {key}",
                         f"Each output's statistic at each value of <code>{esc(key)}</code>, "
                         f"{self.s.per_point:,} paths per point. {self.interval_text()}", "figures/sweep_lines.png"))

    # ---- grid, two axes: heatmaps and one line per value of the second axis ----
    def section_grid2(self):
        s = self.s
        k1, k2 = s.keys
        n1, n2 = len(s.grid[k1]), len(s.grid[k2])
        annotate = n1 * n2 <= MAX_ANNOTATED
        heat = []
        for o, st in self.shown:
            z = self.series(o, st)[0].reshape(n1, n2).T  # z[j, i]: key 1 across, key 2 up
            heat.append({"title": label(o, st), "xlabel": k1, "ylabel": k2,
                         "xticks": [self.tick(k1, v) for v in s.grid[k1]],
                         "yticks": [self.tick(k2, v) for v in s.grid[k2]], "z": z, "unit": self.unit(o, st),
                         "annotate": annotate})
        self.files["figures/sweep_heatmaps.png"] = figures.sweep_heatmaps(heat)
        chosen = np.unique(np.linspace(0, n2 - 1, min(n2, MAX_LINES)).round().astype(int))
        point_index = np.arange(s.n_points).reshape(n1, n2)
        lines = [self.line_panel(o, st, k1, [(f"{k2} = {self.tick(k2, s.grid[k2][j])}", point_index[:, j])
                                             for j in chosen])
                 for o, st in self.shown]
        self.files["figures/sweep_lines.png"] = figures.sweep_panels(lines, legend_title=None)
        thinned = "" if len(chosen) == n2 else f" ({len(chosen)} of its {n2} values, evenly spaced)"
        return (f'<h2 id="heatmaps">Over {esc(k1)} × {esc(k2)}</h2>'
                + figure(self.files["figures/sweep_heatmaps.png"], f"heatmaps over {k1} and {k2}",
                         f"The statistic at each grid point ({self.s.per_point:,} paths each): "
                         f"<code>{esc(k1)}</code> across, <code>{esc(k2)}</code> up; darker is larger"
                         + (", values written in each cell." if annotate else ".") + " No interval here: see the "
                         "line plots below and the table.", "figures/sweep_heatmaps.png")
                + figure(self.files["figures/sweep_lines.png"], f"statistics against {k1}",
                         f"The same against <code>{esc(k1)}</code>, one line per value of <code>{esc(k2)}</code>"
                         f"{thinned}. {self.interval_text()}", "figures/sweep_lines.png"))

    # ---- grid, three or more axes: marginal lines ----
    def section_gridn(self):
        s = self.s
        shape = [len(s.grid[k]) for k in s.keys]
        panels = []
        for o, st in self.shown:
            y = self.series(o, st)[0].reshape(shape)
            for a, key in enumerate(s.keys):
                others = tuple(b for b in range(len(shape)) if b != a)
                with np.errstate(all="ignore"):
                    mean, lo, hi = np.nanmean(y, axis=others), np.nanmin(y, axis=others), np.nanmax(y, axis=others)
                panels.append({"title": label(o, st), "xlabel": key, "ylabel": label(o, st),
                               "unit": self.unit(o, st), "log": s.is_log(key),
                               "series": [{"label": None, "x": s.grid[key], "y": mean, "lo": lo, "hi": hi,
                                           "line": True}]})
        self.files["figures/sweep_marginals.png"] = figures.sweep_panels(panels, cols=len(s.keys))
        return ('<h2 id="marginals">Marginal effect of each axis</h2>'
                + figure(self.files["figures/sweep_marginals.png"], "marginal line plots",
                         f"With {len(s.keys)} axes, each panel shows one axis: the statistic averaged over every "
                         f"combination of the other axes (line), and the bars span its minimum to maximum over "
                         f"them (the spread the other axes cause, not a Monte Carlo interval). Monte Carlo errors "
                         f"of each point are in the table below.", "figures/sweep_marginals.png"))

    # ---- Latin hypercube: scatter and rank correlation per key ----
    def section_lhs(self):
        s = self.s
        panels, rows = [], []
        for o, st in self.shown:
            y, lo, hi, _ = self.series(o, st)
            for key in s.keys:
                rho, rlo, rhi = stats.spearman(s.values[key], y)
                rows.append((o, st, key, rho, rlo, rhi))
                panels.append({"title": f"{label(o, st)}\nSpearman ρ = {rho:.2f} [{rlo:.2f}, {rhi:.2f}]",
                               "xlabel": key, "ylabel": label(o, st), "unit": self.unit(o, st),
                               "log": s.is_log(key),
                               "series": [{"label": None, "x": s.values[key], "y": y, "lo": lo, "hi": hi,
                                           "line": False}]})
        cols = len(s.keys) if len(s.keys) in (3, 4) else 3  # a panel per (output, key), flowing in rows
        self.files["figures/sweep_scatter.png"] = figures.sweep_panels(panels, cols=cols)
        self.files["tables/sweep_rank_correlations.csv"] = csv_text(
            ("output", "statistic", "key", "spearman", "spearman_lo", "spearman_hi"), rows)
        body = [[esc(o), esc(STAT_LABELS.get(st, st)), f"<code>{esc(k)}</code>", sig(r, 3),
                 f"[{sig(a, 3)}, {sig(b, 3)}]"] for o, st, k, r, a, b in rows]
        return ('<h2 id="scatter">Across the Latin hypercube</h2>'
                + figure(self.files["figures/sweep_scatter.png"], "scatter against each key",
                         f"The statistic at each of the {s.n_points:,} points ({s.per_point:,} paths each) against "
                         f"each swept key; the title gives the Spearman rank correlation over the points with its "
                         f"95% Fisher-z interval. {self.interval_text()}", "figures/sweep_scatter.png")
                + table(["Output", "Statistic", "Key", "Spearman ρ", "95% interval"], body, left=3))

    # ---- every point ----
    def section_points(self):
        s = self.s
        header = ["point"] + list(s.keys) + ["seed"]
        columns = []  # (header, values, output, statistic)
        for o, st in self.shown:
            y, lo, hi, se = self.series(o, st)
            columns.append((f"{o}:{st}", y, o, st))
            if st == "mean":
                columns.append((f"{o}:se", se, o, "se"))
            elif st == "probability":
                columns.append((f"{o}:probability_lo", lo, o, st))
                columns.append((f"{o}:probability_hi", hi, o, st))
        header += [c[0] for c in columns]
        rows = []
        for p in range(s.n_points):
            rows.append([p] + [float(s.values[k][p]) for k in s.keys] + [s.seeds[p]]
                        + [float(c[1][p]) for c in columns])
        self.files["tables/sweep_points.csv"] = csv_text(header + ["command"], [
            r + [s.commands[p] if p < len(s.commands) else ""] for p, r in enumerate(rows)])
        html_head = ["Point"] + [f"<code>{esc(k)}</code>" for k in s.keys] + ["Seed"]
        for o, st in self.shown:
            html_head.append(esc(label(o, st)))
        body = []
        for p in range(min(s.n_points, MAX_TABLE_ROWS)):
            cells = [str(p)] + [self.tick(k, s.values[k][p]) for k in s.keys] + [f"<code>{s.seeds[p]}</code>"]
            for o, st in self.shown:
                y, lo, hi, se = self.series(o, st)
                unit = self.unit(o, st)
                text = with_unit(y[p], unit)
                if st == "mean":
                    text += f'<span class="ci">± {with_unit(se[p], unit)} se</span>'
                elif st == "probability":
                    text += f'<span class="ci">[{percent(lo[p])}, {percent(hi[p])}]</span>'
                cells.append(text)
            body.append(cells)
        more = (f" The first {MAX_TABLE_ROWS} of {s.n_points:,} points are shown." if s.n_points > MAX_TABLE_ROWS
                else "")
        return ('<h2 id="points">Every point</h2>'
                + table(html_head, body, left=1)
                + f'<p class="note">All points, the values exactly as in <code>/summary</code> (standard errors '
                  f"and Wilson bounds included) and each point's re-run command: "
                  f"<code>tables/sweep_points.csv</code>.{more}</p>")

    def section_methods(self):
        s = self.s
        source = ("copied exactly from the file's <code>/summary</code>" if s.complete else
                  "computed from the finished points' rows (the file has no /summary yet), with the same "
                  "definitions")
        return (f'<h2 id="methods">Methods</h2><ul>'
                f"<li>Each point is an independent run of {s.per_point:,} paths of the base scenario with the "
                f"swept keys set, seeded "
                + ("with the sweep's own seed at every point (<code>--same-seed</code>: the same paths, common "
                   "random numbers)" if s.same_seed else "<code>derive_seed(seed, point)</code>")
                + f"; its statistics are {source}.</li>"
                f"<li><b>Means</b>: ± 1.96 sd / √n. <b>Probabilities</b>: Wilson score interval at 95%. "
                f"<b>Quantiles (VaR) and expected shortfall</b>: the value only (no interval is stored per "
                f"point; the run report of a point, <code>wipeout report</code> of its re-run, gives one).</li>"
                + ("<li><b>Rank correlation</b> (Latin hypercube): Spearman over the points, 95% interval by "
                "Fisher's z with variance 1.06 / (n − 3). It measures the monotone effect of each key on the "
                "statistic, mixed with the Monte Carlo noise of each point.</li>" if s.design != "grid" else "")
                + "</ul>")


def build(f, path, allow_incomplete, options=None):
    """The report of a sweep file: (title, body HTML, files, warnings)."""
    report = SweepReport(f, path, allow_incomplete, options)
    body = report.build()
    return report.title(), body, report.files, report.warnings
