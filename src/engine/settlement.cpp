#include "settlement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace wipeout::engine {

double Settlement::fill(Side side, double qty, double entry_value, double margin, double part,
                        double fundamental) {
    // Sends `part` of a (qty, entry_value, margin) liquidation to the book; returns the equity it leaves.
    const double sign = side == Side::Long ? 1.0 : -1.0;
    const double q = part * qty;
    const double price = fundamental * (1.0 - book_.execute(sign * q * fundamental));
    transfers_book_ += sign * (part * entry_value - q * price);
    return sign * (q * price - part * (entry_value - sign * margin));
}

void Settlement::settle(Side side, double qty, double entry_value, double margin, double t,
                        double fundamental, double mark) {
    const double sign = side == Side::Long ? 1.0 : -1.0;
    const double bankrupt_value = entry_value - sign * margin;  // qty * bankruptcy price
    const auto shortfall_of = [&](double part) {
        return -sign * (part * qty * fill_price(side, part * qty, fundamental) - part * bankrupt_value);
    };
    const double available = fund_.available();
    if (!adl_enabled_) {
        absorb(fill(side, qty, entry_value, margin, 1.0, fundamental), t);
        return;
    }
    // The whole order, previewed once: when the fund covers its shortfall it is executed as previewed.
    const double c = sign * qty * fundamental;
    double end_displacement;
    const double price = fundamental * (1.0 - book_.preview(c, &end_displacement));
    if (-sign * (1.0 * qty * price - 1.0 * bankrupt_value) <= available) {
        book_.commit(c, end_displacement);
        transfers_book_ += sign * (1.0 * entry_value - qty * price);
        absorb(sign * (qty * price - 1.0 * (entry_value - sign * margin)), t);
        return;
    }
    // M10: the fund cannot cover it all. Send to the book only the part whose shortfall the fund can pay
    // (bisection on the part: the shortfall grows with it), deleverage the rest (adl.h). From here on the
    // path is not the one an unlimited fund would have had.
    diverged_ = true;
    double lo = 0, hi = 1;
    // The bisection's smallest trial part, 2^-47: when even it is short (the book is already past the
    // bankruptcy price, usual once a cascade has emptied the fund), the answer is 0 without the 47 trials.
    if (shortfall_of(0x1p-47) > available) hi = 0;
    for (int it = 0; it < 64 && hi - lo > 1e-14; ++it) {
        const double mid = 0.5 * (lo + hi);
        (shortfall_of(mid) > available ? hi : lo) = mid;
    }
    if (lo > 0) absorb(fill(side, qty, entry_value, margin, lo, fundamental), t);
    mark_depleted(t);
    const double rest = 1.0 - lo;
    // ADL comes only once the fund is spent: up to the bisection's resolution, a relative 1e-9 of the order's
    // shortfall (or of the fund's initial balance, at whose scale its sums round).
    if (checks_.on && fund_.enabled() &&
        fund_.available() > 1e-9 * std::max({1.0, fund_.initial(), shortfall_of(1.0)}))
        checks_.fail(t, "ADL while the insurance fund still holds " + std::to_string(fund_.balance()));
    double matched_part;
    if (adl_.design() == AdlDesign::Queue) {
        const double matched = adl_.deleverage(crowd_, side, rest * qty, bankrupt_value / qty, mark, t);
        matched_part = matched / qty;
        transfers_adl_ += matched_part * margin;  // closed at bankruptcy: the margin exactly covers the loss
    } else {
        const AdlShare done = adl_.share(crowd_, side, rest * qty, bankrupt_value / qty, mark, t);
        matched_part = done.matched / qty;
        // The counterparties took the matched part at the mark plus their haircut (a long sold to them, a
        // short bought from them at the mark less it).
        transfers_adl_ += sign * (matched_part * entry_value - (done.matched * mark + sign * done.haircut));
        // What that leaves the liquidated position: nothing when the haircut covers its deficit; a surplus to
        // the fund when the mark is above its bankruptcy price; the deficit the profit could not cover.
        const double equity = done.deficit <= 0 ? -done.deficit : done.haircut - done.deficit;
        if (equity != 0) absorb(equity, t);
    }
    const double unmatched_part = rest - matched_part;
    if (unmatched_part > 1e-15) {
        // No counterparty left in profit: the rest goes to the book after all, and its loss is bad debt.
        absorb(fill(side, qty, entry_value, margin, unmatched_part, fundamental), t);
    }
}

void Settlement::absorb(double equity, double t) {
    // M9: equity left at the fill. > 0: fee and surplus to the fund (to the exchange when there is no fund).
    // < 0: a shortfall the fund pays as far as it can (all of it, going negative, when ADL is off); the rest
    // is bad debt.
    if (equity >= 0) {
        fund_.receive(equity);
        if (!fund_.enabled()) exchange_revenue_ += equity;
        fees_ += equity;
        ledger_ += equity;
        return;
    }
    const double shortfall = -equity;
    // The fund this shortfall needs beyond what the fund has received and paid so far (settle's test is
    // shortfall <= balance, and the balance is the initial fund plus the ledger).
    needed_ = std::max(needed_, shortfall - ledger_);
    ledger_ -= shortfall;
    const double paid = !fund_.enabled() ? 0.0
                        : adl_enabled_   ? std::min(shortfall, fund_.available())
                                         : shortfall;
    if (paid > 0) {
        fund_.pay(paid);
        payout_ += paid;
    }
    bad_debt_ += shortfall - paid;
    if (fund_.enabled() && (shortfall > paid || fund_.balance() < 0)) mark_depleted(t);
}

void Settlement::mark_depleted(double t) {
    depleted_ = true;
    if (depletion_time_ < 0) depletion_time_ = t;
}

double Settlement::conservation_residual(double margin_taken, double backlog_margin) const {
    // Relative to the largest amount in play, the fund's own balance included: its sums round at its scale.
    const double accounted = transfers_book_ + transfers_adl_ + (fund_.balance() - fund_.initial()) +
                             exchange_revenue_ - bad_debt_ + backlog_margin;
    return std::abs(margin_taken - accounted) /
           std::max({1.0, margin_taken, std::abs(transfers_book_), fund_.initial()});
}

void Settlement::report(PathOutputs& out, double shock_start, double horizon) const {
    out.fund_fees = fees_;
    out.fund_payout = payout_;
    out.bad_debt = bad_debt_;
    out.fund_depleted = depleted_ ? 1 : 0;
    out.fund_min = fund_.min_balance();
    out.fund_final = fund_.balance();
    out.fund_depletion_time_s =
        depletion_time_ >= 0 ? std::max(0.0, depletion_time_ - shock_start) : horizon - shock_start;
    // Known from this path's own ledger only while it is an unlimited fund's; else the engine re-runs it so.
    const double needed = fund_needed_known() ? needed_ : std::numeric_limits<double>::quiet_NaN();
    out.fund_needed = needed;
    out.fund_needed_to_oi = needed / initial_oi_;
}

}  // namespace wipeout::engine
