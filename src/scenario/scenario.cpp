// Scenario files: TOML in, checked distributions out, and back to TOML. Every refusal names the source
// (file:line:column or the --set override), the key and the value.
#include "wipeout/scenario.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "wipeout/error.h"
#include "wipeout/random.h"
#include "wipeout/quoted.h"

namespace wipeout {
namespace {

constexpr double kUnbounded = 1e299;  // the registry writes "no bound" as +-1e300
constexpr std::array<std::string_view, 5> kRunKeys{"run.paths", "run.seed", "run.tiers", "run.history", "run.base"};
/// File keys inside parameter sections: the snapshots that replace the parametric crowd and book.
constexpr std::array<std::string_view, 2> kSourceKeys{"positions.source", "book.source"};

// ---- small text helpers ----

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string_view last_segment(std::string_view key) {
    const auto dot = key.rfind('.');
    return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

/// The known key nearest to an unknown one: by whole key, or by name alone when it sits in the wrong table.
std::string nearest_key(std::string_view key) {
    std::string_view best;
    std::size_t best_score = SIZE_MAX;
    auto consider = [&](std::string_view candidate) {
        const std::size_t score = std::min(edit_distance(key, candidate),
                                           edit_distance(last_segment(key), last_segment(candidate)) + 1);
        if (score < best_score) best_score = score, best = candidate;
    };
    for (const auto& spec : parameter_specs()) consider(spec.key);
    for (auto k : kRunKeys) consider(k);
    for (auto k : kSourceKeys) consider(k);
    return std::string(best);
}

std::string nearest_of(std::string_view word, std::span<const std::string_view> candidates) {
    std::string_view best;
    std::size_t best_score = SIZE_MAX;
    for (auto c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_score) best_score = d, best = c;
    }
    return std::string(best);
}

std::string format_bound(double x) {
    if (x >= kUnbounded || x == std::numeric_limits<double>::infinity()) return "inf";
    if (x <= -kUnbounded || x == -std::numeric_limits<double>::infinity()) return "-inf";
    return fmt::format("{}", x);
}

/// A double as a TOML float that reads back to the same bits (shortest round-trip form).
std::string toml_float(double x) {
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    std::string s = fmt::format("{}", x);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

/// A node as one line of TOML, numbers in their shortest exact form (for messages).
std::string node_text(const toml::node& node) {
    if (const auto* f = node.as_floating_point()) return toml_float(f->get());
    if (const auto* i = node.as_integer()) return fmt::format("{}", i->get());
    if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
    if (const auto* s = node.as_string()) return quoted_text(s->get());
    if (const auto* a = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& e : *a) items.push_back(node_text(e));
        return fmt::format("[{}]", fmt::join(items, ", "));
    }
    if (const auto* t = node.as_table()) {
        std::vector<std::string> items;
        for (const auto& [k, v] : *t) items.push_back(fmt::format("{} = {}", k.str(), node_text(v)));
        return items.empty() ? "{}" : fmt::format("{{ {} }}", fmt::join(items, ", "));
    }
    std::ostringstream os;
    node.visit([&](const auto& n) { os << n; });  // dates and times
    return os.str();
}

bool is_bare_word(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// ---- where a value came from, for error messages ----

struct Origin {
    std::string_view source;  // file name, or "--set 'k=v'"
    bool is_file = true;

    std::string at(const toml::source_region& region) const {
        if (is_file && region.begin.line > 0)
            return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
        return std::string(source);
    }
};

[[noreturn]] void refuse(const Origin& origin, const toml::node& node, std::string_view key,
                         std::string_view problem) {
    throw InputError(fmt::format("{}: {} = {}: {}", origin.at(node.source()), key, node_text(node), problem));
}

// ---- one value: a number, bool, name or distribution table, into a Distribution ----

std::optional<double> as_number(const toml::node& node) {
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = node.as_floating_point()) return f->get();
    return std::nullopt;
}

std::string_view kind_word(const ParameterSpec& spec) {
    switch (spec.kind) {
        case ParameterKind::Real:
            return "a number";
        case ParameterKind::Integer:
            return "an integer";
        case ParameterKind::Flag:
            return "true or false";
        case ParameterKind::Choice:
            return "a name";
    }
    return "a value";
}

std::string choice_names(const ParameterSpec& spec) {
    std::string s;
    for (auto name : spec.choices) s += (s.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    return s;
}

/// A scalar (as a fixed value, or an element of a choice's values) for this parameter's kind.
double scalar_value(const ParameterSpec& spec, const toml::node& node, const Origin& origin,
                    std::string_view key) {
    if (spec.kind == ParameterKind::Choice) {
        const auto* s = node.as_string();
        if (!s)
            refuse(origin, node, key,
                   fmt::format("expected one of {} (written by name)", choice_names(spec)));
        const auto it = std::find(spec.choices.begin(), spec.choices.end(), s->get());
        if (it == spec.choices.end())
            refuse(origin, node, key,
                   fmt::format("unknown name; did you mean \"{}\"? (one of {})",
                               nearest_of(s->get(), spec.choices), choice_names(spec)));
        return static_cast<double>(it - spec.choices.begin());
    }
    if (spec.kind == ParameterKind::Flag) {
        if (const auto* b = node.as_boolean()) return b->get() ? 1.0 : 0.0;
        const auto v = as_number(node);
        if (!v || (*v != 0.0 && *v != 1.0)) refuse(origin, node, key, "expected true or false (or 0 or 1)");
        return *v;
    }
    const auto v = as_number(node);
    if (!v) refuse(origin, node, key, fmt::format("expected {}", kind_word(spec)));
    return *v;
}

DistributionKind parse_kind(const toml::node& dist_node, const Origin& origin, std::string_view key) {
    const auto* s = dist_node.as_string();
    if (!s) refuse(origin, dist_node, std::string(key) + ".dist", "expected a distribution name");
    std::string name;
    for (char c : s->get())
        if (c != '-' && c != '_' && c != ' ')
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "t" || name == "student") name = "studentt";
    static constexpr std::array kKinds{
        DistributionKind::Fixed,    DistributionKind::Uniform,   DistributionKind::LogUniform,
        DistributionKind::Normal,   DistributionKind::LogNormal, DistributionKind::Beta,
        DistributionKind::StudentT, DistributionKind::Choice,    DistributionKind::Bernoulli};
    for (auto k : kKinds)
        if (distribution_name(k) == name) return k;
    std::vector<std::string_view> names;
    for (auto k : kKinds) names.push_back(distribution_name(k));
    refuse(origin, dist_node, std::string(key) + ".dist",
           fmt::format("unknown distribution; did you mean \"{}\"? (one of {})", nearest_of(name, names),
                       fmt::join(names, ", ")));
}

Distribution parse_table(const ParameterSpec& spec, const toml::table& table, const Origin& origin) {
    const std::string key(spec.key);
    const toml::node* dist_node = table.get("dist");
    if (!dist_node) refuse(origin, table, key, "a distribution table needs dist = \"<name>\"");
    const DistributionKind kind = parse_kind(*dist_node, origin, key);
    const std::string_view name = distribution_name(kind);

    std::vector<std::string_view> allowed;
    switch (kind) {
        case DistributionKind::Fixed:
            allowed = {"value"};
            break;
        case DistributionKind::Uniform:
        case DistributionKind::LogUniform:
            allowed = {"low", "high"};
            break;
        case DistributionKind::Normal:
            allowed = {"mean", "sd"};
            break;
        case DistributionKind::LogNormal:
            allowed = {"median", "sigma"};
            break;
        case DistributionKind::Beta:
            allowed = {"alpha", "beta", "low", "high"};
            break;
        case DistributionKind::StudentT:
            allowed = {"df", "location", "scale"};
            break;
        case DistributionKind::Choice:
            allowed = {"values", "weights"};
            break;
        case DistributionKind::Bernoulli:
            allowed = {"p"};
            break;
    }
    const bool truncatable = kind != DistributionKind::Fixed && kind != DistributionKind::Choice &&
                             kind != DistributionKind::Bernoulli;
    if (truncatable) allowed.insert(allowed.end(), {"min", "max"});
    for (const auto& [k, v] : table) {
        if (k.str() == "dist") continue;
        if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end())
            refuse(origin, v, key + "." + std::string(k.str()),
                   fmt::format("{} takes {}; did you mean '{}'?", name, fmt::join(allowed, ", "),
                               nearest_of(k.str(), allowed)));
    }
    auto number = [&](std::string_view field, std::optional<double> fallback = std::nullopt) -> double {
        const toml::node* n = table.get(field);
        if (!n) {
            if (fallback) return *fallback;
            refuse(origin, table, key, fmt::format("{} needs '{}'", name, field));
        }
        const auto v = as_number(*n);
        if (!v) refuse(origin, *n, key + "." + std::string(field), "expected a number");
        return *v;
    };

