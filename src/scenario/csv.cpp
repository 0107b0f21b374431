// CSV files a run reads (include/wipeout/csv.h).
#include "wipeout/csv.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {
namespace {

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

CsvReader::CsvReader(std::string_view text, std::string source_name) : text_(text), source_(std::move(source_name)) {
    if (!split_next_line()) throw InputError(fmt::format("{}: empty file: expected a header line", source_));
    header_ = fields_;
    header_line_ = line_;
    for (std::size_t i = 0; i < header_.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (!header_[i].empty() && header_[i] == header_[j])
                throw InputError(
                    fmt::format("{}:{}: header: column '{}' appears twice", source_, header_line_, header_[i]));
        }
    }
}

std::string CsvReader::read_file(const std::filesystem::path& file, std::string_view what) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read the {}", file.string(), what));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw InputError(fmt::format("{}: cannot read the {}", file.string(), what));
    return std::move(buffer).str();
}

std::optional<std::size_t> CsvReader::column(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
        if (header_[i] == name) return i;
    }
    return std::nullopt;
}

std::size_t CsvReader::required(std::string_view name) const {
    if (const auto c = column(name)) return *c;
    throw InputError(fmt::format("{}:{}: header: column '{}' is missing", source_, header_line_, name));
}

bool CsvReader::split_next_line() {
    while (at_ <= text_.size()) {
        const auto end = text_.find('\n', at_);
        const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
        const std::string_view line = text_.substr(at_, stop - at_);
        at_ = stop + 1;
        ++line_;
        std::size_t first = 0;
        while (first < line.size() && blank(line[first])) ++first;
        if (first == line.size() || line[first] == '#') continue;
        row_ = line;
        fields_.clear();
        field_columns_.clear();
        for (std::size_t start = 0;;) {
            const auto comma = line.find(',', start);
            std::size_t b = start, e = comma == std::string_view::npos ? line.size() : comma;
            while (b < e && blank(line[b])) ++b;
            while (e > b && blank(line[e - 1])) --e;
            fields_.push_back(line.substr(b, e - b));
            field_columns_.push_back(b + 1);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return true;
    }
    return false;
}

bool CsvReader::next() {
    return split_next_line();
}

std::string_view CsvReader::field(std::size_t c) const {
    return c < fields_.size() ? fields_[c] : std::string_view{};
}

void CsvReader::fail(std::size_t c, std::string_view message) const {
    const std::size_t col = c < field_columns_.size() ? field_columns_[c] : row_.size() + 1;
    const std::string_view name = c < header_.size() ? header_[c] : std::string_view{"?"};
    throw InputError(fmt::format("{}:{}:{}: column '{}': '{}' {}", source_, line_, col, name, field(c), message));
}

void CsvReader::fail_row(std::string_view message) const {
    throw InputError(fmt::format("{}:{}: {}", source_, line_, message));
}

double CsvReader::number(std::size_t c, std::string_view what) const {
    const std::string_view s = field(c);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
        fail(c, fmt::format("is not {}", what));
    return v;
}

double CsvReader::positive(std::size_t c, std::string_view what) const {
    const double v = number(c, what);
    if (!(v > 0)) fail(c, fmt::format("is not {}", what));
    return v;
}

}  // namespace wipeout
