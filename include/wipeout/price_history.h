#pragma once
// A market's price history before t = 0, as bars (time, open, high, low, close; daily or finer): what shapes the
// crowd of a history event (M6 from the market's history, docs/model.md). Read once per run, never per path.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wipeout {

struct HistoryBar {
    double time_s;  ///< the bar's start, seconds since 1970-01-01 UTC
    double open, high, low, close;
};

class PriceHistory {
  public:
    /// CSV with a header: a time column (`date`, YYYY-MM-DD with an optional THH:MM[:SS], or `time` in seconds)
    /// and `open`, `high`, `low`, `close`; other columns are ignored. Bars ascending in time, prices positive
    /// and finite, low <= open, close <= high. Throws InputError naming file:line, the column and the value.
    static PriceHistory parse_csv(std::string_view text, std::string_view source_name);
    static PriceHistory load(const std::filesystem::path& file);

    std::span<const HistoryBar> bars() const { return bars_; }
    const std::string& source() const { return source_; }

  private:
    std::vector<HistoryBar> bars_;
    std::string source_;
};

}  // namespace wipeout