    try {
        Distribution d = Distribution::fixed(0);
        switch (kind) {
            case DistributionKind::Fixed: {
                const toml::node* n = table.get("value");
                if (!n) refuse(origin, table, key, "fixed needs 'value'");
                d = Distribution::fixed(scalar_value(spec, *n, origin, key));
                break;
            }
            case DistributionKind::Uniform:
                d = Distribution::uniform(number("low"), number("high"));
                break;
            case DistributionKind::LogUniform:
                d = Distribution::log_uniform(number("low"), number("high"));
                break;
            case DistributionKind::Normal:
                d = Distribution::normal(number("mean"), number("sd"));
                break;
            case DistributionKind::LogNormal:
                d = Distribution::log_normal(number("median"), number("sigma"));
                break;
            case DistributionKind::Beta:
                d = Distribution::beta(number("alpha"), number("beta"), number("low", 0.0),
                                       number("high", 1.0));
                break;
            case DistributionKind::StudentT:
                d = Distribution::student_t(number("df"), number("location", 0.0), number("scale", 1.0));
                break;
            case DistributionKind::Bernoulli:
                d = Distribution::bernoulli(number("p"));
                break;
            case DistributionKind::Choice: {
                const toml::node* vn = table.get("values");
                const toml::array* va = vn ? vn->as_array() : nullptr;
                if (!va || va->empty()) refuse(origin, table, key, "choice needs a non-empty array 'values'");
                std::vector<double> values;
                for (const auto& e : *va) values.push_back(scalar_value(spec, e, origin, key));
                std::vector<double> weights;
                if (const toml::node* wn = table.get("weights")) {
                    const toml::array* wa = wn->as_array();
                    if (!wa) refuse(origin, *wn, key + ".weights", "expected an array of numbers");
                    for (const auto& e : *wa) {
                        const auto w = as_number(e);
                        if (!w) refuse(origin, e, key + ".weights", "expected a number");
                        weights.push_back(*w);
                    }
                }
                d = Distribution::choice(std::move(values), std::move(weights));
                break;
            }
        }
        if (truncatable && (table.get("min") || table.get("max"))) {
            constexpr double inf = std::numeric_limits<double>::infinity();
            d = d.truncated(number("min", -inf), number("max", inf));
        }
        return d;
    } catch (const InputError& e) {
        // Factory errors carry no location: add it. Errors already located pass through unchanged.
        const std::string what = e.what();
        if (what.rfind(std::string(origin.source), 0) == 0) throw;
        refuse(origin, table, key, what);
    }
}

Distribution parse_value(const ParameterSpec& spec, const toml::node& node, const Origin& origin) {
    Distribution d = Distribution::fixed(0);
    if (const auto* table = node.as_table()) {
        d = parse_table(spec, *table, origin);
    } else if (node.is_array()) {
        refuse(origin, node, spec.key, "expected a value or a distribution table, not an array");
    } else {
        d = Distribution::fixed(scalar_value(spec, node, origin, spec.key));
    }
    if (auto problem = check_distribution(spec, d)) refuse(origin, node, spec.key, *problem);
    return d;
}

// ---- [run] ----

struct RunTable {
    std::optional<std::uint64_t> paths, seed;
    std::optional<std::filesystem::path> tiers, history, positions, book;
    bool engine_base = false;

