#pragma once
// A scenario: every engine parameter as a fixed value or a distribution sampled per path, plus the run's
// settings ([run]: paths, seed, tiers). Read from TOML (docs in `wipeout scenario show`), overridden
// with `--set key=value`, and written back as TOML that parses to the same scenario.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/cascade_params.h"
#include "wipeout/distribution.h"
#include "wipeout/parameter.h"

namespace wipeout {

/// The most paths a run may have ([run] paths, wipeout run --paths): 2^48, so that path indices stay exact
/// as doubles and the driver's shard arithmetic (paths x up to 2^16 shards) stays inside 64 bits.
inline constexpr std::uint64_t kMaxPaths = std::uint64_t{1} << 48;

/// The [run] table: what a run needs besides the engine parameters.
struct RunSettings {
    std::uint64_t paths = 10000;
    std::uint64_t seed = 1;
    /// Tier CSV (absolute, or relative to the working directory); empty: the embedded BTC table.
    std::filesystem::path tiers;
    /// Price-history CSV (wipeout/price_history.h) whose bars shape the crowd of paths with history.enabled;
    /// empty: a Brownian history with the history.* parameters.
    std::filesystem::path history;
    /// Position-snapshot CSV ([positions] source, wipeout/position_snapshot.h) that replaces the parametric
    /// crowd; empty: the crowd the positions.* parameters describe.
    std::filesystem::path positions;
    /// Order-book snapshot CSV ([book] source, wipeout/book_snapshot.h) the engine walks instead of the power
    /// law; empty: the power law of book.depth_1pct and book.shape.
    std::filesystem::path book;
    friend bool operator==(const RunSettings&, const RunSettings&) = default;
};

/// The commented TOML text of the default scenario compiled into wipeout.
std::string_view default_scenario_text();

class Scenario {
  public:
    /// Every parameter fixed at the engine's default (CascadeParams{}), default [run] settings.
    static Scenario engine_defaults();
    /// The embedded default scenario (default_scenario_text()).
    static Scenario builtin();
    /// Parses scenario TOML. `source_name` names it in errors ("file:line:column: ..."); a relative
    /// [run] tiers path is taken relative to `base_dir`. Keys the text leaves out come from builtin(),
    /// or from engine_defaults() when the text says [run] base = "engine". Throws InputError.
    static Scenario parse(std::string_view text, std::string_view source_name,
                          const std::filesystem::path& base_dir = {});
    /// Reads and parses a scenario file. Throws InputError.
    static Scenario load(const std::filesystem::path& file);

    /// Applies one `key=value` override (value in TOML syntax: a number, a string, a boolean or an
    /// inline table; a bare word is taken as a string). Keys: any parameter key, or run.paths,
    /// run.seed, run.tiers. Throws InputError naming the override.
    void set(std::string_view assignment);
    /// Sets one parameter's distribution, checked against the parameter's kind and range.
    void set(std::string_view key, const Distribution& distribution);

    const Distribution& distribution(std::string_view key) const;
    /// One distribution per parameter_specs() entry, in that order.
    std::span<const Distribution> distributions() const { return distributions_; }
    /// Where the scenario came from (a file name, "built-in", "engine defaults"), plus any overrides.
    const std::string& source() const { return source_; }

    RunSettings& run() { return run_; }
    const RunSettings& run() const { return run_; }

    /// Samples path `path_index` of a run with master `seed`: one uniform per parameter, in
    /// parameter_specs() order, from RandomStream(seed, path_index, StreamId::Scenario). Every
    /// parameter consumes its uniform even when fixed, so making one parameter random never shifts
    /// another's draw. If `values` is not empty (size parameter_specs().size()) it receives the
    /// sampled values as stored in HDF5 (a choice as its index). Allocates nothing.
    CascadeParams sample(std::uint64_t seed, std::uint64_t path_index, std::span<double> values = {}) const;

    /// The scenario as TOML: [run] and every parameter, each with its unit, range and doc as a comment.
    /// Parsing the text gives back an equal scenario.
    std::string to_toml() const;

    /// Same distributions and run settings (the source is not compared).
    friend bool operator==(const Scenario& a, const Scenario& b) {
        return a.distributions_ == b.distributions_ && a.run_ == b.run_;
    }

  private:
    Scenario() = default;
    static Scenario parse_onto(Scenario base, std::string_view text, std::string_view source_name,
                               const std::filesystem::path& base_dir, bool allow_engine_base);
    std::vector<Distribution> distributions_;
    RunSettings run_;
    std::string source_;
};

/// A parameter's value as scenario TOML: a scalar (`0.05`, `true`, `"median"`) or an inline distribution
/// table (`{ dist = "lognormal", median = 0.05, sigma = 0.5 }`).
std::string value_toml(const ParameterSpec& spec, const Distribution& distribution);

/// Checks that a distribution suits a parameter (kind: integers, flags, choice indices; its support
/// inside the parameter's [min, max]). Returns the problem, or nothing when it suits.
std::optional<std::string> check_distribution(const ParameterSpec& spec, const Distribution& distribution);

}  // namespace wipeout
