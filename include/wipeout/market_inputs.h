#pragma once
// What a run reads besides the scenario's parameters, once, before any path: the maintenance-margin tier table
// ([run] tiers, or the embedded BTCUSDT table), the price history that shapes the crowd ([run] history), and
// the snapshots that replace the parametric crowd ([positions] source) and book ([book] source).
#include <memory>
#include <optional>

#include "wipeout/book_snapshot.h"
#include "wipeout/position_snapshot.h"
#include "wipeout/price_history.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"

namespace wipeout {

struct MarketInputs {
    TierTable tiers;
    std::optional<PriceHistory> history;
    /// Shared by every engine of the run (a snapshot may hold a million positions): never copied.
    std::shared_ptr<const PositionSnapshot> positions;
    std::optional<BookSnapshot> book;

    /// Reads the files the settings name. Throws InputError naming the file, line and value.
    static MarketInputs load(const RunSettings& run) {
        MarketInputs in{run.tiers.empty() ? TierTable::btc_default() : TierTable::load(run.tiers), std::nullopt,
                        nullptr, std::nullopt};
        if (!run.history.empty()) in.history = PriceHistory::load(run.history);
        if (!run.positions.empty())
            in.positions = std::make_shared<const PositionSnapshot>(PositionSnapshot::load(run.positions, in.tiers));
        if (!run.book.empty()) in.book = BookSnapshot::load(run.book);
        return in;
    }
    const PriceHistory* history_or_null() const { return history ? &*history : nullptr; }
};

}  // namespace wipeout