    void apply_to(RunSettings& r) const {
        if (paths) r.paths = *paths;
        if (seed) r.seed = *seed;
        if (tiers) r.tiers = *tiers;
        if (history) r.history = *history;
        if (positions) r.positions = *positions;
        if (book) r.book = *book;
    }
};

/// A file path in the scenario: relative to the scenario file's directory (or, for --set, the working one).
std::filesystem::path file_path(const toml::node& node, const Origin& origin, const std::string& key,
                                std::string_view what, const std::filesystem::path& base_dir) {
    const auto* s = node.as_string();
    if (!s || s->get().empty()) refuse(origin, node, key, fmt::format("expected the path of {}", what));
    std::filesystem::path p(s->get());
    if (p.is_relative()) p = base_dir / p;
    return std::filesystem::absolute(p).lexically_normal();
}

/// positions.source or book.source.
void parse_source_entry(RunTable& run, const std::string& key, const toml::node& node, const Origin& origin,
                        const std::filesystem::path& base_dir) {
    if (key == "positions.source") {
        run.positions = file_path(node, origin, key, "a position-snapshot CSV file", base_dir);
    } else {
        run.book = file_path(node, origin, key, "an order-book snapshot CSV file", base_dir);
    }
}

void parse_run_entry(RunTable& run, std::string_view name, const toml::node& node, const Origin& origin,
                     const std::filesystem::path& base_dir) {
    const std::string key = "run." + std::string(name);
    if (name == "paths" || name == "seed") {
        const auto* i = node.as_integer();
        const std::int64_t lo = name == "paths" ? 1 : 0;
        if (!i || i->get() < lo || (name == "paths" && static_cast<std::uint64_t>(i->get()) > kMaxPaths))
            refuse(origin, node, key,
                   name == "paths" ? fmt::format("expected a whole number of paths in [1, {}]", kMaxPaths)
                                   : std::string("expected a whole number >= 0"));
        (name == "paths" ? run.paths : run.seed) = static_cast<std::uint64_t>(i->get());
    } else if (name == "tiers" || name == "history") {
        (name == "tiers" ? run.tiers : run.history) =
            file_path(node, origin, key, name == "tiers" ? "a tier CSV file" : "a price-history CSV file", base_dir);
    } else if (name == "base") {
        const auto* s = node.as_string();
        if (!s || (s->get() != "default" && s->get() != "engine"))
            refuse(origin, node, key,
                   "expected \"default\" (start from the built-in scenario) or \"engine\" (every parameter "
                   "fixed at the engine's default)");
        run.engine_base = s->get() == "engine";
    } else {
        refuse(origin, node, key, fmt::format("unknown key; did you mean '{}'?", nearest_key(key)));
    }
}

std::string file_dir_text(const std::filesystem::path& file) {
    return file.has_parent_path() ? file.parent_path().string() : std::string(".");
}

/// A TOML document from a file or a --set line; syntax errors name source, line and column.
/// TOML allows characters beyond ASCII only in strings and comments. Refused here, before toml++ sees them:
/// toml++ 3.3 reaches an unreachable branch (undefined behaviour) when it tests U+00A1..U+0499 for
/// whitespace where a key or value should start (found by the scenario fuzzer).
void refuse_non_ascii_outside_strings(std::string_view text, std::string_view source_name) {
    enum class State { Code, Comment, Basic, Literal, MultiBasic, MultiLiteral } state = State::Code;
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < text.size(); ++i, ++column) {
        const char c = text[i];
        const auto starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
        if (c == '\n') {
            ++line;
            column = 0;
            if (state == State::Comment) state = State::Code;
            continue;
        }
        switch (state) {
            case State::Code:
                if (c == '#') {
                    state = State::Comment;
                } else if (starts("\"\"\"")) {
                    state = State::MultiBasic;
                    i += 2;
                } else if (starts("'''")) {
                    state = State::MultiLiteral;
                    i += 2;
                } else if (c == '"') {
                    state = State::Basic;
                } else if (c == '\'') {
                    state = State::Literal;
                } else if (static_cast<unsigned char>(c) >= 0x80) {
                    throw InputError(fmt::format("{}:{}:{}: TOML syntax error: a character beyond ASCII outside a "
                                                 "string or comment (byte 0x{:02x}); quote it",
                                                 source_name, line, column, static_cast<unsigned char>(c)));
                }
                break;
            case State::Comment:
                break;
            case State::Basic:
            case State::MultiBasic:
                if (c == '\\') {
                    if (i + 1 < text.size() && text[i + 1] == '\n') {  // a line-ending backslash
                        ++line;
                        column = 0;
                    }
                    ++i;  // the escaped character
                } else if (state == State::Basic ? c == '"' : starts("\"\"\"")) {
                    if (state == State::MultiBasic) i += 2;
                    state = State::Code;
                }
                break;
            case State::Literal:
            case State::MultiLiteral:
                if (state == State::Literal ? c == '\'' : starts("'''")) {
                    if (state == State::MultiLiteral) i += 2;
                    state = State::Code;
                }
                break;
        }
    }
}

