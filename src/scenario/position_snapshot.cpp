// A venue's positions replacing the parametric crowd (include/wipeout/position_snapshot.h).
#include "wipeout/position_snapshot.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "wipeout/csv.h"
#include "wipeout/error.h"
#include "wipeout/population.h"
#include "wipeout/random.h"
#include "wipeout/tiers.h"

namespace wipeout {
namespace {

// Leverage within a few ulps of a bracket's maximum passes (the margin module's own slack).
constexpr double kLeverageSlack = 1e-9;

/// A cross account while its rows are read: one position per side (one-way mode nets a side's rows).
struct CrossAccountRows {
    std::optional<double> wallet_balance;
    std::size_t wallet_column = 0;
    double qty[2] = {0, 0}, entry_value[2] = {0, 0};
    std::uint32_t first_line[2] = {0, 0};
};

}  // namespace

PositionSnapshot PositionSnapshot::parse_csv(std::string_view text, std::string_view source_name,
                                             const TierTable& tiers) {
    PositionSnapshot snap;
    snap.source_ = std::string(source_name);
    CsvReader csv(text, snap.source_);
    const std::size_t side_c = csv.required("side"), entry_c = csv.required("entry"), qty_c = csv.required("qty");
    const auto leverage_c = csv.column("leverage"), margin_c = csv.column("margin");
    const auto account_c = csv.column("account"), mode_c = csv.column("mode");
    const auto wallet_c = csv.column("wallet_balance");
    if (!leverage_c && !margin_c)
        throw InputError(fmt::format("{}:1: header: column 'leverage' (or 'margin') is missing", snap.source_));

    std::unordered_map<std::string_view, std::uint32_t> account_index;
    std::vector<std::optional<CrossAccountRows>> cross;  // per account, once it has a cross row
    for (; csv.next(); ++snap.rows_) {
        const std::string_view side_text = csv.field(side_c);
        const auto side = parse_side(side_text);
        if (!side) csv.fail(side_c, "is not a side: expected long or short");
        const double entry = csv.positive(entry_c, "a positive entry price");
        const double qty = csv.positive(qty_c, "a positive quantity (base units)");
        const double notional = entry * qty;
        if (notional > tiers.max_notional())
            csv.fail(qty_c, fmt::format("gives a notional of {} above the tier table's largest cap {}", notional,
                                        tiers.max_notional()));
        const Tier& tier = tiers[tiers.index_for_notional(notional)];
        const auto check_leverage = [&](std::size_t c, double leverage) {
            if (leverage < 1.0) csv.fail(c, "is below 1x");
            if (leverage > tier.max_leverage * (1.0 + kLeverageSlack))
                csv.fail(c, fmt::format("is above the maximum {}x of the tier of notional {}", tier.max_leverage,
                                        notional));
        };
        const bool has_margin = margin_c && !csv.field(*margin_c).empty();
        const bool has_leverage = leverage_c && !csv.field(*leverage_c).empty();
        std::optional<double> leverage;
        if (has_leverage) {
            leverage = csv.positive(*leverage_c, "a leverage (a number >= 1)");
            check_leverage(*leverage_c, *leverage);
        }

        const std::string_view mode = mode_c ? csv.field(*mode_c) : std::string_view{};
        if (!mode.empty() && mode != "isolated" && mode != "cross")
            csv.fail(*mode_c, "is not a margin mode: expected isolated or cross");
        const std::string_view account = account_c ? csv.field(*account_c) : std::string_view{};
        std::uint32_t index;
        if (account.empty()) {
            index = static_cast<std::uint32_t>(snap.accounts_.size());
            snap.accounts_.emplace_back();
            cross.emplace_back();
        } else {
            const auto [it, added] =
                account_index.try_emplace(account, static_cast<std::uint32_t>(snap.accounts_.size()));
            if (added) {
                snap.accounts_.emplace_back(account);
                cross.emplace_back();
            }
            index = it->second;
        }
        const auto line = static_cast<std::uint32_t>(csv.line());

        if (mode == "cross") {
            if (account.empty()) csv.fail(*mode_c, "needs an account: cross positions share their account's wallet");
            if (!cross[index]) cross[index].emplace();
            CrossAccountRows& a = *cross[index];
            if (wallet_c && !csv.field(*wallet_c).empty()) {
                const double wb = csv.positive(*wallet_c, "a positive wallet balance");
                if (a.wallet_balance && *a.wallet_balance != wb)
                    csv.fail(*wallet_c, fmt::format("differs from account '{}''s wallet balance {} on an earlier row",
                                                    account, *a.wallet_balance));
                a.wallet_balance = wb;
            }
            const int s = *side == Side::Long ? 0 : 1;
            if (a.qty[1 - s] > 0)
                csv.fail(side_c, fmt::format("account '{}' already holds a cross {}: hedge mode (both sides in one "
                                             "account) is not modelled",
                                             account, side_name(*side == Side::Long ? Side::Short : Side::Long)));
            if (a.qty[s] == 0) a.first_line[s] = line;
            a.qty[s] += qty;
            a.entry_value[s] += notional;
            continue;
        }
        double margin;
        if (has_margin) {
            margin = csv.positive(*margin_c, "a positive margin (quote)");
            check_leverage(*margin_c, notional / margin);
        } else if (leverage) {
            margin = notional / *leverage;
        } else {
            csv.fail(leverage_c ? *leverage_c : *margin_c, "is empty: an isolated position needs a leverage or a margin");
        }
        snap.positions_.push_back({*side, false, index, line, entry, qty, margin});
    }
    // Cross accounts: one position per account and side, margined by the wallet.
    for (std::uint32_t i = 0; i < cross.size(); ++i) {
        if (!cross[i]) continue;
        const CrossAccountRows& a = *cross[i];
        for (int s = 0; s < 2; ++s) {
            if (a.qty[s] == 0) continue;
            if (!a.wallet_balance)
                throw InputError(fmt::format("{}:{}: cross account '{}' has no wallet_balance on any of its rows",
                                             snap.source_, a.first_line[s], snap.accounts_[i]));
            snap.positions_.push_back({s == 0 ? Side::Long : Side::Short, true, i, a.first_line[s],
                                       a.entry_value[s] / a.qty[s], a.qty[s], *a.wallet_balance});
        }
    }
    if (snap.positions_.empty()) throw InputError(fmt::format("{}: no positions", snap.source_));
    return snap;
}

PositionSnapshot PositionSnapshot::load(const std::filesystem::path& file, const TierTable& tiers) {
    const std::string text = CsvReader::read_file(file, "position snapshot");
    return parse_csv(text, file.string(), tiers);
}

std::string PositionSnapshot::describe(const Summary& s) const {
    std::size_t named = 0;
    for (const auto& a : accounts_) named += !a.empty();
    return fmt::format(
        "{}: {} rows, {} accounts; {} positions in {} cohorts, open interest {:.4g} long / {:.4g} short; {} past their "
        "liquidation price at the reference price left out ({} long, {} short){}",
        source_, rows_, named, s.positions, s.cohorts, s.long_oi, s.short_oi, s.excluded_long + s.excluded_short,
        s.excluded_long, s.excluded_short,
        s.never_liquidated > 0 ? fmt::format("; {} longs at or below 1x never liquidate", s.never_liquidated) : "");
}

void PositionSnapshot::scale(Population& population, double oi_scale) {
    for (auto* side : {&population.longs, &population.shorts}) {
        for (Cohort& c : *side) c.qty *= oi_scale;
    }
    population.long_oi *= oi_scale;
    population.short_oi *= oi_scale;
}

PositionSnapshot::Summary PositionSnapshot::build(const TierTable& tiers, double fee, double reference_price,
                                                  double oi_scale, Population& out, double bin_width) const {
    out = Population{};
    Summary summary;
    const MarginParams margin_params{fee, Venue::Generic};
    // A cohort: side, bracket at the trigger, leverage class (a quarter of a doubling) and liquidation-price
    // bin (log, relative to the reference). Accumulated sums, then one cohort each.
    struct Key {
        std::int64_t bin;
        std::int32_t leverage_class;
        std::uint8_t side, tier;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            // Unsigned: the never-liquidated bin is INT64_MIN, and signed overflow is undefined.
            const auto bin = static_cast<std::uint64_t>(k.bin), lev = static_cast<std::uint64_t>(k.leverage_class);
            return std::hash<std::uint64_t>()(bin * 1000003u + lev * 131u + k.side * 7u + k.tier);
        }
    };
    struct Sums {
        double qty = 0, entry_value = 0, margin = 0, liquidation_value = 0, count = 0;
    };
    std::unordered_map<Key, Sums, KeyHash> cells;
    cells.reserve(4096);
    constexpr std::int64_t kNeverBin = std::numeric_limits<std::int64_t>::min();
    for (const SnapshotPosition& p : positions_) {
        LiquidationQuote q;
        try {
            q = p.cross ? cross_liquidation(p.side, p.entry, p.qty, std::nullopt, CrossAccount{p.margin}, tiers,
                                            margin_params)
                        : isolated_liquidation({p.side, p.entry, p.qty, p.margin}, tiers, margin_params);
        } catch (const InputError& e) {
            throw InputError(fmt::format("{}:{}: {} position: {} (liquidation fee {})", source_, p.line,
                                         side_name(p.side), e.what(), fee));
        }
        const bool crossed = q.liquidates && (p.side == Side::Long ? reference_price <= q.liquidation_price
                                                                   : reference_price >= q.liquidation_price);
        if (crossed) {
            ++(p.side == Side::Long ? summary.excluded_long : summary.excluded_short);
            continue;
        }
        ++summary.positions;
        if (!q.liquidates) ++summary.never_liquidated;
        const double notional = p.entry * p.qty;
        const Key key{q.liquidates ? static_cast<std::int64_t>(
                                         std::floor(std::log(q.liquidation_price / reference_price) / bin_width))
                                   : kNeverBin,
                      static_cast<std::int32_t>(std::floor(4.0 * std::log2(notional / p.margin))),
                      static_cast<std::uint8_t>(p.side == Side::Long ? 0 : 1), static_cast<std::uint8_t>(q.tier)};
        Sums& s = cells[key];
        s.qty += p.qty;
        s.entry_value += notional;
        s.margin += p.margin;
        s.liquidation_value += p.qty * q.liquidation_price;
        s.count += 1;
        (p.side == Side::Long ? summary.long_oi : summary.short_oi) += p.qty * reference_price;
    }
    // In key order, so the cohorts (and every path on them) do not depend on the hash table's layout: by leverage
    // class, then liquidation price, so that neighbours share leverage and entry (ADL bounds them by group).
    std::vector<std::pair<Key, Sums>> sorted(cells.begin(), cells.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        const Key &x = a.first, &y = b.first;
        return std::tie(x.side, x.leverage_class, x.bin, x.tier) < std::tie(y.side, y.leverage_class, y.bin, y.tier);
    });
    for (const auto& [key, s] : sorted) {
        const Cohort c{s.liquidation_value / s.qty,
                       s.entry_value / s.qty,
                       s.qty,
                       s.qty / s.count,
                       s.entry_value / s.margin,  // keeps the cohort's margin, qty * entry / leverage, exact
                       0,
                       key.tier,
                       0};
        (key.side == 0 ? out.longs : out.shorts).push_back(c);
    }
    out.long_oi = summary.long_oi;
    out.short_oi = summary.short_oi;
    summary.cohorts = out.longs.size() + out.shorts.size();
    scale(out, oi_scale);
    summary.long_oi *= oi_scale;
    summary.short_oi *= oi_scale;
    return summary;
}

}  // namespace wipeout

