// The crowd a path starts with: a position snapshot's, or the parametric one (wipeout/crowd_population.h).
#include "wipeout/crowd_population.h"

#include "wipeout/cascade_params.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"

namespace wipeout {

std::string_view crowd_source_name(CrowdSource source) {
    switch (source) {
        case CrowdSource::Grid:
            return "grid";
        case CrowdSource::History:
            return "history";
        case CrowdSource::HistoryBars:
            return "history-bars";
        case CrowdSource::Snapshot:
            return "snapshot";
    }
    return "?";
}

CrowdBuild build_crowd_population(const CascadeParams& params, const MarketInputs& inputs,
                                  PopulationScratch& scratch, Population& out) {
    CrowdBuild b;
    if (inputs.positions) {
        b.source = CrowdSource::Snapshot;
        b.snapshot = inputs.positions->build(inputs.tiers, params.liquidation_fee, params.reference_price,
                                             params.oi_scale, out);
        return b;
    }
    if (inputs.book) {
        // An order-book snapshot's d1 is the unit the crowd's open interest is stated in (as in the engine).
        CascadeParams on_book = params;
        on_book.depth_1pct = inputs.book->depth_1pct();
        build_population(on_book, inputs.tiers, scratch, out, inputs.history_or_null());
    } else {
        build_population(params, inputs.tiers, scratch, out, inputs.history_or_null());
    }
    b.source = !params.history_enabled ? CrowdSource::Grid
               : inputs.history        ? CrowdSource::HistoryBars
                                       : CrowdSource::History;
    return b;
}

}  // namespace wipeout
