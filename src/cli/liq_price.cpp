// wipeout liq-price: liquidation and bankruptcy price of one position, isolated or cross (docs/margin.md).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "wipeout/error.h"
#include "wipeout/liq_price.h"
#include "wipeout/margin.h"
#include "wipeout/quoted.h"
#include "wipeout/tiers.h"

namespace wipeout::cli {
namespace {

struct LiqPriceArgs {
    std::string side;
    std::string venue = "generic";
    std::string tiers_file;
    double entry = 0.0;
    double qty = 0.0;
    double leverage = 0.0;
    double margin = 0.0;
    double extra_margin = 0.0;
    double mmr = 0.0;
    double maint_amount = 0.0;
    double max_leverage = 125.0;
    double fee = 0.0;
    double wallet_balance = 0.0;
    double other_maint_margin = 0.0;
    double other_upnl = 0.0;
    bool json = false;
    // Which options were given: CLI11 leaves the rest at their defaults.
    CLI::Option* leverage_opt = nullptr;
    CLI::Option* margin_opt = nullptr;
    CLI::Option* extra_margin_opt = nullptr;
    CLI::Option* mmr_opt = nullptr;
    CLI::Option* maint_amount_opt = nullptr;
    CLI::Option* max_leverage_opt = nullptr;
    CLI::Option* tiers_opt = nullptr;
    CLI::Option* wallet_opt = nullptr;
    CLI::Option* other_mm_opt = nullptr;
    CLI::Option* other_upnl_opt = nullptr;
};

// Prices, sizes, money and leverage: at most 1e15, beyond any market, so a larger value is a typo, and small
// enough that products of them stay far inside a double's range.
constexpr double kMaxAmount = 1e15;

bool given(const CLI::Option* opt) {
    return opt != nullptr && opt->count() > 0;
}

// JSON numbers: shortest representation that round-trips; null where unknown (NaN).
std::string num(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

void run(const LiqPriceArgs& a) {
    const Side side = side_named(a.side);
    const Venue venue = venue_named(a.venue);
    LiqPriceOptions options;
    options.venue = venue;
    options.fee = a.fee;
    options.leverage = given(a.leverage_opt);
    options.margin = given(a.margin_opt);
    options.extra_margin = given(a.extra_margin_opt);
    options.wallet_balance = given(a.wallet_opt);
    options.other_maint_margin = given(a.other_mm_opt);
    options.other_upnl = given(a.other_upnl_opt);
    if (given(a.mmr_opt)) options.mmr = a.mmr;
    if (given(a.maint_amount_opt)) options.maint_amount = a.maint_amount;
    if (given(a.max_leverage_opt)) options.max_leverage = a.max_leverage;
    if (given(a.tiers_opt)) options.tiers_file = a.tiers_file;
    const LiqPricePlan plan = plan_liq_price(options);
    const bool cross = plan.cross;
    const std::string& tiers_source = plan.tiers_source;
    const LiqPriceResult r = quote_liq_price(
        plan, PositionNumbers{side, a.entry, a.qty, a.leverage, a.margin, a.extra_margin, a.wallet_balance,
                              a.other_maint_margin, a.other_upnl});
    const LiquidationQuote& q = r.quote;
    const double leverage = r.leverage;
    const double notional = r.notional;
    const int tier = q.tier + 1;  // the CLI numbers brackets from 1, as the venues do

    if (a.json) {
        std::string out = "{";
        out += fmt::format("\"mode\":\"{}\",\"venue\":\"{}\",\"side\":\"{}\",\"tiers\":{},",
                           cross ? "cross" : "isolated", venue_name(venue), side_name(side),
                           quoted_text(tiers_source));
        out += fmt::format("\"entry\":{},\"qty\":{},\"notional\":{},\"leverage\":{},", num(a.entry),
                           num(a.qty), num(notional), num(leverage));
        if (cross) {
            out += fmt::format("\"wallet_balance\":{},\"other_maint_margin\":{},\"other_upnl\":{},",
                               num(a.wallet_balance), num(a.other_maint_margin), num(a.other_upnl));
        } else {
            out += fmt::format("\"extra_margin\":{},", num(a.extra_margin));
        }
        out += fmt::format(
            "\"liquidation_price\":{},\"bankruptcy_price\":{},\"initial_margin\":{},\"maintenance_margin\":{}"
            ","
            "\"liquidation_fee\":{},\"fee\":{},\"fee_in_trigger\":{},\"tier\":{},\"mmr\":{},\"maint_amount\":"
            "{},"
            "\"liquidates\":{}}}\n",
            num(q.liquidation_price), num(q.bankruptcy_price), num(q.initial_margin),
            num(q.maintenance_margin), num(q.liquidation_fee), num(a.fee),
            venue_fee_in_trigger(venue) ? "true" : "false", tier, num(q.mmr), num(q.maint_amount),
            q.liquidates ? "true" : "false");
        std::fputs(out.c_str(), stdout);
        return;
    }

    std::string out = fmt::format("{} {} position, venue {}, tiers: {}\n", cross ? "cross" : "isolated",
                                  side_name(side), venue_name(venue), tiers_source);
    out += fmt::format("  entry price         {:.10g}\n", a.entry);
    out += fmt::format("  quantity            {:.10g} (notional {:.10g})\n", a.qty, notional);
    if (cross) {
        out += std::isfinite(leverage)
                   ? fmt::format("  leverage            {:.6g}x (initial margin {:.10g})\n", leverage,
                                 q.initial_margin)
                   : std::string(
                         "  leverage            not given (initial margin unknown; the liquidation price "
                         "does not depend on it)\n");
        out += fmt::format(
            "  account             wallet balance {:.10g}, others' maintenance margin {:.10g}, "
            "others' unrealized PnL {:.10g}\n",
            a.wallet_balance, a.other_maint_margin, a.other_upnl);
    } else {
        out += fmt::format("  leverage            {:.6g}x (initial margin {:.10g}, extra margin {:.10g})\n",
                           leverage, q.initial_margin, a.extra_margin);
    }
    if (q.liquidates) {
        out += fmt::format("  liquidation price   {:.10g} ({:+.4f}% from entry)\n", q.liquidation_price,
                           100.0 * (q.liquidation_price - a.entry) / a.entry);
    } else {
        out += "  liquidation price   none: the position cannot be liquidated (reported as 0)\n";
    }
    out += fmt::format("  bankruptcy price    {:.10g}\n", q.bankruptcy_price);
    out +=
        fmt::format("  maintenance margin  {:.10g} {} (tier {}: MMR {:.6g}%, maintenance amount {:.10g})\n",
                    q.maintenance_margin, venue == Venue::Bybit ? "at entry" : "at liquidation", tier,
                    100.0 * q.mmr, q.maint_amount);
    if (venue_fee_in_trigger(venue)) {
        out += fmt::format("  liquidation fee     {:.10g} (fee {:.6g}% of notional, part of the trigger)\n",
                           q.liquidation_fee, 100.0 * a.fee);
    } else if (a.fee > 0.0) {
        out += fmt::format("  liquidation fee     not part of {}'s trigger (charged at closure)\n",
                           venue_name(venue));
    }
    std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_liq_price_command(CLI::App& app) {
    auto args = std::make_shared<LiqPriceArgs>();
    CLI::App* cmd = app.add_subcommand(
        "liq-price", "Liquidation and bankruptcy price of one linear perpetual position (isolated or cross)");
    // The ranges are checked while parsing (options.h); what depends on several options is checked in run().
    constexpr RealRange positive{0.0, kMaxAmount, true};
    constexpr RealRange non_negative{0.0, kMaxAmount};
    constexpr RealRange leverage{1.0, kMaxAmount};
    constexpr RealRange fraction{0.0, 1.0, false, true};
    cmd->add_option("--side", args->side, "long or short")->required();
    add_real_option(*cmd, "--entry", args->entry, "Entry price (quote currency)", positive)->required();
    add_real_option(*cmd, "--qty", args->qty, "Position size (base units)", positive)->required();
    args->leverage_opt = add_real_option(*cmd, "--leverage", args->leverage,
                                         "Leverage; initial margin = notional / leverage", leverage);
    args->margin_opt = add_real_option(*cmd, "--margin", args->margin,
                                       "Posted initial margin (isolated; instead of --leverage)", positive);
    args->extra_margin_opt = add_real_option(*cmd, "--extra-margin", args->extra_margin,
                                             "Margin added after opening (isolated)", non_negative);
    args->mmr_opt = add_real_option(
        *cmd, "--mmr", args->mmr,
        "Flat maintenance margin rate, e.g. 0.005 (one tier; 0 with no fee: E (1 -/+ 1/L))", fraction);
    args->maint_amount_opt =
        add_real_option(*cmd, "--maint-amount", args->maint_amount,
                        "Maintenance amount of the flat tier (needs --mmr)", non_negative);
    args->max_leverage_opt = add_real_option(*cmd, "--max-leverage", args->max_leverage,
                                             "Max leverage of the flat tier (needs --mmr, except on "
                                             "hyperliquid: MMR = 1 / (2 max leverage); default 125)",
                                             leverage);
    add_real_option(*cmd, "--fee", args->fee, "Liquidation fee, fraction of notional (default 0)", fraction);
    args->tiers_opt = cmd->add_option(
        "--tiers", args->tiers_file,
        "Tier CSV (default: the embedded Binance BTCUSDT table, data/tiers/btcusdt_binance.csv)");
    cmd->add_option("--venue", args->venue,
                    "Convention: generic (default), binance, bybit, hyperliquid, dydx");
    args->wallet_opt =
        add_real_option(*cmd, "--wallet-balance", args->wallet_balance,
                        "Cross margin: wallet balance WB (switches to cross margin)", positive);
    args->other_mm_opt =
        add_real_option(*cmd, "--other-maint-margin", args->other_maint_margin,
                        "Cross margin: maintenance margin of the other positions (TMM1)", non_negative);
    args->other_upnl_opt = add_real_option(*cmd, "--other-upnl", args->other_upnl,
                                           "Cross margin: unrealized PnL of the other positions (UPNL1)",
                                           {-kMaxAmount, kMaxAmount});
    cmd->add_flag("--json", args->json, "Print one JSON object (tier numbered from 1)");
    cmd->callback([args] { run(*args); });
}

}  // namespace wipeout::cli
