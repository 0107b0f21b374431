// A liquidation-price request checked once and quoted per position (shared by `wipeout liq-price` and the
// Python module's vectorized liq_price).
#include "wipeout/liq_price.h"

#include <limits>
#include <utility>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {

Side side_named(std::string_view name) {
    const auto side = parse_side(name);
    if (!side) throw InputError(fmt::format("unknown side '{}' (expected long or short)", name));
    return *side;
}

Venue venue_named(std::string_view name) {
    const auto venue = parse_venue(name);
    if (!venue) {
        throw InputError(
            fmt::format("unknown venue '{}' (expected generic, binance, bybit, hyperliquid or dydx)", name));
    }
    return *venue;
}

LiqPricePlan plan_liq_price(const LiqPriceOptions& o) {
    const bool cross = o.wallet_balance;
    if (!cross && (o.other_maint_margin || o.other_upnl)) {
        throw InputError(
            "--other-maint-margin and --other-upnl describe a cross account: they need --wallet-balance");
    }
    if (cross) {
        if (o.margin) throw InputError("--margin is for isolated positions; cross margin uses --wallet-balance");
        if (o.extra_margin) throw InputError("--extra-margin is for isolated positions");
    } else if (o.leverage == o.margin) {
        throw InputError(o.leverage ? "give either --leverage or --margin, not both"
                                    : "give the position's --leverage or its posted --margin");
    }
    // A flat tier: --mmr; on Hyperliquid the maximum leverage alone, which fixes the MMR there.
    const bool mmr_from_max_leverage = o.venue == Venue::Hyperliquid && o.max_leverage && !o.mmr;
    const bool flat = o.mmr || mmr_from_max_leverage;
    if (!flat && (o.maint_amount || o.max_leverage)) {
        throw InputError(
            "--maint-amount and --max-leverage shape a flat tier: they need --mmr (on hyperliquid "
            "--max-leverage alone is enough)");
    }
    if (flat && o.tiers_file) {
        throw InputError(fmt::format("give either {} or --tiers, not both", o.mmr ? "--mmr" : "--max-leverage"));
    }

    std::string source = mmr_from_max_leverage
                             ? std::string("flat tier (hyperliquid: MMR = 1 / (2 x --max-leverage))")
                         : flat          ? std::string("flat tier (--mmr)")
                         : o.tiers_file ? o.tiers_file->string()
                                        : std::string("embedded data/tiers/btcusdt_binance.csv");
    const double max_leverage = o.max_leverage.value_or(125.0);
    const double mmr = mmr_from_max_leverage ? hyperliquid_mmr(max_leverage) : o.mmr.value_or(0.0);
    TierTable table = flat           ? TierTable::single(mmr, o.maint_amount.value_or(0.0), max_leverage)
                      : o.tiers_file ? TierTable::load(*o.tiers_file)
                                     : TierTable::btc_default();
    return LiqPricePlan{cross, o.leverage, std::move(table), std::move(source), MarginParams{o.fee, o.venue}};
}

LiqPriceResult quote_liq_price(const LiqPricePlan& plan, const PositionNumbers& p) {
    const double notional = p.entry * p.qty;
    if (plan.cross) {
        const auto leverage = plan.by_leverage ? std::optional(p.leverage) : std::nullopt;
        const LiquidationQuote q =
            cross_liquidation(p.side, p.entry, p.qty, leverage,
                              CrossAccount{p.wallet_balance, p.other_maint_margin, p.other_upnl}, plan.tiers,
                              plan.params);
        return {q, leverage.value_or(std::numeric_limits<double>::quiet_NaN()), notional};
    }
    const double margin = plan.by_leverage ? margin_for_leverage(p.entry, p.qty, p.leverage) : p.margin;
    const LiquidationQuote q = isolated_liquidation(
        IsolatedPosition{p.side, p.entry, p.qty, margin, p.extra_margin}, plan.tiers, plan.params);
    return {q, notional / margin, notional};
}

}  // namespace wipeout
