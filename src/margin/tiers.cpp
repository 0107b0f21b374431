// Maintenance-margin bracket tables: parsing, validation and lookup. Format: docs/margin.md.
#include "wipeout/tiers.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {
namespace detail {
// Defined in the source generated at configure time from data/tiers/btcusdt_binance.csv
// (cmake/embed_tiers.cmake), so the engine needs no file I/O and the CSV stays the one source of truth.
extern const char kEmbeddedBtcTiersCsv[];
extern const char kEmbeddedBtcTiersName[];
}  // namespace detail

namespace {

enum Column { kFloor, kCap, kMaxLeverage, kMmr, kMaintAmount, kColumnCount };
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {"notional_floor", "notional_cap",
                                                                     "max_leverage", "mmr", "maint_amount"};
constexpr double kMaintAmountTolerance = 1e-6;  // relative, with a floor of 1 quote unit

// Where each bracket came from, so every error names the file, the line, the column and the value.
struct Origin {
    std::string_view source;
    std::vector<int> lines;                                         // empty: built in code
    std::vector<std::array<std::string_view, kColumnCount>> texts;  // the values as written
};

double column_value(const Tier& t, Column c) {
    switch (c) {
        case kFloor:
            return t.notional_floor;
        case kCap:
            return t.notional_cap;
        case kMaxLeverage:
            return t.max_leverage;
        case kMmr:
            return t.mmr;
        case kMaintAmount:
            return t.maint_amount;
        case kColumnCount:
            break;
    }
    return 0.0;
}

[[noreturn]] void fail_at(const Origin& origin, std::size_t i, Column c, double value,
                          std::string_view problem) {
    std::string where = origin.lines.empty() ? fmt::format("{}: bracket {}", origin.source, i + 1)
                                             : fmt::format("{}:{}", origin.source, origin.lines[i]);
    std::string text = origin.texts.empty() || origin.texts[i][c].empty() ? fmt::format("{}", value)
                                                                          : std::string(origin.texts[i][c]);
    throw InputError(fmt::format("{}: column '{}': value '{}' {}", where, kColumnNames[c], text, problem));
}

// Structure and ranges of a whole table; fills maint_amount where it was not given.
void validate(std::vector<Tier>& tiers, const Origin& origin, bool maint_given, bool require_continuous) {
    if (tiers.empty()) throw InputError(fmt::format("{}: no brackets", origin.source));
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        Tier& t = tiers[i];
        for (int c = 0; c < kColumnCount; ++c) {
            const double v = column_value(t, static_cast<Column>(c));
            // An open-ended last bracket may be built in code (single()), never read from a file.
            const bool open_cap =
                c == kCap && std::isinf(v) && v > 0 && i + 1 == tiers.size() && origin.lines.empty();
            if (!std::isfinite(v) && !open_cap && (c != kMaintAmount || maint_given)) {
                fail_at(origin, i, static_cast<Column>(c), v, "is not finite");
            }
        }
        if (i == 0 && t.notional_floor != 0.0) {
            fail_at(origin, i, kFloor, t.notional_floor, "must be 0: the first bracket starts at notional 0");
        }
        if (i > 0) {
            const Tier& prev = tiers[i - 1];
            if (t.notional_floor < prev.notional_floor) {
                fail_at(origin, i, kFloor, t.notional_floor,
                        fmt::format("decreases: the previous bracket starts at {}", prev.notional_floor));
            }
            if (t.notional_floor > prev.notional_cap) {
                fail_at(origin, i, kFloor, t.notional_floor,
                        fmt::format("leaves a gap after the previous bracket's cap {}", prev.notional_cap));
            }
            if (t.notional_floor < prev.notional_cap) {
                fail_at(origin, i, kFloor, t.notional_floor,
                        fmt::format("overlaps the previous bracket, whose cap is {}", prev.notional_cap));
            }
        }
        if (!(t.notional_cap > t.notional_floor)) {
            fail_at(origin, i, kCap, t.notional_cap,
                    fmt::format("is not above the bracket's notional_floor {}", t.notional_floor));
        }
        if (!(t.mmr > 0.0 && t.mmr < 1.0)) fail_at(origin, i, kMmr, t.mmr, "is outside (0, 1)");
        if (!(t.max_leverage >= 1.0)) fail_at(origin, i, kMaxLeverage, t.max_leverage, "is below 1");
        // At its maximum leverage a fresh position must hold more than its maintenance margin.
        if (1.0 / t.max_leverage <= t.mmr) {
            fail_at(origin, i, kMaxLeverage, t.max_leverage,
                    fmt::format("gives an initial margin rate 1/{} at or below the bracket's MMR {}",
                                t.max_leverage, t.mmr));
        }
        const double derived =
            i == 0 ? 0.0
                   : TierTable::derived_maint_amount(tiers[i - 1].maint_amount, t.notional_floor, t.mmr,
                                                     tiers[i - 1].mmr);
        if (!maint_given) {
            t.maint_amount = derived;
        } else if (require_continuous && std::abs(t.maint_amount - derived) >
                                             kMaintAmountTolerance * std::max(1.0, std::abs(derived))) {
            fail_at(origin, i, kMaintAmount, t.maint_amount,
                    fmt::format("does not match {} derived from the brackets "
                                "(cum_i = cum_(i-1) + notional_floor_i * (mmr_i - mmr_(i-1)))",
                                derived));
        }
    }
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const auto comma = line.find(',', start);
        fields.push_back(trim(
            line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return fields;
}

}  // namespace

TierTable TierTable::single(double mmr, double maint_amount, double max_leverage) {
    // MMR 0 is allowed here, unlike in a table: with no fee it is the seeds' E (1 -/+ 1/L), the limit
    // docs/margin.md measures the exact form against. Tables (the engine's) keep a real maintenance rate.
    if (!(std::isfinite(mmr) && mmr >= 0.0 && mmr < 1.0)) {
        throw InputError(fmt::format("mmr {} is outside [0, 1)", mmr));
    }
    if (!(std::isfinite(maint_amount) && maint_amount >= 0.0)) {
        throw InputError(fmt::format("maintenance amount {} must be a finite number >= 0", maint_amount));
    }
    if (!(std::isfinite(max_leverage) && max_leverage >= 1.0)) {
        throw InputError(fmt::format("max leverage {} must be a finite number >= 1", max_leverage));
    }
    return TierTable({Tier{0.0, std::numeric_limits<double>::infinity(), max_leverage, mmr, maint_amount}});
}

TierTable TierTable::from_tiers(std::vector<Tier> tiers, std::string_view source_name,
                                bool require_continuous) {
    validate(tiers, Origin{source_name, {}, {}}, true, require_continuous);
    return TierTable(std::move(tiers));
}

TierTable TierTable::parse_csv(std::string_view text, std::string_view source_name) {
    Origin origin{source_name, {}, {}};
    std::array<int, kColumnCount> position{};  // field index of each column, -1 if absent
    position.fill(-1);
    std::size_t header_width = 0;
    bool have_header = false;
    std::vector<Tier> tiers;

    int line_no = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find('\n', start);
        std::string_view line =
            text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = end == std::string_view::npos ? text.size() + 1 : end + 1;
        ++line_no;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        const auto fields = split_fields(line);

        if (!have_header) {
            for (std::size_t f = 0; f < fields.size(); ++f) {
                int found = -1;
                for (int c = 0; c < kColumnCount; ++c) {
                    if (fields[f] == kColumnNames[static_cast<std::size_t>(c)]) found = c;
                }
                if (found < 0) {
                    throw InputError(fmt::format("{}:{}: header: unknown column '{}' (expected {})",
                                                 source_name, line_no, fields[f],
                                                 fmt::join(kColumnNames, ",")));
                }
                if (position[static_cast<std::size_t>(found)] >= 0) {
                    throw InputError(fmt::format("{}:{}: header: column '{}' appears twice", source_name,
                                                 line_no, fields[f]));
                }
                position[static_cast<std::size_t>(found)] = static_cast<int>(f);
            }
            for (int c = 0; c < kMaintAmount; ++c) {  // maint_amount alone is optional
                if (position[static_cast<std::size_t>(c)] < 0) {
                    throw InputError(fmt::format("{}:{}: header: column '{}' is missing", source_name,
                                                 line_no, kColumnNames[static_cast<std::size_t>(c)]));
                }
            }
            header_width = fields.size();
            have_header = true;
            continue;
        }

        std::array<std::string_view, kColumnCount> texts{};
        std::array<double, kColumnCount> values{};
        for (int c = 0; c < kColumnCount; ++c) {
            const int f = position[static_cast<std::size_t>(c)];
            if (f < 0) continue;
            const std::string_view name = kColumnNames[static_cast<std::size_t>(c)];
            if (static_cast<std::size_t>(f) >= fields.size() || fields[static_cast<std::size_t>(f)].empty()) {
                throw InputError(
                    fmt::format("{}:{}: column '{}': no value (the row has {} fields, the header {})",
                                source_name, line_no, name, fields.size(), header_width));
            }
            const std::string_view field = fields[static_cast<std::size_t>(f)];
            double v = 0.0;
            const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
            if (ec == std::errc::result_out_of_range) {
                throw InputError(fmt::format("{}:{}: column '{}': value '{}' is out of range", source_name,
                                             line_no, name, field));
            }
            if (ec != std::errc() || ptr != field.data() + field.size()) {
                throw InputError(fmt::format("{}:{}: column '{}': value '{}' is not a number", source_name,
                                             line_no, name, field));
            }
            if (!std::isfinite(v)) {
                throw InputError(fmt::format("{}:{}: column '{}': value '{}' is not finite", source_name,
                                             line_no, name, field));
            }
            texts[static_cast<std::size_t>(c)] = field;
            values[static_cast<std::size_t>(c)] = v;
        }
        if (fields.size() > header_width) {
            throw InputError(fmt::format("{}:{}: value '{}' has no column: the header names {} columns",
                                         source_name, line_no, fields[header_width], header_width));
        }
        tiers.push_back(
            Tier{values[kFloor], values[kCap], values[kMaxLeverage], values[kMmr], values[kMaintAmount]});
        origin.lines.push_back(line_no);
        origin.texts.push_back(texts);
    }
    if (!have_header) {
        throw InputError(fmt::format("{}: no header line (expected columns {})", source_name,
                                     fmt::join(kColumnNames, ",")));
    }
    validate(tiers, origin, position[kMaintAmount] >= 0, true);
    return TierTable(std::move(tiers));
}

TierTable TierTable::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw InputError(fmt::format("cannot read tier file '{}': {}", file.string(), std::strerror(errno)));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw InputError(fmt::format("cannot read tier file '{}'", file.string()));
    return parse_csv(buffer.str(), file.string());
}

const TierTable& TierTable::btc_default() {
    static const TierTable table = parse_csv(detail::kEmbeddedBtcTiersCsv, detail::kEmbeddedBtcTiersName);
    return table;
}

int TierTable::index_for_notional(double notional) const {
    const int n = size();
    for (int i = 0; i + 1 < n; ++i) {
        if (!(notional > tiers_[static_cast<std::size_t>(i)].notional_cap)) return i;
    }
    return n - 1;
}

}  // namespace wipeout
