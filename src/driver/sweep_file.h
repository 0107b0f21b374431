#pragma once
// The sweep-specific parts of a wipeout-sweep file (private to the library; shared by sweep and merge).
#include <string>
#include <vector>

#include "wipeout/results_file.h"
#include "wipeout/sweep.h"

namespace wipeout::detail {

/// Root sweep attributes, /point, /sweep (axis values, seed and re-run command per point) and, for a grid,
/// the axis dimension scales. Written when the file is created.
void write_sweep_layout(const ResultsWriter& writer, const SweepSpec& spec,
                        const std::vector<std::string>& commands);
/// Once every row is on disk: /path_point, /path_index and the per-point /summary.
void write_sweep_summary(const ResultsWriter& writer, const SweepSpec& spec);
/// The re-run commands stored in a sweep file.
std::vector<std::string> read_sweep_commands(const ResultsReader& reader);

}  // namespace wipeout::detail
