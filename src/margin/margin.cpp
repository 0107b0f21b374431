// Liquidation and bankruptcy prices (MODEL.md M7) under each venue's documented convention.
// The derivations, conventions and sources are in docs/margin.md.
#include "wipeout/margin.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {

namespace {

constexpr std::array<std::pair<std::string_view, Venue>, 5> kVenues = {{{"generic", Venue::Generic},
                                                                        {"binance", Venue::Binance},
                                                                        {"bybit", Venue::Bybit},
                                                                        {"hyperliquid", Venue::Hyperliquid},
                                                                        {"dydx", Venue::Dydx}}};
constexpr double kLeverageSlack = 1e-12;  // relative: 125x computed as notional / margin may round above 125
constexpr double kInf = std::numeric_limits<double>::infinity();

void require_positive(std::string_view what, double value) {
    if (!(std::isfinite(value) && value > 0.0)) {
        throw InputError(fmt::format("{} must be a positive finite number, got {}", what, value));
    }
}

void require_finite(std::string_view what, double value) {
    if (!std::isfinite(value))
        throw InputError(fmt::format("{} must be a finite number, got {}", what, value));
}

void require_fee(double fee) {
    if (!(std::isfinite(fee) && fee >= 0.0 && fee < 1.0)) {
        throw InputError(fmt::format("liquidation fee {} must be in [0, 1) (a fraction of notional)", fee));
    }
}

double sign(Side side) {
    return side == Side::Long ? 1.0 : -1.0;
}

// One liquidation problem. cushion = what absorbs losses at the entry price before the maintenance test:
// margin + extra margin (isolated), WB - TMM1 + UPNL1 (cross, Binance's numerator terms).
struct Problem {
    Side side;
    double entry;
    double qty;
    double cushion;
    double fee;  // only where the venue's trigger includes it
    Venue venue;
};

struct Solution {
    double price;
    int tier;
    bool at_entry;  // liquidatable already at the entry price
};

// Liquidation price if the whole move stayed in bracket t: each venue's documented closed form.
double candidate(const Problem& p, const Tier& t) {
    const double s = sign(p.side);
    switch (p.venue) {
        case Venue::Binance:
            // LP = (WB - TMM1 + UPNL1 + cum - side * Q * EP) / (Q * MMR - side * Q)
            return (p.cushion + t.maint_amount - s * p.qty * p.entry) / (p.qty * t.mmr - s * p.qty);
        case Venue::Hyperliquid: {
            // liq = price - side * margin_available / size / (1 - l * side), l = 1 / maintenance leverage,
            // margin_available = margin - maintenance margin at the current (here: entry) price
            const double margin_available = p.cushion - (p.qty * p.entry * t.mmr - t.maint_amount);
            return p.entry - s * margin_available / p.qty / (1.0 - t.mmr * s);
        }
        case Venue::Dydx: {
            // p' = (e - s * p) / (|s| * MMF - s), s the signed size; dYdX has no maintenance amount
            const double signed_size = s * p.qty;
            return (p.cushion - signed_size * p.entry) / (p.qty * t.mmr - signed_size);
        }
        case Venue::Generic:
        case Venue::Bybit:
            break;
    }
    // Exact M7: cushion + side * Q * (P - E) = (MMR + F) * Q * P - cum
    return (p.entry - s * (p.cushion + t.maint_amount) / p.qty) / (1.0 - s * (t.mmr + p.fee));
}

void require_solvable(const Problem& p, const Tier& t, int tier) {
    if (p.side == Side::Long && !(t.mmr + p.fee < 1.0)) {
        throw InputError(fmt::format("liquidation fee {} plus the MMR {} of tier {} must be below 1", p.fee,
                                     t.mmr, tier + 1));
    }
}

// Maintenance measured at the liquidation price, bracket chosen by the notional there. Walks brackets
// from the entry bracket in the direction the notional moves (down for longs, up for shorts) and returns
// the first price at which equity <= requirement. Where the requirement jumps at a bracket boundary so
// that no bracket is self-consistent, that first price is the boundary itself (docs/margin.md).
Solution solve_at_liquidation_price(const Problem& p, const TierTable& tiers) {
    const int entry_tier = tiers.index_for_notional(p.qty * p.entry);
    int i = entry_tier;
    if (p.side == Side::Long) {
        double upper = p.entry;
        for (;;) {
            const Tier& t = tiers[i];
            require_solvable(p, t, i);
            const double price = candidate(p, t);
            if (price >= upper) return {i == entry_tier ? price : upper, i, i == entry_tier};
            const double lower = i == 0 ? -kInf : t.notional_floor / p.qty;
            if (price >= lower) return {price, i, false};
            upper = lower;
            --i;
        }
    }
    const int last = tiers.size() - 1;
    double lower = p.entry;
    for (;;) {
        const Tier& t = tiers[i];
        const double price = candidate(p, t);
        if (price <= lower) return {i == entry_tier ? price : lower, i, i == entry_tier};
        const double upper = i == last ? kInf : t.notional_cap / p.qty;
        if (price <= upper) return {price, i, false};
        lower = upper;
        ++i;
    }
}

// Bankruptcy price: equity (base + side * Q * (P - E)) reaches zero. Floored at 0 for longs.
double bankruptcy(Side side, double entry, double qty, double base) {
    const double price = entry - sign(side) * base / qty;
    return std::max(price, 0.0);
}

// Shared by isolated and cross: everything after the inputs are checked.
LiquidationQuote quote(const Problem& p, const TierTable& tiers, double bankruptcy_price,
                       double initial_margin) {
    LiquidationQuote q{};
    q.bankruptcy_price = bankruptcy_price;
    q.initial_margin = initial_margin;
    Solution sol{};
    Tier used{};
    if (p.venue == Venue::Bybit) {
        // Bybit (USDT contract): maintenance margin at the entry value, bracket from the entry notional;
        // LP = entry -/+ (IM + extra - MM) / size, the estimated fee to close (at the bankruptcy price)
        // added to MM as on Bybit's unified account.
        const int i = tiers.index_for_notional(p.qty * p.entry);
        used = tiers[i];
        q.maintenance_margin = p.qty * p.entry * used.mmr - used.maint_amount;
        q.liquidation_fee = p.fee * p.qty * bankruptcy_price;
        const double price =
            p.entry - sign(p.side) * (p.cushion - q.maintenance_margin - q.liquidation_fee) / p.qty;
        sol = {price, i, sign(p.side) * (p.entry - price) <= 0.0};
    } else if (p.venue == Venue::Dydx) {
        // dYdX v4: one maintenance margin fraction per market at every size: the table's first bracket.
        used = tiers[0];
        used.maint_amount = 0.0;
        require_solvable(p, used, 0);
        const double price = candidate(p, used);
        sol = {price, 0, sign(p.side) * (p.entry - price) <= 0.0};
    } else {
        sol = solve_at_liquidation_price(p, tiers);
        used = tiers[sol.tier];
    }
    if (sol.at_entry) {
        throw InputError(
            fmt::format("the position is already at or past its liquidation price at entry: liquidation "
                        "price {} vs entry {} "
                        "(its margin does not cover the maintenance requirement of tier {}, MMR {})",
                        sol.price, p.entry, sol.tier + 1, used.mmr));
    }
    q.tier = sol.tier;
    q.mmr = used.mmr;
    q.maint_amount = used.maint_amount;
    if (p.side == Side::Long && sol.price <= 0.0) {
        // A long whose trigger is at or below zero (1x or less) can never be liquidated: reported as 0.
        q.liquidation_price = 0.0;
        q.maintenance_margin = 0.0;
        q.liquidation_fee = 0.0;
        q.liquidates = false;
        return q;
    }
    q.liquidation_price = sol.price;
    if (p.venue != Venue::Bybit) {
        q.maintenance_margin = used.mmr * p.qty * sol.price - used.maint_amount;
        q.liquidation_fee = p.fee * p.qty * sol.price;
    }
    return q;
}

// leverage: none for a cross position without a leverage setting (nothing to check then).
void check_notional_and_leverage(const TierTable& tiers, Venue venue, double entry, double qty,
                                 std::optional<double> leverage) {
    const double notional = entry * qty;
    if (notional > tiers.max_notional()) {
        throw InputError(fmt::format("position notional {} is above the largest bracket's cap {}", notional,
                                     tiers.max_notional()));
    }
    const int i = venue == Venue::Dydx ? 0 : tiers.index_for_notional(notional);
    const Tier& t = tiers[i];
    if (leverage && *leverage > t.max_leverage * (1.0 + kLeverageSlack)) {
        throw InputError(fmt::format("leverage {}x is above the maximum {}x of tier {} (notional {} to {})",
                                     *leverage, t.max_leverage, i + 1, t.notional_floor, t.notional_cap));
    }
}

}  // namespace

