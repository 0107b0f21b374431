#!/usr/bin/python3
"""wipeout report FILE.h5 [-o DIR] [--force] [--allow-incomplete] [--stat STAT] [--outputs A,B,...] [--daily-data CSV]

Writes a self-contained HTML report of a wipeout results or sweep file (figures embedded as base64 PNG), plus
the figures as PNG and the tables as CSV, into DIR (default: <file stem>_report/ next to the file).

Run through `wipeout report` (src/cli/report.cpp), or directly with Debian's Python:
    /usr/bin/python3 scripts/report/wipeout_report.py results/run.h5
Exit status: 0 written; 2 bad input (one line on stderr: missing file, not a wipeout file, incomplete file,
existing report without --force); 1 an unexpected failure (one line; WIPEOUT_DEBUG=1 shows the traceback).
"""
import argparse
import os
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_common import ReportError  # noqa: E402 (no numpy: --help and usage errors stay fast)

PROG = "wipeout report"
EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


def _matplotlib_cache():
    """matplotlib needs a writable config/cache folder; a read-only HOME (CI, containers) must not break us."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    home_cache = os.path.join(os.path.expanduser("~"), ".config", "matplotlib")
    parent = os.path.dirname(home_cache)
    if os.access(home_cache, os.W_OK) or (not os.path.exists(home_cache) and os.access(parent, os.W_OK)):
        return
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="wipeout-mpl-")


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2, like every wipeout command."""

    def error(self, message):
        sys.stderr.write(f"{PROG}: error: {message} (see '{PROG} --help')\n")
        sys.exit(EXIT_BAD_INPUT)


def parse_args(argv):
    p = Parser(prog=PROG, description=(
        "Write a self-contained HTML report of a wipeout results file: tail risk (VaR, expected shortfall, "
        "probabilities with Monte Carlo errors), loss exceedance curves, distributions, the V-bounce of saved "
        "trajectories and the drivers of the tail; plus every figure as PNG and every table as CSV."),
        epilog="Examples: wipeout report results/run.h5 -o results/run_report; "
               "wipeout report results/sweep.h5 --stat p99 --outputs max_drawdown,fund_depleted")
    p.add_argument("file", metavar="FILE.h5", help="a results file written by 'wipeout run' or 'wipeout sweep'")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="report directory (default: <file stem>_report next to the file)")
    p.add_argument("--force", action="store_true", help="overwrite the files of an existing report in DIR")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="report on an interrupted run's paths on disk (marked PROVISIONAL) instead of refusing")
    p.add_argument("--stat", metavar="STAT", default=None,
                   help="sweep files: the /summary statistic shown (default mean; e.g. p99, es99, sd); flag "
                        "outputs always show their probability")
    p.add_argument("--outputs", metavar="A,B,...", default=None,
                   help="sweep files: the outputs shown (default max_drawdown, liquidated_oi_fraction, "
                        "fund_payout, adl_notional, fund_depleted)")
    p.add_argument("--daily-data", metavar="FILE", default=None,
                   help="results files: a market's daily file (date, open, high, low, oi_open_btc, oi_close_btc, "
                        "long_liq_btc, short_liq_btc; ../shared/data's Binance BTCUSDT perpetual) set beside the "
                        "run's liquidation response; default: that file beside the source tree, for a run on the "
                        "default scenario's market")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p.parse_args(argv)


def default_output_dir(path):
    folder, name = os.path.split(os.path.abspath(path))
    stem = name[:-3] if name.endswith(".h5") else os.path.splitext(name)[0]
    return os.path.join(folder, stem + "_report")


def check_output_dir(out_dir, names, force):
    """Refuses to overwrite a user's files: any of `names` already in out_dir needs --force."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ReportError(f"{out_dir}: exists and is not a directory")
    if force:
        return
    existing = [n for n in names if os.path.lexists(os.path.join(out_dir, n))]
    if existing:
        more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
        raise ReportError(f"{out_dir}: already holds a report ({existing[0]}{more}); pass --force to overwrite it")


def write_files(out_dir, files, known, force):
    """Writes each file (atomically: temp file then rename); with --force removes a previous report's known
    files that this report does not produce, so the directory never mixes two reports."""
    for rel, data in files.items():
        target = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    if force:
        for rel in known:
            target = os.path.join(out_dir, rel)
            if rel not in files and os.path.isfile(target):
                os.unlink(target)


def reporter_for(filetype, path):
    """The report builder of a file type: the one place a new type (e.g. sweep files) is added."""
    import report_results
    import report_sweep
    builders = {
        # filetype: (build(f, path, allow_incomplete, options) -> (title, body, files, warnings),
        #            every file it may write)
        "wipeout-results": (report_results.build, report_results.ALL_FILES),
        "wipeout-sweep": (report_sweep.build, report_sweep.ALL_FILES),
    }
    if filetype not in builders:
        known = ", ".join(sorted(builders))
        raise ReportError(f"{path}: filetype '{filetype}' cannot be reported (wipeout report reads: {known})")
    return builders[filetype]


def run(args):
    import report_data
    import report_html

    f = report_data.open_hdf5(args.file)
    with f:
        ftype = report_data.filetype(f, args.file)
        build, known = reporter_for(ftype, args.file)
        out_dir = args.output or default_output_dir(args.file)
        check_output_dir(out_dir, known, args.force)  # before the work: fail fast
        try:
            if ftype != "wipeout-sweep" and (args.stat or args.outputs):
                raise ReportError("--stat and --outputs apply to sweep files only (wipeout sweep)")
            if ftype == "wipeout-sweep" and args.daily_data:
                raise ReportError("--daily-data applies to results files only (wipeout run)")
            title, body, files, warnings = build(f, args.file, args.allow_incomplete, args)
        except (KeyError, OSError) as e:  # a dataset missing or unreadable: the file, not the report, is wrong
            if os.environ.get("WIPEOUT_DEBUG"):
                traceback.print_exc()
            raise ReportError(f"{args.file}: malformed or unreadable results file: {e}") from None
    for w in warnings:
        sys.stderr.write(f"{PROG}: warning: {w}\n")
    files["report.html"] = report_html.page(title, body).encode("utf-8")
    check_output_dir(out_dir, list(files), args.force)  # nobody wrote one meanwhile
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:  # e.g. a path component is a file, or no permission: the -o argument is wrong
        raise ReportError(f"{out_dir}: cannot create the report directory: {e.strerror or e}") from None
    write_files(out_dir, files, known, args.force)
    if not args.quiet:
        n_png = sum(1 for n in files if n.endswith(".png"))
        n_csv = sum(1 for n in files if n.endswith(".csv"))
        print(f"{os.path.join(out_dir, 'report.html')}: report written ({n_png} figures, {n_csv} tables in "
              f"{out_dir})")
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    _matplotlib_cache()
    try:
        return run(args)
    except ReportError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return EXIT_BAD_INPUT
    except ImportError as e:
        sys.stderr.write(f"{PROG}: error: {e}: install python3-h5py, python3-numpy and python3-matplotlib "
                         f"(scripts/install_deps.sh)\n")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as e:  # one line, never a traceback, unless asked for
        if os.environ.get("WIPEOUT_DEBUG"):
            traceback.print_exc()
        message = str(e).splitlines()[0] if str(e) else ""
        sys.stderr.write(f"{PROG}: error: {type(e).__name__}: {message} "
                         f"(set WIPEOUT_DEBUG=1 for the traceback)\n")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
