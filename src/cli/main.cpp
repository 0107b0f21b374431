// wipeout: the thin command-line front end. All the work lives in the wipeout::core library.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "run_support.h"
#include "wipeout/error.h"
#include "wipeout/version.h"
#ifdef WIPEOUT_HAVE_MPI
#include "wipeout/mpi_exchange.h"
#endif

namespace wipeout::cli {
int& exit_status() {
    static int status = kExitOk;
    return status;
}
}  // namespace wipeout::cli

int main(int argc, char** argv) {
#ifdef WIPEOUT_HAVE_MPI
    // Under mpirun/srun with several ranks, run and sweep share the work; rank 0 alone prints and writes.
    const auto mpi = wipeout::start_mpi_if_launched(argc, argv);
    wipeout::cli::ranks() = mpi.get();
#endif
    const bool root = wipeout::cli::ranks() == nullptr || wipeout::cli::ranks()->rank() == 0;
    CLI::App app{"wipeout: Monte Carlo stress tests of liquidation cascades in leveraged crypto perpetuals"};
    app.set_version_flag("--version", std::string("wipeout ") + wipeout::kVersion + " (git " + wipeout::kGitSha + ")");
    app.require_subcommand(1);
    wipeout::cli::add_liq_price_command(app);
    wipeout::cli::add_liq_map_command(app);
    wipeout::cli::add_run_command(app);
    wipeout::cli::add_sweep_command(app);
    wipeout::cli::add_merge_command(app);
    wipeout::cli::add_summary_command(app);
    wipeout::cli::add_fund_command(app);
    wipeout::cli::add_scenario_command(app);
    wipeout::cli::add_path_command(app);
    wipeout::cli::add_report_command(app);
    wipeout::cli::add_snapshot_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" with exit code 0; real parse errors exit 2 with one line.
        if (e.get_exit_code() == 0) return root ? app.exit(e) : 0;
        if (root) std::fprintf(stderr, "wipeout: error: %s\n", e.what());
        return wipeout::kExitBadInput;
    } catch (const wipeout::InputError& e) {
        if (root) std::fprintf(stderr, "wipeout: error: %s\n", e.what());
        return wipeout::kExitBadInput;
    } catch (const std::exception& e) {
        if (root) std::fprintf(stderr, "wipeout: error: %s\n", e.what());
        return wipeout::kExitFailure;
    }
    return wipeout::cli::exit_status();
}