toml::table parse_toml(std::string_view text, std::string_view source_name) {
    refuse_non_ascii_outside_strings(text, source_name);
    try {
        return toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw InputError(fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, where.line, where.column,
                                     e.description()));
    }
}

/// The distribution with one of its parameters (or its truncation bound) replaced by `node`, parsed and
/// checked exactly like a whole scenario entry: the entry is rebuilt as a TOML table and parsed again.
Distribution with_field(const ParameterSpec& spec, const Distribution& current, std::string_view field,
                        const toml::node& node, const Origin& origin) {
    const std::string key = fmt::format("{}.{}", spec.key, field);
    std::vector<std::string_view> fields;
    for (const auto& [name, value] : current.parameters()) fields.push_back(name);
    const auto kind = current.kind();
    if (kind != DistributionKind::Fixed && kind != DistributionKind::Choice &&
        kind != DistributionKind::Bernoulli)
        fields.insert(fields.end(), {"min", "max"});
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
        if (fields.empty())
            refuse(origin, node, key,
                   fmt::format("{} is a {} distribution: set the whole entry instead", spec.key,
                               distribution_name(kind)));
        refuse(origin, node, key,
               fmt::format("{} is {} {}: its parameters are {}", spec.key,
                           current.is_fixed() ? "fixed at" : "a", value_toml(spec, current),
                           fmt::join(fields, ", ")));
    }
    if (current.is_fixed()) return parse_value(spec, node, origin);  // value of a fixed entry
    const toml::table doc = parse_toml(fmt::format("v = {}", value_toml(spec, current)), origin.source);
    toml::table table = *doc.get_as<toml::table>("v");
    node.visit([&](const auto& n) { table.insert_or_assign(field, n); });
    return parse_value(spec, table, origin);
}

}  // namespace

