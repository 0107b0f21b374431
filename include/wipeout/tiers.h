#pragma once
// Maintenance-margin brackets ("leverage and margin tiers"): notional range -> max leverage, MMR and
// maintenance amount. Formulas and conventions: docs/margin.md.
#include <cstddef>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace wipeout {

/// One bracket. It holds notionals in (notional_floor, notional_cap]; the first bracket also holds 0.
/// Maintenance margin in this bracket = mmr * notional - maint_amount.
struct Tier {
    double notional_floor;
    double notional_cap;
    double max_leverage;
    double mmr;           ///< maintenance margin rate, in (0, 1) (single(): [0, 1))
    double maint_amount;  ///< "cum": makes the maintenance margin continuous across brackets
};

/// An ordered, gap-free bracket table starting at notional 0. Immutable once built; cheap to query.
class TierTable {
  public:
    /// One flat bracket covering every notional (the CLI's --mmr); mmr in [0, 1), 0 included (the seeds'
    /// E (1 -/+ 1/L) with no fee). Throws InputError on a bad value.
    static TierTable single(double mmr, double maint_amount = 0.0, double max_leverage = 125.0);
    /// Parses CSV text (see docs/margin.md for the format). Errors name source_name, line, column, value.
    static TierTable parse_csv(std::string_view text, std::string_view source_name);
    /// Reads and parses a CSV file. Throws InputError if it cannot be read or is malformed.
    static TierTable load(const std::filesystem::path& file);
    /// Binance's BTCUSDT bracket table, compiled in from data/tiers/btcusdt_binance.csv.
    static const TierTable& btc_default();
    /// A table built in code, checked like a file (errors name source_name and the 1-based bracket).
    /// require_continuous = false skips the maintenance-amount check, e.g. to model a venue whose
    /// maintenance margin jumps at a bracket boundary.
    static TierTable from_tiers(std::vector<Tier> tiers, std::string_view source_name,
                                bool require_continuous = true);

    /// The bracket holding this notional; notionals above the last cap map to the last bracket.
    int index_for_notional(double notional) const;
    const Tier& operator[](int i) const { return tiers_[static_cast<std::size_t>(i)]; }
    int size() const { return static_cast<int>(tiers_.size()); }
    /// Largest notional any bracket admits (infinite for single()).
    double max_notional() const { return tiers_.back().notional_cap; }

    /// The maintenance amount a bracket must have so that the maintenance margin is continuous:
    /// cum_0 = 0, cum_i = cum_{i-1} + floor_i * (mmr_i - mmr_{i-1}).
    static double derived_maint_amount(double prev_cum, double floor, double mmr, double prev_mmr) {
        return prev_cum + floor * (mmr - prev_mmr);
    }

  private:
    explicit TierTable(std::vector<Tier> tiers) : tiers_(std::move(tiers)) {}
    std::vector<Tier> tiers_;
};

}  // namespace wipeout
