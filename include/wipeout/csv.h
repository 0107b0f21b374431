#pragma once
// The CSV files a run reads (snapshots of positions and of the order book): a header naming the columns, then
// one row per line, comma separated; blank lines and lines starting with '#' are skipped. Read row by row, so a
// million-row file costs one pass and no per-field allocation. Every error names file:line:column (the
// character where the field starts), the column and the value.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wipeout {

class CsvReader {
  public:
    /// `text` must outlive the reader. Reads the header; throws InputError when there is none.
    CsvReader(std::string_view text, std::string source_name);

    /// The text of a file, for a reader over it. Throws InputError naming the file when it cannot be read.
    static std::string read_file(const std::filesystem::path& file, std::string_view what);

    const std::string& source() const { return source_; }
    /// The header's index of a column, or nothing when the header lacks it. Throws InputError when the
    /// header names it twice.
    std::optional<std::size_t> column(std::string_view name) const;
    /// column(), or InputError "file:line: header: column 'name' is missing".
    std::size_t required(std::string_view name) const;
    /// The header's names, in order.
    const std::vector<std::string_view>& header() const { return header_; }

    /// Moves to the next row; false at the end of the text.
    bool next();
    int line() const { return line_; }
    /// The row's field in column c (empty when the row is short: the parsers say it is missing).
    std::string_view field(std::size_t c) const;

    /// The field as a finite number, or InputError "file:line:col: column 'name': 'value' is not <what>".
    double number(std::size_t c, std::string_view what) const;
    /// A finite number > 0.
    double positive(std::size_t c, std::string_view what) const;
    /// InputError at the field of column c: "file:line:col: column 'name': 'value' <message>".
    [[noreturn]] void fail(std::size_t c, std::string_view message) const;
    /// InputError at the row: "file:line: <message>".
    [[noreturn]] void fail_row(std::string_view message) const;

  private:
    bool split_next_line();
    std::string_view text_;
    std::string source_;
    std::size_t at_ = 0;  // where the next line starts
    int line_ = 0;
    std::string_view row_;                       // the current line
    std::vector<std::string_view> fields_;       // its fields, trimmed
    std::vector<std::size_t> field_columns_;     // 1-based character column of each field
    std::vector<std::string_view> header_;
    int header_line_ = 0;
};

}  // namespace wipeout
