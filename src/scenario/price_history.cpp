// Price-history CSV: bars of a market before t = 0 (include/wipeout/price_history.h).
#include "wipeout/price_history.h"

#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const auto comma = line.find(',', start);
        out.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

std::optional<double> number(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<int> digits(std::string_view s) {
    int v = 0;
    if (s.empty()) return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - static_cast<int>(era * 400);
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// YYYY-MM-DD, optionally followed by T or a space and HH:MM[:SS].
std::optional<double> date_seconds(std::string_view s) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    const auto y = digits(s.substr(0, 4)), m = digits(s.substr(5, 2)), d = digits(s.substr(8, 2));
    if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
    double seconds = static_cast<double>(days_from_civil(*y, *m, *d)) * 86400.0;
    if (s.size() == 10) return seconds;
    if ((s[10] != 'T' && s[10] != ' ') || (s.size() != 16 && s.size() != 19) || s[13] != ':') return std::nullopt;
    const auto hh = digits(s.substr(11, 2)), mm = digits(s.substr(14, 2));
    int sec = 0;
    if (s.size() == 19) {
        const auto ss = s[16] == ':' ? digits(s.substr(17, 2)) : std::nullopt;
        if (!ss) return std::nullopt;
        sec = *ss;
    }
    if (!hh || !mm || *hh > 23 || *mm > 59 || sec > 60) return std::nullopt;
    return seconds + *hh * 3600.0 + *mm * 60.0 + sec;
}

}  // namespace

PriceHistory PriceHistory::parse_csv(std::string_view text, std::string_view source_name) {
    PriceHistory h;
    h.source_ = std::string(source_name);
    enum { kTime, kOpen, kHigh, kLow, kClose, kColumns };
    constexpr std::array<std::string_view, kColumns> kNames{"date or time", "open", "high", "low", "close"};
    std::array<int, kColumns> at{-1, -1, -1, -1, -1};
    bool date_column = true, have_header = false;
    int line_no = 0;
    for (std::size_t start = 0; start <= text.size();) {
        const auto end = text.find('\n', start);
        const std::string_view line =
            trim(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        start = end == std::string_view::npos ? text.size() + 1 : end + 1;
        ++line_no;
        if (line.empty() || line.front() == '#') continue;
        const auto fields = fields_of(line);
        if (!have_header) {
            for (std::size_t f = 0; f < fields.size(); ++f) {
                const auto name = fields[f];
                const int c = name == "date" || name == "time" ? kTime
                              : name == "open"                 ? kOpen
                              : name == "high"                 ? kHigh
                              : name == "low"                  ? kLow
                              : name == "close"                ? kClose
                                                               : -1;
                if (c < 0) continue;
                if (at[static_cast<std::size_t>(c)] >= 0)
                    throw InputError(fmt::format("{}:{}: header: column '{}' appears twice", source_name, line_no, name));
                at[static_cast<std::size_t>(c)] = static_cast<int>(f);
                if (c == kTime) date_column = name == "date";
            }
            for (int c = 0; c < kColumns; ++c) {
                if (at[static_cast<std::size_t>(c)] < 0)
                    throw InputError(fmt::format("{}:{}: header: column '{}' is missing", source_name, line_no,
                                                 kNames[static_cast<std::size_t>(c)]));
            }
            have_header = true;
            continue;
        }
        std::array<double, kColumns> v{};
        for (int c = 0; c < kColumns; ++c) {
            const auto f = static_cast<std::size_t>(at[static_cast<std::size_t>(c)]);
            const std::string_view name = c == kTime ? (date_column ? "date" : "time") : kNames[static_cast<std::size_t>(c)];
            const std::string_view field = f < fields.size() ? fields[f] : std::string_view{};
            const auto value = c == kTime ? (date_column ? date_seconds(field) : number(field)) : number(field);
            if (!value || (c != kTime && !(*value > 0))) {
                throw InputError(fmt::format("{}:{}: column '{}': '{}' is not {}", source_name, line_no, name, field,
                                             c != kTime ? "a positive price"
                                             : date_column ? "a date (YYYY-MM-DD[THH:MM[:SS]])"
                                                           : "a time in seconds"));
            }
            v[static_cast<std::size_t>(c)] = *value;
        }
        const HistoryBar bar{v[kTime], v[kOpen], v[kHigh], v[kLow], v[kClose]};
        if (bar.low > std::min(bar.open, bar.close) || bar.high < std::max(bar.open, bar.close)) {
            throw InputError(fmt::format("{}:{}: low {} and high {} must bracket open {} and close {}", source_name,
                                         line_no, bar.low, bar.high, bar.open, bar.close));
        }
        if (!h.bars_.empty() && !(bar.time_s > h.bars_.back().time_s))
            throw InputError(fmt::format("{}:{}: bars must ascend in time", source_name, line_no));
        h.bars_.push_back(bar);
    }
    if (h.bars_.empty()) throw InputError(fmt::format("{}: no bars", source_name));
    return h;
}

PriceHistory PriceHistory::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read the price history", file.string()));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parse_csv(buffer.str(), file.string());
}

}  // namespace wipeout