// ---- checks ----

std::optional<std::string> check_distribution(const ParameterSpec& spec, const Distribution& d) {
    const auto kind = d.kind();
    const auto name = distribution_name(kind);
    const double lo = spec.min <= -kUnbounded ? -std::numeric_limits<double>::infinity() : spec.min;
    const double hi = spec.max >= kUnbounded ? std::numeric_limits<double>::infinity() : spec.max;
    const std::string range = fmt::format("[{}, {}]", format_bound(spec.min), format_bound(spec.max));

    const bool discrete = kind == DistributionKind::Fixed || kind == DistributionKind::Choice;
    switch (spec.kind) {
        case ParameterKind::Choice:
            if (!discrete) return fmt::format("written by name: a name or a choice of names, not {}", name);
            break;
        case ParameterKind::Flag:
            if (!discrete && kind != DistributionKind::Bernoulli)
                return fmt::format("a flag takes true/false, a bernoulli or a choice, not {}", name);
            break;
        case ParameterKind::Real:
        case ParameterKind::Integer:
            if (kind == DistributionKind::Bernoulli)
                return fmt::format("bernoulli is for flags; this parameter is {}", kind_word(spec));
            break;
    }
    if (discrete) {
        const std::vector<double> one{d.is_fixed() ? d.parameters()[0].second : 0.0};
        const auto& values = d.is_fixed() ? one : d.values();
        for (double v : values) {
            if (spec.kind != ParameterKind::Real && v != std::round(v))
                return fmt::format("must be a whole number, got {}", v);
            if (!(v >= lo && v <= hi)) return fmt::format("must be within {}, got {}", range, v);
        }
        return std::nullopt;
    }
    Interval s = d.support();
    if (spec.kind == ParameterKind::Integer)
        s = {std::round(s.lo), std::round(s.hi)};  // sampled, then rounded
    if (!Interval{lo, hi}.contains(s)) {
        std::vector<std::string> params;
        for (const auto& [pname, v] : d.parameters()) params.push_back(fmt::format("{} = {}", pname, v));
        return fmt::format(
            "{}({}) can draw values in [{}, {}], outside the parameter's range {}: add truncation bounds "
            "min/max inside the range",
            name, fmt::join(params, ", "), format_bound(s.lo), format_bound(s.hi), range);
    }
    return std::nullopt;
}

