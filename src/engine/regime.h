#pragma once
// M2: the liquidity regime of a path. An air pocket (thin weekend or holiday book) scales the depth, the spot
// venues' arbitrage and the dip buyers' appetite by fixed factors for the whole path.
#include "wipeout/cascade_params.h"

namespace wipeout::engine {

struct Regime {
    double depth = 1, arbitrage = 1, buyers = 1;

    static Regime of(const CascadeParams& p) {
        const bool pocket = p.regime_enabled && p.air_pocket;
        return {pocket ? p.regime_depth_factor : 1.0, pocket ? p.regime_arbitrage_factor : 1.0,
                pocket ? p.regime_buyer_factor : 1.0};
    }
};

}  // namespace wipeout::engine
