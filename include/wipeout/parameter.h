#pragma once
// The registry of the engine's parameters: what a scenario file may set, with defaults, valid ranges,
// units and docs. Scenario parsing, `scenario show`, HDF5 /scenario and the docs all read this one table.
#include <span>
#include <string_view>

namespace wipeout {

struct CascadeParams;

enum class ParameterKind {
    Real,     ///< any value in [min, max]
    Integer,  ///< a whole number in [min, max]
    Flag,     ///< 0 or 1 (a mechanism switch or a regime flag)
    Choice,   ///< an index into `choices` (stored as its index; written by name)
};

struct ParameterSpec {
    std::string_view key;  ///< "section.name", the TOML table and key
    ParameterKind kind;
    double default_value;
    double min;  ///< inclusive bounds a value (fixed or sampled) must respect
    double max;
    std::string_view unit;
    std::string_view doc;
    std::span<const std::string_view> choices;  ///< names of a Choice's values, in index order
    double (*get)(const CascadeParams&);
    void (*set)(CascadeParams&, double);
};

/// Every engine parameter, in a fixed order (the order of /scenario datasets and of `scenario show`).
std::span<const ParameterSpec> parameter_specs();

/// The spec for a key, or nullptr.
const ParameterSpec* find_parameter(std::string_view key);

}  // namespace wipeout
