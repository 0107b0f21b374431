#pragma once
// Per-path random streams: a pure function of (seed, path index, stream id), never shared between paths,
// so a path's numbers do not depend on which thread or process runs it, or in what order.
#include <cstdint>
#include <limits>

namespace wipeout {

/// Named streams, so adding draws to one mechanism never shifts the numbers another one sees.
enum class StreamId : std::uint64_t {
    Scenario = 1,  ///< the per-path scenario parameters
    Market = 2,       ///< spot-venue noise
    Fundamental = 3,  ///< the fundamental's diffusion at fixed nodes in time
    Bridge = 4,       ///< the fundamental between two nodes (one substream per interval)
    Jumps = 5,        ///< the fundamental's jump times and sizes
    Snapshot = 6,     ///< positions drawn from a crowd into a snapshot (draw_snapshot)
};

/// SplitMix64 finalizer: a bijective 64-bit mix (Steele, Lea & Flood 2014), used to derive stream keys.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/// xoshiro256++ (Blackman & Vigna 2019): small state, fast, passes BigCrush. Satisfies
/// UniformRandomBitGenerator, so Boost.Random distributions draw from it.
class RandomStream {
public:
    using result_type = std::uint64_t;

    RandomStream(std::uint64_t seed, std::uint64_t path_index, StreamId stream, std::uint64_t substream = 0) {
        std::uint64_t key = splitmix64(seed ^ splitmix64(path_index ^ splitmix64(static_cast<std::uint64_t>(stream) ^
                                                                                   splitmix64(substream))));
        for (auto& word : s_) {
            key = splitmix64(key);
            word = key;
        }
    }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

    result_type operator()() {
        const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

}  // namespace wipeout
