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

/// std::exp(x), through a short polynomial where |x| <= 2^-7: the clock's calm steps move the fundamental,
/// the venues' gaps and the stress by much less than that, and the call to libm was a fifth of a step's
/// latency. Within an ulp of std::exp there (the truncated terms are below 1e-18 relative); std::exp
/// elsewhere.
inline double exp_near_zero(double x) {
    if (!(std::abs(x) <= 0x1p-7)) return std::exp(x);
    // 1 + x + x^2 (1/2 + x/6 + x^2/24 + x^3/120 + x^4/720), the bracket in Estrin's form (short dependency
    // chain).
    const double x2 = x * x;
    const double q = (0.5 + x * (1.0 / 6.0)) + x2 * ((1.0 / 24.0 + x * (1.0 / 120.0)) + x2 * (1.0 / 720.0));
    return 1.0 + (x + x2 * q);
}

/// std::log1p(y), through a short polynomial where |y| <= 2^-5 (the book's displacement but in a cascade's
/// deepest minutes); within an ulp of std::log1p there (truncated terms below 1e-19 relative), std::log1p
/// elsewhere.
inline double log1p_near_zero(double y) {
    if (!(std::abs(y) <= 0x1p-5)) return std::log1p(y);
    // y + y^2 q(y), q = -1/2 + y/3 - y^2/4 + ... - y^10/12 in Estrin's form: the small correction is added
    // last, so the result is rounded once, from y.
    const double y2 = y * y, y4 = y2 * y2, y8 = y4 * y4;
    const double p0 = -0.5 + y * (1.0 / 3.0), p1 = -0.25 + y * 0.2, p2 = -1.0 / 6.0 + y * (1.0 / 7.0);
    const double p3 = -0.125 + y * (1.0 / 9.0), p4 = -0.1 + y * (1.0 / 11.0), p5 = -1.0 / 12.0;
    const double q = ((p0 + y2 * p1) + y4 * (p2 + y2 * p3)) + y8 * (p4 + y2 * p5);
    return y + y2 * q;
}

}  // namespace wipeout::detail