namespace wipeout {

DrawnSnapshot draw_snapshot(const Population& crowd, double reference_price, const SnapshotDraw& settings) {
    if (settings.positions == 0 || settings.accounts == 0)
        throw InputError("draw_snapshot: needs at least one position and one account");
    if (!(settings.cross_share >= 0 && settings.cross_share <= 1))
        throw InputError(fmt::format("draw_snapshot: cross share {} is not in [0, 1]", settings.cross_share));
    // Every cohort of the crowd, grid and explicit, by side, size class and liquidation price.
    std::vector<std::pair<Cohort, Side>> cohorts;
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& runs = side == Side::Long ? crowd.long_runs : crowd.short_runs;
        for (std::size_t k = 0; k < runs.size(); ++k) {
            for (std::size_t e = runs[k].first_alive; e < runs[k].last_alive; ++e)
                cohorts.emplace_back(crowd.cohort(side, k, e), side);
        }
        for (const Cohort& c : side == Side::Long ? crowd.longs : crowd.shorts) cohorts.emplace_back(c, side);
    }
    std::erase_if(cohorts, [](const auto& c) { return !(c.first.qty > 0); });
    if (cohorts.empty()) throw InputError("draw_snapshot: the crowd holds no position");
    std::stable_sort(cohorts.begin(), cohorts.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second, a.first.size_class, a.first.liquidation_price) <
               std::tie(b.second, b.first.size_class, b.first.liquidation_price);
    });
    std::vector<double> cumulative;
    double total = 0, crowd_qty = 0;
    for (const auto& [c, side] : cohorts) {
        total += c.qty / c.position_qty;
        crowd_qty += c.qty;
        cumulative.push_back(total);
    }

    // Systematic sampling: positions at evenly spaced points of the cumulative count, so each cohort gets its
    // expected number of draws to within one, and each size class too (the few large positions that carry much
    // of the open interest are not left to chance).
    struct Row {
        std::size_t cohort;
        std::int64_t account;  // >= 0: isolated account; < 0: cross account -(j + 1)
    };
    std::vector<Row> rows(settings.positions);
    RandomStream stream(settings.seed, 0, StreamId::Snapshot);
    const double spacing = total / static_cast<double>(settings.positions), offset = stream.uniform();
    const std::size_t cross_accounts = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::llround(settings.cross_share * static_cast<double>(settings.accounts))));
    std::size_t at = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        Row& r = rows[i];
        const double u = (static_cast<double>(i) + offset) * spacing;
        while (at + 1 < cumulative.size() && cumulative[at] <= u) ++at;
        r.cohort = at;
        const bool cross = stream.uniform() < settings.cross_share;
        const auto j = static_cast<std::int64_t>(stream.uniform() * static_cast<double>(cross ? cross_accounts : settings.accounts));
        // A cross account holds one side: its longs and its shorts are two accounts.
        r.account = cross ? -(2 * j + (cohorts[r.cohort].second == Side::Long ? 0 : 1) + 1) : j;
    }
    // Cross wallets: the margin of their positions, and a cushion.
    std::unordered_map<std::int64_t, double> wallet;
    for (const Row& r : rows) {
        if (r.account >= 0) continue;
        const Cohort& c = cohorts[r.cohort].first;
        wallet[r.account] += c.position_qty * c.entry / c.leverage;
    }
    std::vector<std::int64_t> wallet_keys;
    for (const auto& [k, v] : wallet) wallet_keys.push_back(k);
    std::sort(wallet_keys.begin(), wallet_keys.end(), std::greater<>());
    for (const auto k : wallet_keys) wallet[k] *= 1.0 + settings.cross_cushion * stream.uniform();

    DrawnSnapshot out{"account,side,entry,qty,leverage,mode,wallet_balance\n", 1.0, 0, 0};
    out.csv.reserve(out.csv.size() + 80 * rows.size());
    for (const Row& r : rows) {
        const auto& [c, side] = cohorts[r.cohort];
        (side == Side::Long ? out.long_oi : out.short_oi) += c.position_qty * reference_price;
        if (r.account >= 0) {
            fmt::format_to(std::back_inserter(out.csv), "a{},{},{:.8g},{:.6g},{:.5g},isolated,\n", r.account,
                           side_name(side), c.entry, c.position_qty, c.leverage);
        } else {
            fmt::format_to(std::back_inserter(out.csv), "x{},{},{:.8g},{:.6g},{:.5g},cross,{:.8g}\n", -r.account - 1,
                           side_name(side), c.entry, c.position_qty, c.leverage, wallet[r.account]);
        }
    }
    // The crowd's quantity over the snapshot's: open interest valued at the reference price on both sides.
    out.oi_scale = crowd_qty * reference_price / (out.long_oi + out.short_oi);
    return out;
}

}  // namespace wipeout
