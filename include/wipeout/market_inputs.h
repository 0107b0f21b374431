#pragma once
// What a run reads besides the scenario's parameters, once, before any path: the maintenance-margin tier table
// ([run] tiers, or the embedded BTCUSDT table) and the price history that shapes the crowd ([run] history).
#include <optional>

#include "wipeout/price_history.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"

namespace wipeout {

struct MarketInputs {
    TierTable tiers;
    std::optional<PriceHistory> history;

    /// Reads the files [run] names. Throws InputError naming the file, line and value.
    static MarketInputs load(const RunSettings& run) {
        return {run.tiers.empty() ? TierTable::btc_default() : TierTable::load(run.tiers),
                run.history.empty() ? std::nullopt : std::optional<PriceHistory>(PriceHistory::load(run.history))};
    }
    const PriceHistory* history_or_null() const { return history ? &*history : nullptr; }
};

}  // namespace wipeout