std::optional<Side> parse_side(std::string_view name) {
    if (name == "long") return Side::Long;
    if (name == "short") return Side::Short;
    return std::nullopt;
}

std::string_view side_name(Side side) {
    return side == Side::Long ? "long" : "short";
}

std::optional<Venue> parse_venue(std::string_view name) {
    for (const auto& [n, v] : kVenues) {
        if (n == name) return v;
    }
    return std::nullopt;
}

std::string_view venue_name(Venue venue) {
    for (const auto& [n, v] : kVenues) {
        if (v == venue) return n;
    }
    return "unknown";
}

bool venue_fee_in_trigger(Venue venue) {
    return venue == Venue::Generic || venue == Venue::Bybit;
}

double hyperliquid_mmr(double max_leverage) {
    if (!(std::isfinite(max_leverage) && max_leverage >= 1.0)) {
        throw InputError(fmt::format("max leverage {} must be a finite number >= 1", max_leverage));
    }
    return 0.5 / max_leverage;
}

double margin_for_leverage(double entry, double qty, double leverage) {
    require_positive("entry price", entry);
    require_positive("quantity", qty);
    if (!(std::isfinite(leverage) && leverage >= 1.0)) {
        throw InputError(fmt::format("leverage must be a finite number >= 1, got {}", leverage));
    }
    return entry * qty / leverage;
}

