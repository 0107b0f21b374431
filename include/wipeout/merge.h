#pragma once
// Joins the shard files of one run or sweep (`--shard K/N`) into the file a single process would have
// written: the same /scenario, /paths, /summary and /trajectories (recomputed: a pure function).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace wipeout {

struct MergeResult {
    std::string filetype;  ///< wipeout-results or wipeout-sweep
    std::uint64_t rows = 0;
    std::uint64_t shards = 0;
};

/// Refuses (InputError naming the problem and the file) shards that do not belong together (another
/// scenario, seed, number of paths, sweep, software version or shard count), an incomplete set, an
/// incomplete shard, a duplicate, and an existing `output` unless `force`.
MergeResult merge_shards(const std::filesystem::path& output, std::span<const std::filesystem::path> shards,
                         bool force, const std::string& command_line, unsigned threads = 0);

}  // namespace wipeout
