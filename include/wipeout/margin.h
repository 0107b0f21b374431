#pragma once
// Liquidation and bankruptcy prices of linear (quote-margined) perpetual positions, MODEL.md M7.
// Formulas, venue conventions and their sources: docs/margin.md.
#include <optional>
#include <string_view>

#include "wipeout/tiers.h"

namespace wipeout {

enum class Side { Long, Short };
std::optional<Side> parse_side(std::string_view name);  ///< "long" | "short"
std::string_view side_name(Side side);

/// Whose documented liquidation-price formula to follow (docs/margin.md has each one and its source).
enum class Venue { Generic, Binance, Bybit, Hyperliquid, Dydx };
std::optional<Venue> parse_venue(std::string_view name);  ///< "generic" | "binance" | "bybit" | ...
std::string_view venue_name(Venue venue);
/// Whether the liquidation fee enters the venue's trigger (generic, bybit) or is only charged at closure.
bool venue_fee_in_trigger(Venue venue);

/// An isolated position. margin = posted initial margin; extra_margin = margin added afterwards.
struct IsolatedPosition {
    Side side;
    double entry;
    double qty;
    double margin;
    double extra_margin = 0;
};

struct MarginParams {
    double fee = 0.0;  ///< liquidation fee, fraction of notional at closure, in [0, 1)
    Venue venue = Venue::Generic;
};

struct LiquidationQuote {
    double liquidation_price;  ///< mark price that triggers liquidation; 0 if it never triggers (long, <= 1x)
    double bankruptcy_price;   ///< price at which the margin is fully spent (0 floor for longs)
    double initial_margin;     ///< posted (isolated); notional / leverage (cross), NaN without a leverage
    double maintenance_margin;  ///< mmr * notional - maint_amount at the trigger (Bybit: at entry); no fee
    int tier;                   ///< 0-based bracket index the maintenance margin was taken from
    double mmr = 0.0;
    double maint_amount = 0.0;
    double liquidation_fee =
        0.0;                 ///< fee part of the requirement at the trigger (0 where not in the trigger)
    bool liquidates = true;  ///< false when the price can never reach the trigger
};

/// Exact liquidation quote of an isolated position under the chosen venue's convention. Throws InputError
/// on invalid input: non-finite or non-positive entry/qty/margin, negative extra margin, a fee outside
/// [0, 1), a notional above the table, a leverage above its bracket's maximum, or a position already at or
/// past its liquidation price at entry. Does not allocate.
LiquidationQuote isolated_liquidation(const IsolatedPosition& position, const TierTable& tiers,
                                      const MarginParams& params);

/// The rest of a cross-margin account, as in Binance's formula: wallet balance WB, maintenance margin TMM1
/// and unrealized PnL UPNL1 of all other positions.
struct CrossAccount {
    double wallet_balance;
    double other_maint_margin = 0.0;
    double other_upnl = 0.0;
};

/// Liquidation price of one cross-margined position (one-way mode) given the rest of the account.
/// Supported for every venue but Bybit (whose cross formula is not modelled: InputError). The price does not
/// depend on the leverage setting: given, it sets the reported initial margin and is checked against the
/// bracket maximum; without it the initial margin is reported as NaN (unknown).
LiquidationQuote cross_liquidation(Side side, double entry, double qty, std::optional<double> leverage,
                                   const CrossAccount& account, const TierTable& tiers,
                                   const MarginParams& params);

/// Hyperliquid's maintenance margin rate at a maximum leverage: half the initial margin rate there,
/// 1 / (2 max_leverage) (its Margin tiers page). Throws InputError unless max_leverage is finite and >= 1.
double hyperliquid_mmr(double max_leverage);

/// Initial margin of a position opened at this leverage: entry * qty / leverage. Throws InputError unless
/// all are finite, entry and qty positive and leverage at least 1.
double margin_for_leverage(double entry, double qty, double leverage);

}  // namespace wipeout
