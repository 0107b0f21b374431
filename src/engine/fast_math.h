#pragma once
// Private helpers of the cascade engine (not installed): the few numerical kernels a path calls on every
// clock step, made cheap in their common case and exact or within an ulp of the library function they replace
// (tests/test_engine_perf.cpp checks each).
#include <cmath>
#include <cstdint>

#include <boost/random/normal_distribution.hpp>

namespace wipeout::detail {

/// boost::random::normal_distribution<double>{}(engine) for a 64-bit engine: the same numbers from the same
/// draws (tests/test_engine_perf.cpp checks it bit for bit), with the ziggurat's common case inlined. Boost
/// draws one 64-bit word per try (generate_int_float_pair<double, 8>: the low 8 bits pick the layer and the
/// sign, the rest, bit 11 cleared, the abscissa); about 99% of tries land inside their layer's rectangle and
/// are accepted at once. The rest of that try (the wedge test, the tail) runs boost's own code, and a
/// rejected try is exactly a fresh call, since boost's loop starts over with a new word.
class FastNormal {
  public:
    // Inlined at the call sites; the rare rest is out of line, so the common case needs few registers.
    template <class Engine>
    [[gnu::always_inline]] double operator()(Engine& engine) {
        using Table = boost::random::detail::normal_table<double>;
        const std::uint64_t word = engine();
        const int layer_and_sign = static_cast<int>(word & 255);
        const double r = static_cast<double>((word & ~(std::uint64_t{1} << 11)) >> 8) * 0x1p-56;
        const int i = layer_and_sign >> 1;
        const double sign = (layer_and_sign & 1) * 2 - 1;
        const double x = r * Table::table_x[i];
        if (x < Table::table_x[i + 1]) return scaled(x * sign);
        return scaled(wedge_or_tail(engine, x, i, sign));
    }

  private:
    // normal_distribution's impl(eng) * sigma + mean with sigma 1, mean 0 (the + 0.0 turns -0 into +0, as
    // there).
    static double scaled(double unit) { return unit * 1.0 + 0.0; }

    // The rest of boost's try for layer i at abscissa x (unit_normal_distribution::operator(), after its
    // first test), then, if it rejects, a fresh boost call.
    template <class Engine>
    [[gnu::noinline, gnu::cold]] double wedge_or_tail(Engine& engine, double x, int i, double sign) {
        using Table = boost::random::detail::normal_table<double>;
        const double* table_x = Table::table_x;
        const double* table_y = Table::table_y;
        if (i == 0) return unit_.generate_tail(engine) * sign;
        const double y01 = boost::random::uniform_01<double>()(engine);
        const double y = table_y[i] + y01 * (table_y[i + 1] - table_y[i]);
        double y_above_ubound, y_above_lbound;
        if (table_x[i] >= 1) {
            y_above_ubound = (table_x[i] - table_x[i + 1]) * y01 - (table_x[i] - x);
            y_above_lbound = y - (table_y[i] + (table_x[i] - x) * table_y[i] * table_x[i]);
        } else {
            y_above_lbound = (table_x[i] - table_x[i + 1]) * y01 - (table_x[i] - x);
            y_above_ubound = y - (table_y[i] + (table_x[i] - x) * table_y[i] * table_x[i]);
        }
        if (y_above_ubound < 0 && (y_above_lbound < 0 || y < unit_.f(x))) return x * sign;
        return unit_(engine);
    }

    boost::random::detail::unit_normal_distribution<double> unit_;
};

/// std::exp(x), through a polynomial where |x| <= 1/8: the fundamental's move over a step, the venues' gaps
/// and, but in a cascade's worst minutes, the depth's evaporation exponent all stay there, and a call to libm
/// was a large share of a step's latency. Within an ulp of std::exp there (the truncated terms are below
/// 3e-18 relative); std::exp elsewhere.
[[gnu::always_inline]] inline double exp_near_zero(double x) {
    const double a = std::abs(x);
    if (a <= 0x1p-8) {
        // The fundamental's move in a step and most venue gaps: five terms suffice (the sixth is below
        // 6e-18).
        const double x2 = x * x;
        return 1.0 + (x + x2 * ((0.5 + x * (1.0 / 6)) + x2 * (1.0 / 24 + x * (1.0 / 120))));
    }
    if (!(a <= 0.125)) return std::exp(x);
    // 1 + x + x^2 q(x), q = 1/2! + x/3! + ... + x^8/10!, in Estrin's form (a short dependency chain); the
    // small correction is added to 1 last, so the result is rounded once.
    const double x2 = x * x, x4 = x2 * x2;
    const double q = ((1.0 / 2 + x * (1.0 / 6)) + x2 * (1.0 / 24 + x * (1.0 / 120))) +
                     x4 * (((1.0 / 720 + x * (1.0 / 5040)) + x2 * (1.0 / 40320 + x * (1.0 / 362880))) +
                           x4 * (1.0 / 3628800));
    return 1.0 + (x + x2 * q);
}

/// std::log1p(y) where |y| <= 1/8 (the book's displacement but in a cascade's deepest minutes): y + y^2 q(y)
/// with q the series' next terms, 7 of them up to |y| = 2^-8, 11 up to 2^-5 and 17 beyond (truncated terms
/// below 3e-18 relative), in Estrin's form; the small correction is added last, so the result is rounded
/// once, from y. Within an ulp of std::log1p there; std::log1p elsewhere.
[[gnu::always_inline]] inline double log1p_near_zero(double y) {
    const double a = std::abs(y);
    if (!(a <= 0.125)) return std::log1p(y);
    const double y2 = y * y, y4 = y2 * y2, y8 = y4 * y4;
    // q = sum over k >= 2 of (-1)^(k+1) y^(k-2) / k, pairs (c_k + c_(k+1) y) first.
    const double p0 = -1.0 / 2 + y * (1.0 / 3), p1 = -1.0 / 4 + y * (1.0 / 5), p2 = -1.0 / 6 + y * (1.0 / 7);
    if (a <= 0x1p-8) return y + y2 * ((p0 + y2 * p1) + y4 * (p2 + y2 * -0.125));  // a calm book: to y^8
    const double p3 = -1.0 / 8 + y * (1.0 / 9), p4 = -1.0 / 10 + y * (1.0 / 11);
    double q;
    if (a <= 0x1p-5) {
        q = ((p0 + y2 * p1) + y4 * (p2 + y2 * p3)) + y8 * (p4 + y2 * (-1.0 / 12));
    } else {
        const double p5 = -1.0 / 12 + y * (1.0 / 13), p6 = -1.0 / 14 + y * (1.0 / 15);
        const double p7 = -1.0 / 16 + y * (1.0 / 17);
        q = (((p0 + y2 * p1) + y4 * (p2 + y2 * p3)) + y8 * ((p4 + y2 * p5) + y4 * (p6 + y2 * p7))) +
            (y8 * y8) * (-1.0 / 18);
    }
    return y + y2 * q;
}

}  // namespace wipeout::detail
