#pragma once
// M9-M10: settling an executed liquidation. The order fills through the book; equity left above bankruptcy
// (the fee and any surplus) goes to the insurance fund, a shortfall is paid by the fund as far as it can.
// When the fund cannot cover an order's shortfall, only the part it can cover goes to the book and the rest
// is auto-deleveraged (adl.h, by the design adl.design names); what ADL cannot match or cover is bad debt.
// Keeps the ledger that money conservation is checked against, and the one fund_needed is read from.
#include "adl.h"
#include "invariants.h"
#include "wipeout/cascade_params.h"
#include "wipeout/insurance_fund.h"
#include "wipeout/order_book.h"
#include "wipeout/path_outputs.h"

namespace wipeout::engine {

class Settlement {
  public:
    Settlement(const CascadeParams& p, double initial_oi, OrderBook& book, Adl& adl, Crowd& crowd,
               InvariantChecks checks)
        : fund_(initial_oi * p.fund_to_oi, p.fund_enabled),
          initial_oi_(initial_oi),
          adl_enabled_(p.adl_enabled),
          book_(book),
          adl_(adl),
          crowd_(crowd),
          checks_(checks) {}

    /// Settles a (qty, entry value, margin) liquidation of `side` executed in the step that started at t,
    /// with V = `fundamental` and the mark at `mark`.
    void settle(Side side, double qty, double entry_value, double margin, double t, double fundamental,
                double mark);

    const InsuranceFund& fund() const { return fund_; }
    double bad_debt() const { return bad_debt_; }
    /// |money in - money out| relative to the largest amount in play: what liquidated traders lost (the
    /// margin the engine took, less what still waits in its backlog) against what went to their
    /// counterparties, the fund and the exchange, less bad debt.
    double conservation_residual(double margin_taken, double backlog_margin) const;
    /// Writes the fund's and the losses' outputs.
    void report(PathOutputs& out, double shock_start, double horizon) const;
    /// Whether this path's ledger is the one an unlimited fund would have kept, which gives fund_needed: ADL
    /// is off (the fund pays everything, going negative), or the fund covered every shortfall. ADL moves the
    /// book's path (the part deleveraged never reaches it), so after an ADL the path is another.
    bool fund_needed_known() const { return !adl_enabled_ || !diverged_; }

  private:
    double fill(Side side, double qty, double entry_value, double margin, double part, double fundamental);
    double fill_price(Side side, double qty, double fundamental) const {
        // A long's liquidation sells (walks the bids), a short's buys.
        return fundamental * (1.0 - book_.preview((side == Side::Long ? 1.0 : -1.0) * qty * fundamental));
    }
    void absorb(double equity, double t);
    void mark_depleted(double t);

    InsuranceFund fund_;
    double initial_oi_;
    bool adl_enabled_;
    OrderBook& book_;
    Adl& adl_;
    Crowd& crowd_;
    InvariantChecks checks_;
    // ledger (money conservation)
    double transfers_book_ = 0, transfers_adl_ = 0, exchange_revenue_ = 0;
    // outputs
    double fees_ = 0, payout_ = 0, bad_debt_ = 0;
    bool depleted_ = false;
    double depletion_time_ = -1;
    // fund_needed: the running sum of what the fund received (+) and paid (-) from 0, and the largest
    // shortfall beyond it; whether ADL has taken this path off an unlimited fund's
    double ledger_ = 0, needed_ = 0;
    bool diverged_ = false;
};

}  // namespace wipeout::engine
