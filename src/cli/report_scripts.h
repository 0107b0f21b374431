#pragma once
// The Python scripts of scripts/report/ (the report, the fund curve's figure), run with Debian's interpreter:
// where they are found and how they are started. Shared by `wipeout report` and `wipeout fund --png`.
#include <filesystem>
#include <string>
#include <vector>

namespace wipeout::cli {

/// scripts/report/<name>: $WIPEOUT_REPORT_SCRIPT itself for wipeout_report.py, the others next to it, when
/// set; else installed with the data
/// (<prefix>/share/wipeout/report, found from this executable's location, so an installed tree can move);
/// else the source tree of the build. Throws std::runtime_error naming where it looked.
std::filesystem::path find_report_script(const std::string& name);

/// Replaces this process with the interpreter running `script` with `args` (the report: its exit status is
/// the command's). Throws std::runtime_error when the interpreter is missing or cannot start.
[[noreturn]] void exec_report_script(const std::filesystem::path& script,
                                     const std::vector<std::string>& args);

/// Runs `script` with `args` and waits: its exit status (128 + signal when killed). Throws like
/// exec_report_script.
int run_report_script(const std::filesystem::path& script, const std::vector<std::string>& args);

}  // namespace wipeout::cli
