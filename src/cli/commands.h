#pragma once
// Each subcommand registers itself on the app; main() only wires them up and maps errors to exit codes.
#include <CLI/CLI.hpp>


namespace wipeout::cli {
/// The process exit status a command leaves for main(); commands that only succeed or throw leave it at 0.
int& exit_status();
/// wipeout liq-price: liquidation and bankruptcy price of one position (src/cli/liq_price.cpp).
void add_liq_price_command(CLI::App& app);
/// wipeout liq-map: the liquidation map of a scenario's crowd (src/cli/liq_map.cpp).
void add_liq_map_command(CLI::App& app);
/// wipeout run: a scenario's Monte Carlo paths into an HDF5 results file (src/cli/run.cpp).
void add_run_command(CLI::App& app);
/// wipeout sweep: a grid or Latin hypercube over scenario parameters (src/cli/sweep.cpp).
void add_sweep_command(CLI::App& app);
/// wipeout merge: joins the shard files of a job array (src/cli/merge.cpp).
void add_merge_command(CLI::App& app);
/// wipeout summary: a results file's summary statistics (src/cli/summary.cpp).
void add_summary_command(CLI::App& app);
/// wipeout scenario show: the effective scenario as a commented scenario file (src/cli/scenario.cpp).
void add_scenario_command(CLI::App& app);
/// wipeout path: re-runs one path exactly, with its time series (src/cli/path.cpp).
void add_path_command(CLI::App& app);
/// wipeout fund: the insurance fund for a target P(ADL), from a results file (src/cli/fund.cpp).
void add_fund_command(CLI::App& app);
/// wipeout report: HTML report, figures and tables of a results file (src/cli/report.cpp, scripts/report/).
void add_report_command(CLI::App& app);
/// wipeout snapshot: a position snapshot drawn from a scenario's crowd (src/cli/snapshot.cpp).
void add_snapshot_command(CLI::App& app);
}  // namespace wipeout::cli
