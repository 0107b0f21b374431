// wipeout summary: the /summary of a results file as a table, or JSON. For an incomplete file it computes
// the statistics from the paths on disk and says so.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "wipeout/quoted.h"
#include "wipeout/results_file.h"

namespace wipeout::cli {
namespace {

struct SummaryArgs {
    std::string file;
    bool json = false;
};

std::string cell(double v) {
    return std::isfinite(v) ? fmt::format("{:>11.4g}", v) : fmt::format("{:>11}", "-");
}

std::string json_number(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

void print_table(const ResultsHeader& h, const std::vector<OutputSummary>& rows, bool stored) {
    std::printf("%s: %llu of %llu paths%s, seed %llu, wipeout %s (git %s), %s\n", h.filetype.c_str(),
                static_cast<unsigned long long>(h.n_paths_done), static_cast<unsigned long long>(h.n_paths),
                h.complete ? " (complete)" : " (INCOMPLETE)", static_cast<unsigned long long>(h.seed),
                h.software_version.c_str(), h.git_sha.c_str(), h.created_utc.c_str());
    if (!stored)
        std::printf("statistics computed now from the %llu paths on disk\n",
                    static_cast<unsigned long long>(h.n_paths_done));
    std::printf(
        "quantiles: type 7; esXX: mean of the worst (1 - XX%%) of the adverse tail (^ upper, v lower)\n\n");
    std::string head =
        fmt::format("{:<30} {:<10} {:>11} {:>11} {:>11}", "output", "unit", "mean", "se", "sd");
    for (auto name : kQuantileNames) head += fmt::format(" {:>11}", name);
    for (auto name : kShortfallNames) head += fmt::format(" {:>11}", name);
    std::printf("%s\n", head.c_str());
    for (const auto& r : rows) {
        const auto& s = r.stats;
        const std::string name = fmt::format("{} {}", r.name, r.adverse_tail == "lower" ? "v" : "^");
        std::string line = fmt::format("{:<30} {:<10}", name, r.unit.empty() ? "-" : r.unit);
        if (r.kind == "flag") {
            line += fmt::format(" P = {:.4g}, 95% Wilson interval [{:.4g}, {:.4g}]", s.probability,
                                s.probability_lo, s.probability_hi);
        } else {
            line += cell(s.mean) + cell(s.se) + cell(s.sd);
            for (double q : s.quantiles) line += cell(q);
            for (double e : s.shortfalls) line += cell(e);
        }
        if (s.n_missing > 0) line += fmt::format("  ({} missing)", s.n_missing);
        std::printf("%s\n", line.c_str());
    }
}

void print_json(const std::string& file, const ResultsHeader& h, const std::vector<OutputSummary>& rows,
                bool stored) {
    std::string out = "{\n";
    out += fmt::format("  \"file\": {},\n  \"filetype\": {},\n  \"format_version\": [{}, {}],\n",
                       quoted_text(file), quoted_text(h.filetype), h.format_version[0], h.format_version[1]);
    out += fmt::format("  \"software_version\": {},\n  \"git_sha\": {},\n  \"created_utc\": {},\n",
                       quoted_text(h.software_version), quoted_text(h.git_sha), quoted_text(h.created_utc));
    out += fmt::format("  \"seed\": {},\n  \"n_paths\": {},\n  \"n_paths_done\": {},\n  \"complete\": {},\n",
                       h.seed, h.n_paths, h.n_paths_done, h.complete ? "true" : "false");
    out += fmt::format("  \"summary_source\": {},\n",
                       quoted_text(stored ? "stored" : "computed from paths on disk"));
    out += "  \"outputs\": [\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const auto& s = r.stats;
        out += fmt::format(
            "    {{\"name\": {}, \"unit\": {}, \"kind\": {}, \"adverse_tail\": {}, \"n\": {}, \"n_missing\": "
            "{}",
            quoted_text(r.name), quoted_text(r.unit), quoted_text(r.kind), quoted_text(r.adverse_tail), s.n,
            s.n_missing);
        out += fmt::format(", \"mean\": {}, \"sd\": {}, \"se\": {}", json_number(s.mean), json_number(s.sd),
                           json_number(s.se));
        for (std::size_t q = 0; q < kQuantileNames.size(); ++q)
            out += fmt::format(", \"{}\": {}", kQuantileNames[q], json_number(s.quantiles[q]));
        for (std::size_t e = 0; e < kShortfallNames.size(); ++e)
            out += fmt::format(", \"{}\": {}", kShortfallNames[e], json_number(s.shortfalls[e]));
        out += fmt::format(", \"probability\": {}, \"probability_lo\": {}, \"probability_hi\": {}}}{}\n",
                           json_number(s.probability), json_number(s.probability_lo),
                           json_number(s.probability_hi), i + 1 < rows.size() ? "," : "");
    }
    out += "  ]\n}\n";
    std::fputs(out.c_str(), stdout);
}

void summary_command(const SummaryArgs& a) {
    const ResultsReader reader = ResultsReader::open(a.file);
    const bool stored = reader.header().complete && reader.has_summary();
    const auto rows = stored ? reader.read_summary() : reader.compute_summary();
    if (a.json) {
        print_json(a.file, reader.header(), rows, stored);
    } else {
        print_table(reader.header(), rows, stored);
    }
}

}  // namespace

void add_summary_command(CLI::App& app) {
    auto args = std::make_shared<SummaryArgs>();
    CLI::App* cmd = app.add_subcommand("summary", "Print the summary statistics of a results file");
    cmd->add_option("file", args->file, "Results file (.h5) written by wipeout run")->required();
    cmd->add_flag("--json", args->json, "Machine-readable JSON instead of a table");
    cmd->callback([args] { summary_command(*args); });
}

}  // namespace wipeout::cli