LiquidationQuote isolated_liquidation(const IsolatedPosition& position, const TierTable& tiers,
                                      const MarginParams& params) {
    require_positive("entry price", position.entry);
    require_positive("quantity", position.qty);
    require_positive("margin", position.margin);
    require_finite("extra margin", position.extra_margin);
    if (position.extra_margin < 0.0) {
        throw InputError(fmt::format("extra margin must be >= 0, got {}", position.extra_margin));
    }
    require_fee(params.fee);
    check_notional_and_leverage(tiers, params.venue, position.entry, position.qty,
                                position.entry * position.qty / position.margin);
    const double cushion = position.margin + position.extra_margin;
    const Problem p{position.side,
                    position.entry,
                    position.qty,
                    cushion,
                    venue_fee_in_trigger(params.venue) ? params.fee : 0.0,
                    params.venue};
    return quote(p, tiers, bankruptcy(position.side, position.entry, position.qty, cushion), position.margin);
}

LiquidationQuote cross_liquidation(Side side, double entry, double qty, std::optional<double> leverage,
                                   const CrossAccount& account, const TierTable& tiers,
                                   const MarginParams& params) {
    if (params.venue == Venue::Bybit) {
        throw InputError(
            "cross margin is not modelled for venue bybit (its cross formula differs); "
            "use binance, hyperliquid, dydx or generic");
    }
    require_positive("entry price", entry);
    require_positive("quantity", qty);
    // The trigger depends on the account and this position's maintenance, not on its leverage setting, which
    // only sets the initial margin.
    const double initial_margin =
        leverage ? margin_for_leverage(entry, qty, *leverage) : std::numeric_limits<double>::quiet_NaN();
    require_positive("wallet balance", account.wallet_balance);
    require_finite("other positions' maintenance margin", account.other_maint_margin);
    if (account.other_maint_margin < 0.0) {
        throw InputError(fmt::format("other positions' maintenance margin must be >= 0, got {}",
                                     account.other_maint_margin));
    }
    require_finite("other positions' unrealized PnL", account.other_upnl);
    require_fee(params.fee);
    const double equity = account.wallet_balance + account.other_upnl;
    if (!(equity > 0.0)) {
        throw InputError(fmt::format(
            "account equity (wallet balance + other unrealized PnL) is {}: not positive", equity));
    }
    check_notional_and_leverage(tiers, params.venue, entry, qty, leverage);
    const double cushion = account.wallet_balance - account.other_maint_margin + account.other_upnl;
    const Problem p{side,        entry, qty, cushion, venue_fee_in_trigger(params.venue) ? params.fee : 0.0,
                    params.venue};
    return quote(p, tiers, bankruptcy(side, entry, qty, equity), initial_margin);
}

}  // namespace wipeout
