// wipeout report: a thin front end to scripts/report/wipeout_report.py, which writes the HTML report, figures
// and tables of a results file with Debian's Python (h5py, numpy, matplotlib). The arguments pass through
// unchanged and the script's exit status is the command's (0 written, 2 bad input, 1 failure).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "commands.h"

#ifndef WIPEOUT_SOURCE_DIR
#error "WIPEOUT_SOURCE_DIR must name the source tree (set in CMakeLists.txt)"
#endif
#ifndef WIPEOUT_INSTALL_DATADIR
#define WIPEOUT_INSTALL_DATADIR "share"
#endif

namespace wipeout::cli {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter: the one python3-h5py/-numpy/-matplotlib are installed for (a python3 earlier on PATH,
// e.g. pyenv's, cannot see them).
constexpr const char* kDefaultPython = "/usr/bin/python3";
constexpr const char* kScriptName = "wipeout_report.py";

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

/// The report script: $WIPEOUT_REPORT_SCRIPT; else installed with the data (<prefix>/share/wipeout/report,
/// found from this executable's location, so an installed tree can move); else the source tree of the build.
fs::path find_script() {
    if (const char* forced = std::getenv("WIPEOUT_REPORT_SCRIPT"); forced != nullptr && *forced != '\0') {
        return forced;
    }
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path().parent_path() / WIPEOUT_INSTALL_DATADIR / "wipeout" /
                             "report" / kScriptName);
    }
    candidates.push_back(fs::path(WIPEOUT_SOURCE_DIR) / "scripts" / "report" / kScriptName);
    for (const fs::path& candidate : candidates) {
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    std::string looked;
    for (const fs::path& candidate : candidates) looked += (looked.empty() ? "" : ", ") + candidate.string();
    throw std::runtime_error(fmt::format(
        "report: cannot find {} (looked at {}); set WIPEOUT_REPORT_SCRIPT to its path", kScriptName, looked));
}

[[noreturn]] void run_script(const std::vector<std::string>& args) {
    const std::string python = env_or("WIPEOUT_PYTHON", kDefaultPython);
    if (::access(python.c_str(), X_OK) != 0) {
        throw std::runtime_error(
            fmt::format("report: needs {} with python3-h5py, python3-numpy and python3-matplotlib; run "
                        "scripts/install_deps.sh",
                        python));
    }
    const std::string script = find_script().string();
    // -E -s: ignore PYTHON* variables and the user's site-packages, which may belong to another interpreter;
    // -B: write no bytecode into the script's folder (often the source tree).
    std::vector<std::string> argv_storage{python, "-E", "-s", "-B", script};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    ::execv(python.c_str(), argv.data());
    throw std::runtime_error(fmt::format("report: cannot run {}: {}", python, std::strerror(errno)));
}

}  // namespace

void add_report_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("report",
                                   "HTML report of a results file, with its figures (PNG) and tables (CSV)");
    // Everything after 'report' goes to the script untouched, --help included: it owns the options.
    cmd->prefix_command();
    cmd->set_help_flag();
    cmd->callback([cmd] { run_script(cmd->remaining()); });
}

}  // namespace wipeout::cli
