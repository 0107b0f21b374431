// libFuzzer target for the scenario parser: any input is either refused with InputError or accepted as a
// scenario that round-trips through `scenario show` and samples inside every parameter's range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/error.h"
#include "wipeout/scenario.h"

namespace {

void check_accepted(const wipeout::Scenario& s) {
    const wipeout::Scenario back = wipeout::Scenario::parse(s.to_toml(), "shown.toml");
    if (!(back == s)) __builtin_trap();
    const auto specs = wipeout::parameter_specs();
    std::vector<double> values(specs.size());
    for (std::uint64_t path = 0; path < 4; ++path) {
        s.sample(s.run().seed, path, values);
        for (std::size_t i = 0; i < specs.size(); ++i)
            if (!(values[i] >= specs[i].min && values[i] <= specs[i].max)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        // A leading '!' feeds the rest, line by line, to --set overrides of the built-in scenario;
        // anything else is a scenario file.
        if (!input.empty() && input.front() == '!') {
            wipeout::Scenario s = wipeout::Scenario::builtin();
            std::string_view rest = input.substr(1);
            while (!rest.empty()) {
                const auto end = rest.find('\n');
                s.set(rest.substr(0, end));
                rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            }
            check_accepted(s);
        } else {
            check_accepted(wipeout::Scenario::parse(input, "fuzz.toml"));
        }
    } catch (const wipeout::InputError&) {
        // refused with a message: the expected outcome for most inputs
    }
    return 0;
}
