#pragma once
// M9 insurance fund: takes liquidation fees and surpluses (fills better than bankruptcy), pays shortfalls
// (fills worse). Keeps its own ledger so money conservation can be checked against it.
#include <algorithm>

namespace wipeout {

class InsuranceFund {
public:
    /// A fund that does not exist (enabled = false) receives nothing and can pay nothing.
    InsuranceFund(double initial_balance, bool enabled)
        : enabled_(enabled), initial_(enabled ? initial_balance : 0.0), balance_(initial_), min_(initial_) {}

    bool enabled() const { return enabled_; }
    double balance() const { return balance_; }
    double initial() const { return initial_; }
    double min_balance() const { return min_; }
    double received() const { return received_; }
    double paid() const { return paid_; }
    /// What it can pay right now without going negative.
    double available() const { return enabled_ ? std::max(balance_, 0.0) : 0.0; }

    void receive(double amount) {
        if (!enabled_) return;
        balance_ += amount;
        received_ += amount;
    }
    /// Pays a shortfall; the balance may go negative only if the caller allows it (ADL disabled).
    void pay(double amount) {
        balance_ -= amount;
        paid_ += amount;
        min_ = std::min(min_, balance_);
    }

private:
    bool enabled_;
    double initial_;
    double balance_;
    double min_;
    double received_ = 0.0;
    double paid_ = 0.0;
};

}  // namespace wipeout
