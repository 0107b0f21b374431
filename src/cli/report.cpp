// wipeout report: a thin front end to scripts/report/wipeout_report.py, which writes the HTML report, figures
// and tables of a results file with Debian's Python (h5py, numpy, matplotlib). The arguments pass through
// unchanged and the script's exit status is the command's (0 written, 2 bad input, 1 failure).
#include "commands.h"
#include "report_scripts.h"

namespace wipeout::cli {

void add_report_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("report",
                                   "HTML report of a results file, with its figures (PNG) and tables (CSV)");
    // Everything after 'report' goes to the script untouched, --help included: it owns the options.
    cmd->prefix_command();
    cmd->set_help_flag();
    cmd->callback([cmd] { exec_report_script(find_report_script("wipeout_report.py"), cmd->remaining()); });
}

}  // namespace wipeout::cli
