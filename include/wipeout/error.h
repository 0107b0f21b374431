#pragma once
// The one exception type wipeout throws for bad input: the CLI prints its message on one line and exits 2.
#include <stdexcept>
#include <string>

namespace wipeout {

/// Invalid user input (a flag, a scenario key, a data file). The message names what is wrong and where.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;     ///< a run that could not finish (interrupted, I/O failure)
inline constexpr int kExitBadInput = 2;    ///< input refused before any work

}  // namespace wipeout