// ---- Scenario ----

Scenario Scenario::engine_defaults() {
    Scenario s;
    const CascadeParams defaults{};
    for (const auto& spec : parameter_specs())
        s.distributions_.push_back(Distribution::fixed(spec.get(defaults)));
    s.source_ = "engine defaults";
    return s;
}

Scenario Scenario::builtin() {
    static const Scenario builtin =
        parse_onto(engine_defaults(), default_scenario_text(), "built-in default scenario", {}, false);
    return builtin;
}

Scenario Scenario::parse(std::string_view text, std::string_view source_name,
                         const std::filesystem::path& base_dir) {
    return parse_onto(builtin(), text, source_name, base_dir, true);
}

Scenario Scenario::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read scenario file", file.string()));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw InputError(fmt::format("{}: cannot read scenario file", file.string()));
    return parse(buffer.str(), file.string(), file_dir_text(file));
}

namespace {

/// Applies the entries of a parsed document (a file, or a one-key --set document) to a scenario.
void apply_document(std::vector<Distribution>& distributions, RunTable& run, const toml::table& doc,
                    const Origin& origin, const std::filesystem::path& base_dir) {
    const auto specs = parameter_specs();
    for (const auto& [section_key, section] : doc) {
        const std::string section_name(section_key.str());
        if (section_name == "run") {
            const auto* table = section.as_table();
            if (!table) refuse(origin, section, "run", "expected a table: [run] paths, seed, tiers");
            for (const auto& [k, v] : *table) parse_run_entry(run, k.str(), v, origin, base_dir);
            continue;
        }
        const auto* table = section.as_table();
        if (!table) {
            const bool is_section = std::any_of(specs.begin(), specs.end(), [&](const ParameterSpec& spec) {
                return spec.key.substr(0, spec.key.find('.')) == section_name;
            });
            refuse(origin, section, section_name,
                   is_section ? fmt::format("expected a table: [{}] with its keys", section_name)
                              : fmt::format("unknown key; did you mean '{}'?", nearest_key(section_name)));
        }
        for (const auto& [k, v] : *table) {
            const std::string key = section_name + "." + std::string(k.str());
            if (std::find(kSourceKeys.begin(), kSourceKeys.end(), key) != kSourceKeys.end()) {
                parse_source_entry(run, key, v, origin, base_dir);
                continue;
            }
            const ParameterSpec* spec = find_parameter(key);
            if (!spec)
                refuse(origin, v, key, fmt::format("unknown key; did you mean '{}'?", nearest_key(key)));
            distributions[static_cast<std::size_t>(spec - specs.data())] = parse_value(*spec, v, origin);
        }
    }
}

}  // namespace

Scenario Scenario::parse_onto(Scenario base, std::string_view text, std::string_view source_name,
                              const std::filesystem::path& base_dir, bool allow_engine_base) {
    const toml::table doc = parse_toml(text, source_name);
    const Origin origin{source_name, true};
    RunTable run;
    // [run] first: base decides what the other keys are layered on.
    if (const auto* run_table = doc.get_as<toml::table>("run")) {
        for (const auto& [k, v] : *run_table) parse_run_entry(run, k.str(), v, origin, base_dir);
    }
    Scenario s = (run.engine_base && allow_engine_base) ? engine_defaults() : std::move(base);
    apply_document(s.distributions_, run, doc, origin, base_dir);
    run.apply_to(s.run_);
    s.source_ = std::string(source_name);
    return s;
}

void Scenario::set(std::string_view key, const Distribution& distribution) {
    const ParameterSpec* spec = find_parameter(key);
    if (!spec)
        throw InputError(fmt::format("unknown parameter '{}'; did you mean '{}'?", key, nearest_key(key)));
    if (auto problem = check_distribution(*spec, distribution))
        throw InputError(fmt::format("{} = {}: {}", key, value_toml(*spec, distribution), *problem));
    distributions_[static_cast<std::size_t>(spec - parameter_specs().data())] = distribution;
}

