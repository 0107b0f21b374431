#pragma once
// M7's trigger queue: everything on one side of the crowd not yet triggered, bucketed by its trigger key.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "wipeout/margin.h"

namespace wipeout::engine {

/// The key an item is filed under: its liquidation price for a long, minus it for a short, so that on both
/// sides a greater key triggers sooner and "the mark crossed it" reads key >= key(mark).
template <Side S>
constexpr double trigger_key(double price) {
    return S == Side::Long ? price : -price;
}

/// Everything on one side not yet triggered, bucketed by key, so that finding what the mark has crossed costs
/// O(1) per item taken (heaps over ~10^2 runs and ~10^2 re-entered cohorts cost O(log n) sifts per take-over,
/// then the largest share of a path). An item is one of the grid's runs, filed under its next cohort, or one
/// explicit or re-entered cohort. Buckets are ~0.012% of P0 wide over prices in [0, 2 P0] (clamped beyond):
/// a bucket above the mark's is crossed whole, and in the mark's own bucket each key decides. Lists keep
/// insertion order, so the order of take-overs depends on nothing but the path.
class TriggerQueue {
  public:
    static constexpr int kBuckets = 1 << 12;

    void reset(Side side, double reference_price, std::size_t items) {
        scale_ = kBuckets / (2.0 * reference_price);
        offset_ = side == Side::Long ? 0.0 : kBuckets;  // short keys are in [-2 P0, 0]
        head_.resize(kBuckets);  // valid only where the bucket's bit is set: nothing to clear per path
        best_.resize(kBuckets);
        bits_.fill(0);
        top_ = -1;
        max_key_ = -std::numeric_limits<double>::infinity();
        // Never shrunk: a path that files more than the population (bands, rests) would grow them again,
        // zeroing what it adds (stale links are never read: link() and insert() write an item's before it is
        // used).
        if (next_.size() < items) {
            next_.resize(items);
            key_.resize(items);
        }
    }

    /// The queue as it stands, to be restored later (a path's initial queue depends on the population alone).
    struct State {
        double scale = 0, offset = 0, max_key = 0;
        int top = -1;
        std::array<std::uint64_t, kBuckets / 64> bits{};
        std::vector<std::int32_t> buckets, heads;  // the non-empty buckets and their first items
        std::vector<double> bests;
        std::vector<std::int32_t> next;  // items' links and keys
        std::vector<double> key;
    };
    void save(State& state, std::size_t items) const {
        state.scale = scale_;
        state.offset = offset_;
        state.max_key = max_key_;
        state.top = top_;
        state.bits = bits_;
        state.buckets.clear();
        state.heads.clear();
        state.bests.clear();
        for (std::size_t word = 0; word < bits_.size(); ++word) {
            for (std::uint64_t w = bits_[word]; w != 0; w &= w - 1) {
                const std::size_t b = word * 64 + static_cast<std::size_t>(std::countr_zero(w));
                state.buckets.push_back(static_cast<std::int32_t>(b));
                state.heads.push_back(head_[b]);
                state.bests.push_back(best_[b]);
            }
        }
        state.next.assign(next_.begin(), next_.begin() + static_cast<std::ptrdiff_t>(items));
        state.key.assign(key_.begin(), key_.begin() + static_cast<std::ptrdiff_t>(items));
    }
    /// Back to a saved state; items beyond it keep their room (stale links that nothing points to).
    void restore(const State& state) {
        scale_ = state.scale;
        offset_ = state.offset;
        max_key_ = state.max_key;
        top_ = state.top;
        bits_ = state.bits;
        for (std::size_t i = 0; i < state.buckets.size(); ++i) {
            const auto b = static_cast<std::size_t>(state.buckets[i]);
            head_[b] = state.heads[i];
            best_[b] = state.bests[i];
        }
        std::copy(state.next.begin(), state.next.end(), next_.begin());
        std::copy(state.key.begin(), state.key.end(), key_.begin());
    }

