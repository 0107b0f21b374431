#pragma once
// A position snapshot ([positions] source = "positions.csv"): a venue's own positions replacing the parametric
// crowd (MODEL.md M6). Read and checked once per run; its cohorts are built once per (fee, reference price),
// never per path.
//
// CSV columns: `side` (long/short), `entry` (price), `qty` (base units), `leverage` (or `margin`, the posted
// isolated margin); optional `account`, `mode` (isolated/cross) and `wallet_balance` (a cross account's, on
// any of its rows). A cross account's positions on one side are one position (one-way mode nets them): its
// margin is the account's wallet balance.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/margin.h"

namespace wipeout {

struct Population;
class TierTable;

struct SnapshotPosition {
    Side side;
    bool cross;
    std::uint32_t account;  ///< index into accounts(); every position without an account has its own
    std::uint32_t line;     ///< the CSV line it came from (a cross position: its first)
    double entry;
    double qty;     ///< base units
    double margin;  ///< isolated: posted margin; cross: the account's wallet balance
};

class PositionSnapshot {
  public:
    /// Throws InputError naming file:line:column and the value: a missing column, an unknown side or mode, a
    /// quantity, entry, leverage or margin that is not positive and finite (NaN included), a leverage below 1
    /// or above its tier's maximum, a cross row without a wallet balance or with two different ones, a cross
    /// account holding both sides, no position at all.
    static PositionSnapshot parse_csv(std::string_view text, std::string_view source_name, const TierTable& tiers);
    static PositionSnapshot load(const std::filesystem::path& file, const TierTable& tiers);

    std::span<const SnapshotPosition> positions() const { return positions_; }
    const std::vector<std::string>& accounts() const { return accounts_; }
    std::size_t rows() const { return rows_; }
    const std::string& source() const { return source_; }

    /// What a build kept and left out.
    struct Summary {
        std::size_t positions = 0;         ///< kept: their liquidation price not yet crossed at the reference
        std::size_t excluded_long = 0;     ///< already at or past their liquidation price at the reference
        std::size_t excluded_short = 0;
        std::size_t never_liquidated = 0;  ///< longs at or below 1x: kept in the open interest, never triggered
        std::size_t cohorts = 0;
        double long_oi = 0, short_oi = 0;  ///< quote notional at the reference price, kept positions
    };
    /// Every position's exact liquidation price with the margin module (the generic convention, `fee`, `tiers`),
    /// then the kept ones aggregated into explicit cohorts of `out` (its grid emptied): positions of one side,
    /// bracket and leverage class whose liquidation prices lie within `bin_width` (relative) of each other are
    /// one cohort, with their quantity, entry value, margin and count summed, so losses are exact and a trigger
    /// is off by at most the bin. Quantities are scaled by `oi_scale` (more positions like these, not larger
    /// ones: liquidation prices do not move).
    Summary build(const TierTable& tiers, double fee, double reference_price, double oi_scale, Population& out,
                  double bin_width = 1e-3) const;
    /// One line for the user: rows, accounts, what was kept and left out, the open interest.
    std::string describe(const Summary& summary) const;
    /// Scales a built population's open interest (its cohorts' quantities) by `oi_scale`.
    static void scale(Population& population, double oi_scale);

  private:
    std::vector<SnapshotPosition> positions_;
    std::vector<std::string> accounts_;
    std::size_t rows_ = 0;
    std::string source_;
};

/// How draw_snapshot draws.
struct SnapshotDraw {
    std::size_t positions = 100000;
    std::size_t accounts = 3000;  ///< isolated positions spread over this many accounts
    double cross_share = 0;       ///< share of positions margined cross, in accounts of their own (one side each)
    double cross_cushion = 0.5;   ///< a cross wallet holds its positions' margin times 1 + U(0, cushion)
    std::uint64_t seed = 1;
};

struct DrawnSnapshot {
    std::string csv;          ///< the snapshot, in the format PositionSnapshot reads
    double oi_scale;          ///< positions.oi_scale that gives the crowd's open interest back
    double long_oi, short_oi; ///< the snapshot's own, at the reference price
};

/// A position snapshot drawn from a crowd (a path's parametric population): each position is one of a cohort's,
/// drawn with probability proportional to the cohort's number of positions, with its entry, size and leverage.
/// With oi_scale the snapshot carries the crowd's open interest, and its runs reproduce the crowd's statistics
/// within Monte Carlo error. Entries carry 8 significant digits, quantities 6 and leverages 5 (a file of
/// 100,000 positions is about 4 MB). A pure function of (population, settings).
DrawnSnapshot draw_snapshot(const Population& crowd, double reference_price, const SnapshotDraw& settings);

}  // namespace wipeout
