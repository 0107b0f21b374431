#pragma once
// An order-book snapshot ([book] source = "book.csv"): the resting depth the engine walks instead of the
// power law (MODEL.md M3). CSV columns `side` (bid/ask), `price`, `qty` (base units), one row per level. Read
// once per run, never per path.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/order_book.h"

namespace wipeout {

struct BookLevel {
    double price;
    double qty;  ///< base units
};

class BookSnapshot {
  public:
    /// Throws InputError naming file:line:column and the value: a missing column, an unknown side, a price or
    /// quantity that is not positive and finite, a bid at or above the best ask, a level listed twice, a side
    /// with no level.
    static BookSnapshot parse_csv(std::string_view text, std::string_view source_name);
    static BookSnapshot load(const std::filesystem::path& file);

    /// Bids by descending price, asks by ascending price.
    std::span<const BookLevel> bids() const { return bids_; }
    std::span<const BookLevel> asks() const { return asks_; }
    /// The mid of the best bid and ask: the price the profile's distances are relative to.
    double mid() const;
    const std::string& source() const { return source_; }

    /// Quote notional resting within relative distance x >= 0 of the mid on the bid side (bids = true) or the
    /// ask side, each level counted whole once the distance reaches it and linearly in between (a level's
    /// depth is spread over the gap before it, so the profile is continuous).
    double depth_within(bool bids, double x) const;

    /// The depth profile the engine walks (include/wipeout/order_book.h): each side's depth_within per unit
    /// of depth_1pct(), past the deepest level the power law of the fit's shape (clamped to [1/4, 4]) from
    /// that level's depth on.
    BookProfile profile() const;
    /// The snapshot's d1: the mean of the two sides' depth within 1% of the mid (of the profile, so the
    /// tail's where a side does not reach 1%). A run on the snapshot states every flow of the model in it.
    double depth_1pct() const;

    /// The power law D(x) = d1 (x / 1%)^beta that fits the snapshot best (least squares in log depth over the
    /// levels of both sides at least kFitFrom from the mid, or all of them when fewer than three are), for
    /// comparison with the parametric book (`wipeout scenario show`); its shape continues the profile's tail.
    struct PowerLaw {
        double depth_1pct;
        double shape;
        double rms_log_error;  ///< of the fit over the levels
    };
    PowerLaw fit_power_law() const;
    /// Nearer the mid the queue at the touch, not the book's shape, sets the depth.
    static constexpr double kFitFrom = 0.001;

  private:
    std::vector<BookLevel> bids_, asks_;
    std::string source_;
};

}  // namespace wipeout