void Scenario::set(std::string_view assignment) {
    const std::string label = fmt::format("--set '{}'", assignment);
    const auto eq = assignment.find('=');
    if (eq == std::string_view::npos) throw InputError(fmt::format("{}: expected key=value", label));
    const std::string key(trim(assignment.substr(0, eq)));
    const std::string_view value = trim(assignment.substr(eq + 1));
    if (key.empty() || value.empty()) throw InputError(fmt::format("{}: expected key=value", label));
    const auto dot = key.find('.');
    const ParameterSpec* spec = find_parameter(key);
    const bool run_key =
        std::find(kRunKeys.begin(), kRunKeys.end(), key) != kRunKeys.end() && key != "run.base";
    const bool source_key = std::find(kSourceKeys.begin(), kSourceKeys.end(), key) != kSourceKeys.end();
    // key.field (shock.size.median): one parameter of that key's distribution.
    const auto last_dot = key.rfind('.');
    const ParameterSpec* field_spec =
        (!spec && !run_key && !source_key && last_dot != std::string::npos && last_dot != dot)
            ? find_parameter(std::string_view(key).substr(0, last_dot))
            : nullptr;
    if (dot == std::string::npos || (!spec && !run_key && !source_key && !field_spec))
        throw InputError(
            fmt::format("{}: unknown key '{}'; did you mean '{}'?", label, key, nearest_key(key)));

    // The value is TOML; a bare word (mark.rule=last) is taken as a string for convenience, and so is a file
    // key's unquoted path (positions.source=snap/positions.csv).
    const bool path_key = source_key || key == "run.tiers" || key == "run.history";
    toml::table doc;
    if (path_key && value.front() != '"' && value.front() != '\'') {
        doc = toml::table{{"v", std::string(value)}};
    } else {
        try {
            const std::string text = fmt::format("v = {}", value);
            refuse_non_ascii_outside_strings(text, label);
            doc = toml::parse(text, label);
        } catch (const toml::parse_error& e) {
            if (!is_bare_word(value))
                throw InputError(fmt::format("{}: cannot read the value as TOML: {}", label, e.description()));
            doc = toml::table{{"v", std::string(value)}};
        }
    }
    if (doc.size() != 1 || !doc.get("v")) throw InputError(fmt::format("{}: expected one value", label));
    const toml::node& node = *doc.get("v");
    const Origin origin{label, false};
    if (field_spec) {
        const std::size_t index = static_cast<std::size_t>(field_spec - parameter_specs().data());
        distributions_[index] =
            with_field(*field_spec, distributions_[index], key.substr(last_dot + 1), node, origin);
    } else if (run_key) {
        RunTable run;
        parse_run_entry(run, last_segment(key), node, origin, std::filesystem::current_path());
        run.apply_to(run_);
    } else if (source_key) {
        RunTable run;
        parse_source_entry(run, key, node, origin, std::filesystem::current_path());
        run.apply_to(run_);
    } else {
        distributions_[static_cast<std::size_t>(spec - parameter_specs().data())] =
            parse_value(*spec, node, origin);
    }
    source_ += fmt::format(" {}", label);
}

const Distribution& Scenario::distribution(std::string_view key) const {
    const ParameterSpec* spec = find_parameter(key);
    if (!spec)
        throw InputError(fmt::format("unknown parameter '{}'; did you mean '{}'?", key, nearest_key(key)));
    return distributions_[static_cast<std::size_t>(spec - parameter_specs().data())];
}

CascadeParams Scenario::sample(std::uint64_t seed, std::uint64_t path_index, std::span<double> values) const {
    const auto specs = parameter_specs();
    if (!values.empty() && values.size() != specs.size())
        throw std::invalid_argument("Scenario::sample: values must hold one entry per parameter");
    CascadeParams params{};
    RandomStream stream(seed, path_index, StreamId::Scenario);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        double v = distributions_[i].sample(stream.uniform());
        if (specs[i].kind == ParameterKind::Integer) v = std::round(v);
        specs[i].set(params, v);
        if (!values.empty()) values[i] = v;
    }
    return params;
}

// ---- writing TOML ----

namespace {

std::string scalar_text(const ParameterSpec& spec, double v) {
    switch (spec.kind) {
        case ParameterKind::Real:
            return toml_float(v);
        case ParameterKind::Integer:
            return fmt::format("{}", static_cast<long long>(v));
        case ParameterKind::Flag:
            return v != 0.0 ? "true" : "false";
        case ParameterKind::Choice:
            return quoted_text(spec.choices[static_cast<std::size_t>(v)]);
    }
    return "?";
}

}  // namespace

