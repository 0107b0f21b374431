// Numeric options checked while the command line is parsed (options.h says why CLI11's own conversion is
// not enough).
#include "options.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout::cli {

std::uint64_t parse_whole(std::string_view option, std::string_view text, std::uint64_t min,
                          std::uint64_t max) {
    std::uint64_t value = 0;
    // Digits only: from_chars alone would stop at a '.' or an 'e' and leave the rest unread.
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!digits || ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
        throw InputError(fmt::format("{} '{}': expected a whole number in [{}, {}]", option, text, min, max));
    return value;
}

double parse_real(std::string_view option, std::string_view text, const RealRange& range) {
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool parsed = !text.empty() && ec == std::errc() && end == text.data() + text.size();
    const bool in_range = parsed && std::isfinite(value) &&
                          (range.low_open ? value > range.low : value >= range.low) &&
                          (range.high_open ? value < range.high : value <= range.high);
    if (!in_range) {
        throw InputError(fmt::format("{} '{}': expected a number in {}{:g}, {:g}{}", option, text,
                                     range.low_open ? '(' : '[', range.low, range.high,
                                     range.high_open ? ')' : ']'));
    }
    return value == 0.0 ? 0.0 : value;  // -0 reads as 0
}

CLI::Option* add_real_option(CLI::App& command, const std::string& name, double& target,
                             const std::string& help, const RealRange& range) {
    return command
        .add_option_function<std::string>(
            name, [&target, name, range](const std::string& text) { target = parse_real(name, text, range); },
            help)
        ->type_name("FLOAT");
}

}  // namespace wipeout::cli
