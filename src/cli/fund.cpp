// wipeout fund: the insurance fund a run says is needed. P(ADL) against the fund from one results file (every
// path's fund_needed), the smallest fund that keeps P(ADL) under a target with its interval, the run's own
// fund; the curve as CSV and, through scripts/report/fund_figure.py, as PNG. The statistics live in the
// library (wipeout/fund_sizing.h).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "report_scripts.h"
#include "wipeout/error.h"
#include "wipeout/fund_sizing.h"
#include "wipeout/quoted.h"
#include "wipeout/statistics.h"

namespace wipeout::cli {
namespace {

namespace fs = std::filesystem;

struct FundArgs {
    std::string file, csv, png;
    double p_adl = 0.001, confidence = 0.95;
    bool json = false, force = false;
};

/// The standard targets (a 99% and Binance's 99.9% level) and the user's.
std::vector<double> targets(double p) {
    std::vector<double> t{0.01, 0.001};
    if (p != 0.01 && p != 0.001) t.push_back(p);
    return t;
}

std::string number(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

std::string pair(double lo, double hi) {
    return fmt::format("[{}, {}]", number(lo), number(hi));
}

std::string percent(double v) {
    return std::isfinite(v) ? fmt::format("{:.4g}%", 100 * v) : "?";
}

std::string bound(double v, const char* missing, bool share) {
    if (!std::isfinite(v)) return missing;
    return share ? percent(v) : fmt::format("{:.4g}", v);
}

/// The OI every path shares (fund_needed over fund_needed_to_oi), or NaN when it varies or nothing is needed.
double shared_oi(const FundNeeds& n) {
    double oi = std::nan("");
    for (std::size_t i = 0; i < n.to_oi.size(); ++i) {
        if (!(n.to_oi[i] > 0)) continue;
        const double o = n.quote[i] / n.to_oi[i];
        if (std::isnan(oi)) {
            oi = o;
        } else if (std::abs(o - oi) > 1e-9 * oi) {
            return std::nan("");
        }
    }
    return oi;
}

struct RunFund {
    double fund_to_oi;  // NaN when it varies over the paths
    FundCurvePoint at;  // paths whose own fund was short of their need
};

/// The run's own fund, path by path: P(ADL) there is the run's P(fund_depleted).
RunFund run_fund(const FundNeeds& n, double confidence) {
    double fixed = n.run_fund_enabled[0] != 0 ? n.run_fund_to_oi[0] : 0.0;
    std::uint64_t above = 0;
    for (std::size_t i = 0; i < n.to_oi.size(); ++i) {
        const double f = n.run_fund_enabled[i] != 0 ? n.run_fund_to_oi[i] : 0.0;
        if (f != fixed) fixed = std::nan("");
        if (n.to_oi[i] > f) ++above;
    }
    const auto ci = wilson_interval(above, n.to_oi.size(), two_sided_z(confidence));
    return {fixed,
            {fixed, above, static_cast<double>(above) / static_cast<double>(n.to_oi.size()), ci.lo, ci.hi}};
}

void check_output(const std::string& option, const std::string& path, const FundArgs& a) {
    if (path.empty()) return;
    std::error_code ec;
    if (fs::equivalent(path, a.file, ec))
        throw InputError(fmt::format("{} {}: that is the results file", option, path));
    if (fs::exists(path) && !a.force)
        throw InputError(fmt::format("{} {}: the file exists; pass --force to overwrite it", option, path));
}

std::string curve_csv(const FundSizing& share, const FundSizing& quote) {
    std::string out = "measure,fund,paths_above,n,p_adl,p_lo,p_hi\n";
    for (const auto& [measure, sizing] : {std::pair{"fund_to_oi", &share}, std::pair{"fund_quote", &quote}}) {
        for (const FundCurvePoint& c : sizing->curve())
            out += fmt::format("{},{},{},{},{},{},{}\n", measure, c.fund, c.paths_above, sizing->paths(),
                               c.p_adl, c.p_lo, c.p_hi);
    }
    return out;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw InputError(fmt::format("cannot write {}", path));
}

void draw(const FundArgs& a, const std::string& csv_text, const std::vector<FundSize>& sizes,
          const std::vector<FundSize>& quote_sizes, const RunFund& own) {
    std::string csv = a.csv;
    std::string temporary;
    if (csv.empty()) {
        std::string pattern = (fs::temp_directory_path() / "wipeout_fund_XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) throw std::runtime_error("cannot create a temporary file for the curve");
        ::close(fd);
        temporary = csv = pattern;
        write_file(csv, csv_text);
    }
    std::vector<std::string> args{"--csv",        csv,
                                  "--png",        a.png,
                                  "--title",      fs::path(a.file).filename().string(),
                                  "--confidence", fmt::format("{}", a.confidence)};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const FundSize &s = sizes[i], &q = quote_sizes[i];
        args.insert(args.end(), {"--size", fmt::format("{}:{}:{}:{}:{}:{}:{}", s.p_target, s.fund, s.fund_lo,
                                                       s.fund_hi, q.fund, q.fund_lo, q.fund_hi)});
    }
    if (std::isfinite(own.fund_to_oi))
        args.insert(args.end(), {"--run-fund", fmt::format("{}", own.fund_to_oi)});
    const int status = run_report_script(find_report_script("fund_figure.py"), args);
    if (!temporary.empty()) fs::remove(temporary);
    if (status != 0)
        throw std::runtime_error(fmt::format("--png {}: the figure script exited {}", a.png, status));
}

void fund_command(const FundArgs& a) {
    check_output("--csv", a.csv, a);
    check_output("--png", a.png, a);
    if (!a.csv.empty() && a.csv == a.png) throw InputError(fmt::format("--csv and --png are both {}", a.csv));
    const FundNeeds needs = read_fund_needs(a.file);
    const FundSizing share(needs.to_oi, a.confidence, a.file + ": /paths/fund_needed_to_oi");
    const FundSizing quote(needs.quote, a.confidence, a.file + ": /paths/fund_needed");
    const double oi = shared_oi(needs);
    std::vector<FundSize> sizes, quote_sizes;
    for (const double p : targets(a.p_adl)) {
        sizes.push_back(share.size_for(p));
        quote_sizes.push_back(quote.size_for(p));
    }
    std::size_t t = 0;
    while (sizes[t].p_target != a.p_adl) ++t;
    const FundSize &target = sizes[t], &target_quote = quote_sizes[t];
    const RunFund own = run_fund(needs, a.confidence);
    const std::string csv_text = curve_csv(share, quote);
    if (!a.csv.empty()) write_file(a.csv, csv_text);
    if (!a.png.empty()) draw(a, csv_text, sizes, quote_sizes, own);

    if (a.json) {
        std::string out = "{\n";
        out += fmt::format(
            "  \"file\": {},\n  \"n_paths\": {},\n  \"confidence\": {},\n  \"p_adl_target\": {},\n",
            quoted_text(a.file), share.paths(), a.confidence, a.p_adl);
        out +=
            fmt::format("  \"fund_to_oi\": {},\n  \"fund_to_oi_ci\": {},\n  \"p_adl_at_fund\": {},\n",
                        number(target.fund), pair(target.fund_lo, target.fund_hi), number(target.at.p_adl));
        out += fmt::format("  \"p_adl_at_fund_ci\": {},\n  \"paths_above\": {},\n",
                           pair(target.at.p_lo, target.at.p_hi), target.at.paths_above);
        out +=
            fmt::format("  \"fund_quote\": {},\n  \"fund_quote_ci\": {},\n  \"p_adl_at_fund_quote\": {},\n",
                        number(target_quote.fund), pair(target_quote.fund_lo, target_quote.fund_hi),
                        number(target_quote.at.p_adl));
        out += fmt::format("  \"oi\": {},\n  \"sizes\": [\n", number(oi));
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const FundSize &s = sizes[i], &q = quote_sizes[i];
            out += fmt::format(
                "    {{\"p_adl\": {}, \"fund_to_oi\": {}, \"fund_to_oi_ci\": {}, \"p_adl_at_fund\": {}, "
                "\"fund_quote\": "
                "{}, \"fund_quote_ci\": {}}}{}\n",
                s.p_target, number(s.fund), pair(s.fund_lo, s.fund_hi), number(s.at.p_adl), number(q.fund),
                pair(q.fund_lo, q.fund_hi), i + 1 < sizes.size() ? "," : "");
        }
        out += fmt::format(
            "  ],\n  \"run_fund_to_oi\": {},\n  \"p_adl_at_run_fund\": {},\n  \"p_adl_at_run_fund_ci\": "
            "{}\n}}\n",
            number(own.fund_to_oi), number(own.at.p_adl), pair(own.at.p_lo, own.at.p_hi));
        std::fputs(out.c_str(), stdout);
        return;
    }
    std::printf(
        "%s: %llu paths, seed %llu; P(ADL | fund F) = share of paths with fund_needed > F, every F from this "
        "one run; %.4g%% intervals\n",
        a.file.c_str(), static_cast<unsigned long long>(share.paths()),
        static_cast<unsigned long long>(needs.header.seed), 100 * a.confidence);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const FundSize &s = sizes[i], &q = quote_sizes[i];
        std::printf(
            "  P(ADL) <= %-7s fund %s of OI [%s, %s] = %.4g quote [%s, %s]; P(ADL) there %s [%s, %s]\n",
            percent(s.p_target).c_str(), percent(s.fund).c_str(),
            bound(s.fund_lo, "< sample min", true).c_str(), bound(s.fund_hi, "> sample max", true).c_str(),
            q.fund, bound(q.fund_lo, "< sample min", false).c_str(),
            bound(q.fund_hi, "> sample max", false).c_str(), percent(s.at.p_adl).c_str(),
            percent(s.at.p_lo).c_str(), percent(s.at.p_hi).c_str());
    }
    std::printf("  this run's fund (%s of OI): P(ADL) %s [%s, %s] (%llu paths)\n",
                std::isfinite(own.fund_to_oi) ? percent(own.fund_to_oi).c_str() : "varies over the paths",
                percent(own.at.p_adl).c_str(), percent(own.at.p_lo).c_str(), percent(own.at.p_hi).c_str(),
                static_cast<unsigned long long>(own.at.paths_above));
    if (!std::isfinite(oi)) std::printf("  (the OI varies over the paths: quote and share curves differ)\n");
    if (!a.csv.empty()) std::printf("  curve: %s\n", a.csv.c_str());
    if (!a.png.empty()) std::printf("  figure: %s\n", a.png.c_str());
}

}  // namespace

void add_fund_command(CLI::App& app) {
    auto args = std::make_shared<FundArgs>();
    CLI::App* cmd = app.add_subcommand(
        "fund",
        "Size the insurance fund from a results file: P(ADL) against the fund, the fund for a target P(ADL)");
    cmd->add_option("file", args->file, "Results file (.h5) written by wipeout run")->required();
    add_real_option(*cmd, "--p-adl", args->p_adl, "Target probability of ADL (default 0.001)",
                    {0.0, 1.0, true, true});
    add_real_option(*cmd, "--confidence", args->confidence, "Level of every interval (default 0.95)",
                    {0.0, 1.0, true, true});
    cmd->add_option("--csv", args->csv, "Write the curve P(ADL) against the fund to this CSV file");
    cmd->add_option("--png", args->png, "Draw the curve into this PNG file (Debian's python3-matplotlib)");
    cmd->add_flag("--json", args->json, "Machine-readable JSON instead of text");
    cmd->add_flag("--force", args->force, "Overwrite existing --csv and --png files");
    cmd->callback([args] { fund_command(*args); });
}

}  // namespace wipeout::cli
