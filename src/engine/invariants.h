#pragma once
// What a path run with invariant checks does when one fails: an InvariantViolation naming the path, the time
// and the numbers. The checks themselves live with the mechanism whose promise they test.
#include <cstdint>
#include <sstream>
#include <string>

#include "wipeout/cascade_engine.h"

namespace wipeout::engine {

struct InvariantChecks {
    bool on = false;
    std::uint64_t path_index = 0;

    [[noreturn]] void fail(double t, const std::string& what) const {
        std::ostringstream msg;
        msg << "invariant violated on path " << path_index << " at t = " << t << " s: " << what;
        throw InvariantViolation(msg.str());
    }
};

}  // namespace wipeout::engine