std::string value_toml(const ParameterSpec& spec, const Distribution& d) {
    if (d.is_fixed()) return scalar_text(spec, d.parameters()[0].second);
    std::string s = fmt::format("{{ dist = \"{}\"", distribution_name(d.kind()));
    if (d.kind() == DistributionKind::Choice) {
        std::vector<std::string> values;
        for (double v : d.values()) values.push_back(scalar_text(spec, v));
        s += fmt::format(", values = [{}]", fmt::join(values, ", "));
        if (!d.weights().empty()) {
            std::vector<std::string> weights;
            for (double w : d.weights()) weights.push_back(toml_float(w));
            s += fmt::format(", weights = [{}]", fmt::join(weights, ", "));
        }
    } else {
        for (const auto& [name, v] : d.parameters()) s += fmt::format(", {} = {}", name, toml_float(v));
        if (d.has_min()) s += fmt::format(", min = {}", toml_float(d.min()));
        if (d.has_max()) s += fmt::format(", max = {}", toml_float(d.max()));
    }
    return s + " }";
}

namespace {

std::string comment_for(const ParameterSpec& spec) {
    std::string c = fmt::format("# {}", spec.doc);
    switch (spec.kind) {
        case ParameterKind::Real:
        case ParameterKind::Integer:
            c += fmt::format(" ({}{}range [{}, {}])", spec.unit, spec.unit.empty() ? "" : "; ",
                             format_bound(spec.min), format_bound(spec.max));
            break;
        case ParameterKind::Flag:
            c += " (true or false)";
            break;
        case ParameterKind::Choice:
            c += fmt::format(" (one of {})", choice_names(spec));
            break;
    }
    return c;
}

}  // namespace

std::string Scenario::to_toml() const {
    std::string out;
    out += "# wipeout scenario: every engine parameter, fixed or a distribution sampled per path.\n";
    out += fmt::format("# Effective scenario from: {}\n", source_);
    out +=
        "# Values are fixed (`size = 0.05`) or { dist = ... } tables, truncated to [min, max] by inverse "
        "CDF.\n";
    out += "\n[run]\n";
    out += fmt::format("paths = {}  # Monte Carlo paths\n", run_.paths);
    out += fmt::format("seed = {}  # path i's numbers are a pure function of (seed, i)\n", run_.seed);
    if (run_.tiers.empty()) {
        out += "# tiers = \"tiers.csv\"  # maintenance-margin tier CSV; absent: the embedded BTCUSDT table\n";
    } else {
        out += fmt::format("tiers = {}  # maintenance-margin tier CSV\n", quoted_text(run_.tiers.string()));
    }
    if (run_.history.empty()) {
        out += "# history = \"prices.csv\"  # price bars before t = 0 that shape the crowd (with history.enabled)\n";
    } else {
        out += fmt::format("history = {}  # price bars before t = 0 that shape the crowd (with history.enabled)\n",
                           quoted_text(run_.history.string()));
    }
    // Sections in order of first appearance, each with all its keys, so the text is valid TOML even if the
    // registry interleaves sections.
    const auto specs = parameter_specs();
    std::vector<std::string_view> sections;
    for (const auto& spec : specs) {
        const auto section = spec.key.substr(0, spec.key.find('.'));
        if (std::find(sections.begin(), sections.end(), section) == sections.end())
            sections.push_back(section);
    }
    for (auto section : sections) {
        out += fmt::format("\n[{}]\n", section);
        if (section == "positions" || section == "book") {
            const auto& file = section == "positions" ? run_.positions : run_.book;
            const std::string_view what = section == "positions"
                                              ? "position snapshot (side, entry, qty, leverage) replacing the crowd below"
                                              : "order-book snapshot (side, price, qty) replacing the power law below";
            out += file.empty() ? fmt::format("# source = \"{}.csv\"  # {}\n", section, what)
                                : fmt::format("source = {}  # {}\n", quoted_text(file.string()), what);
        }
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const auto& spec = specs[i];
            if (spec.key.substr(0, spec.key.find('.')) != section) continue;
            out += comment_for(spec) + "\n";
            out += fmt::format("{} = {}\n", last_segment(spec.key), value_toml(spec, distributions_[i]));
        }
    }
    return out;
}

}  // namespace wipeout
