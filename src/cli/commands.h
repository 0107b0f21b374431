#pragma once
// Each subcommand registers itself on the app; main() only wires them up and maps errors to exit codes.
#include <CLI/CLI.hpp>


namespace wipeout::cli {
/// The process exit status a command leaves for main(); commands that only succeed or throw leave it at 0.
int& exit_status();
}  // namespace wipeout::cli