    /// Files `item` under `key`; items beyond the size given to reset() grow the queue.
    [[gnu::always_inline]] void insert(std::uint32_t item, double key) {
        if (item >= next_.size()) {
            next_.resize(2 * (item + 1));
            key_.resize(2 * (item + 1));
        }
        key_[item] = key;
        link(static_cast<std::int32_t>(item), bucket(key), key);
    }

    /// The greatest key filed (-infinity when empty): "anything crossed?" is one comparison.
    double max_key() const { return max_key_; }

    /// Removes every item filed at or above `key` and calls take(item) for each; take may file items again (a
    /// run's next cohort, a partial cut's rest), never at or above `key`.
    template <class Take>
    [[gnu::always_inline]] void take_at_or_above(double key, Take&& take) {
        const int mark_bucket = bucket(key);
        while (top_ >= mark_bucket) {
            const int b = top_;
            const auto ub = static_cast<std::size_t>(b);
            if (b == mark_bucket && best_[ub] < key) break;
            std::int32_t item = head_[ub];
            clear(b);
            while (item >= 0) {
                const auto i = static_cast<std::size_t>(item);
                const std::int32_t following = next_[i];
                if (key_[i] >= key) {
                    take(static_cast<std::uint32_t>(item));
                } else {
                    link(item, b, key_[i]);  // only in the mark's own bucket
                }
                item = following;
            }
            top_ = highest_at_or_below(b);
            if (b == mark_bucket) break;
        }
        max_key_ =
            top_ >= 0 ? best_[static_cast<std::size_t>(top_)] : -std::numeric_limits<double>::infinity();
    }

  private:
    int bucket(double key) const {
        // Non-decreasing in the key, which is all the exactness needs; clamped at both ends.
        const double x = key * scale_ + offset_;
        if (!(x >= 0.0)) return 0;
        if (x >= kBuckets - 1) return kBuckets - 1;
        return static_cast<int>(x);
    }
    void link(std::int32_t item, int b, double key) {
        const auto ub = static_cast<std::size_t>(b);
        const std::size_t word = ub >> 6;
        const std::uint64_t bit = std::uint64_t{1} << (ub & 63);
        if (bits_[word] & bit) {
            next_[static_cast<std::size_t>(item)] = head_[ub];
            best_[ub] = std::max(best_[ub], key);
        } else {
            next_[static_cast<std::size_t>(item)] = -1;
            best_[ub] = key;
            bits_[word] |= bit;
        }
        head_[ub] = item;
        top_ = std::max(top_, b);
        max_key_ = std::max(max_key_, key);
    }
    void clear(int b) {
        const auto ub = static_cast<std::size_t>(b);
        bits_[ub >> 6] &= ~(std::uint64_t{1} << (ub & 63));
    }
    int highest_at_or_below(int b) const {
        const auto ub = static_cast<std::size_t>(b);
        std::size_t word = ub >> 6;
        std::uint64_t bits = bits_[word] & (~std::uint64_t{0} >> (63 - (ub & 63)));
        while (bits == 0) {  // 64 words at most; the next item is usually in this word or the one below
            if (word == 0) return -1;
            bits = bits_[--word];
        }
        return static_cast<int>(word * 64 + 63 - static_cast<std::size_t>(std::countl_zero(bits)));
    }

    double scale_ = 1.0, offset_ = 0.0;  // bucket = key * scale + offset
    std::vector<std::int32_t> head_;     // per bucket: first item (valid where the bucket's bit is set)
    std::vector<double> best_;           // per bucket: its greatest key (same)
    std::vector<std::int32_t> next_;     // per item: the next in its bucket, -1 at the end
    std::vector<double> key_;            // per item
    std::array<std::uint64_t, kBuckets / 64> bits_{};            // non-empty buckets
    int top_ = -1;                                               // highest non-empty bucket
    double max_key_ = -std::numeric_limits<double>::infinity();  // best_[top_]
};

}  // namespace wipeout::engine
