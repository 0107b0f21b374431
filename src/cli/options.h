#pragma once
// Numeric options, parsed and range-checked here rather than by CLI11 2.1, whose unsigned conversion
// (strtoull) wraps "-5" around to 2^64 - 5, reads "010" as octal and saturates 99999999999999999999, and
// whose float conversion takes nan, inf and hex floats. A bad value is refused while the command line is
// parsed, before any command runs (so before any file is created), with one InputError line naming the
// option and the value as typed: --paths '-5': expected a whole number in [1, 281474976710656].
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace wipeout::cli {

/// The most worker threads --threads takes: more than any one machine has (TBB never runs more threads
/// than the hardware's anyway); it keeps the count well inside the int TBB takes.
inline constexpr std::uint64_t kMaxThreads = 4096;

/// A whole number in [min, max], decimal digits only (no sign, no exponent); else InputError naming option.
std::uint64_t parse_whole(std::string_view option, std::string_view text, std::uint64_t min,
                          std::uint64_t max);

/// The values a real-valued option takes: [low, high], either end excluded when open.
struct RealRange {
    double low;
    double high;
    bool low_open = false;
    bool high_open = false;
};
/// A finite decimal number in the range; else InputError naming option.
double parse_real(std::string_view option, std::string_view text, const RealRange& range);

/// Registers --name taking a whole number in [min, max] into target (UINT in --help).
template <typename T>
CLI::Option* add_whole_option(CLI::App& command, const std::string& name, T& target, const std::string& help,
                              std::uint64_t min, std::uint64_t max) {
    static_assert(std::is_integral_v<T>);
    if (max > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        throw std::logic_error(name + ": max");
    return command
        .add_option_function<std::string>(
            name,
            [&target, name, min, max](const std::string& text) {
                target = static_cast<T>(parse_whole(name, text, min, max));
            },
            help)
        ->type_name("UINT");
}

/// Registers --name taking a real number in range into target (FLOAT in --help).
CLI::Option* add_real_option(CLI::App& command, const std::string& name, double& target,
                             const std::string& help, const RealRange& range);

}  // namespace wipeout::cli
