#pragma once
// A liquidation-price request as `wipeout liq-price` and the Python module's wipeout.liq_price take it: which
// options were given (isolated by leverage or by margin, or cross; a flat tier, a tier file or the embedded
// table), checked and resolved once into a plan, then quoted per position. Messages name the CLI's options.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "wipeout/margin.h"
#include "wipeout/tiers.h"

namespace wipeout {

/// "long" | "short", else InputError "unknown side '...' (expected long or short)".
Side side_named(std::string_view name);
/// A venue by name, else InputError naming the venues.
Venue venue_named(std::string_view name);

/// What the request gives besides each position's numbers: which per-position options are present, and the
/// options that shape the venue's rules (the same for every position).
struct LiqPriceOptions {
    Venue venue = Venue::Generic;
    double fee = 0.0;
    bool leverage = false;  ///< --leverage given
    bool margin = false;    ///< --margin given
    bool extra_margin = false;
    bool wallet_balance = false;  ///< cross margin
    bool other_maint_margin = false;
    bool other_upnl = false;
    std::optional<double> mmr;           ///< a flat tier
    std::optional<double> maint_amount;  ///< of the flat tier
    std::optional<double> max_leverage;  ///< of the flat tier; on Hyperliquid alone it fixes the MMR
    std::optional<std::filesystem::path> tiers_file;
};

/// A checked request: its mode and the tier table every position is quoted on.
struct LiqPricePlan {
    bool cross;
    bool by_leverage;  ///< the leverage is given (isolated: else the margin is)
    TierTable tiers;
    std::string tiers_source;  ///< where the table came from, as liq-price prints it
    MarginParams params;
};

/// Checks the options' combination (InputError naming the options) and builds the tier table (a flat tier,
/// the file, or the embedded BTCUSDT table).
LiqPricePlan plan_liq_price(const LiqPriceOptions& options);

/// One position's numbers; those the plan's mode does not use are ignored.
struct PositionNumbers {
    Side side = Side::Long;
    double entry = 0.0;
    double qty = 0.0;
    double leverage = 0.0;
    double margin = 0.0;
    double extra_margin = 0.0;
    double wallet_balance = 0.0;
    double other_maint_margin = 0.0;
    double other_upnl = 0.0;
};

struct LiqPriceResult {
    LiquidationQuote quote;
    double leverage;  ///< notional / margin (isolated), the setting (cross), NaN when cross gives none
    double notional;
};

/// The position's quote under the plan (InputError as isolated_liquidation / cross_liquidation).
LiqPriceResult quote_liq_price(const LiqPricePlan& plan, const PositionNumbers& position);

}  // namespace wipeout
