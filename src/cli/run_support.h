#pragma once
// Helpers shared by `wipeout run` and `wipeout sweep` (src/cli/run_support.cpp).
#include <atomic>
#include <csignal>
#include <functional>
#include <string>

#include "wipeout/driver.h"
#include "wipeout/rank_exchange.h"

namespace wipeout::cli {

/// Set by the SIGINT/SIGTERM handler (lock-free, so async-signal-safe), polled by the driver between chunks.
extern std::atomic<int> g_stop_signal;

/// Catches SIGINT and SIGTERM for the life of the run. SA_RESETHAND: a second signal kills at once (the
/// file then stays marked incomplete).
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

/// The process's own command line (recorded in the results file).
std::string command_line();
std::string format_duration(double seconds);
std::string format_rate(double per_s);
/// A live bar on a terminal, a log line every few seconds otherwise.
std::function<void(const RunProgress&)> progress_printer(bool terminal);
/// --shard K/N into the options (InputError for anything else).
void parse_shard(const std::string& text, RunOptions& options);
/// The MPI ranks of this process (set by main when launched by mpirun with several ranks), or null.
RankExchange*& ranks();

}  // namespace wipeout::cli
