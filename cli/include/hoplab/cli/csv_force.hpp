#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::cli {

// A CSV input that cannot be used as it is, naming the file, line, column and value.
class CsvError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Which columns to take. Unset names fall back to the defaults of DESIGN.md §8: time column `time`
// or `time_s`; force `fz`/`Fz`, or `fz_left` and `fz_right` for two plates.
struct CsvColumns {
    std::optional<std::string> time;
    std::optional<double> rate_hz;  // when the file has no time column
    std::optional<std::string> fz, fz_left, fz_right;
};

// Vertical force read from a CSV file, in newtons, uniformly sampled.
struct CsvForce {
    double sample_rate_hz = 0;
    std::vector<double> fz;                 // single-plate input
    std::vector<double> fz_left, fz_right;  // two-plate input
    std::string protocol;                   // from a "# protocol: …" comment line, if any
    std::string limb;                       // from a "# limb: …" comment line, if any
};

// Reads a header-row CSV: comma, semicolon or tab separated (detected from the header), decimal
// comma accepted with semicolon or tab separators, units in brackets after a column name (`Fz (N)`,
// `time (s)`; N, kN, s, ms accepted), leading `#` comment lines (`# protocol: repeated-hops`, `#
// limb: left` are read). Throws CsvError.
CsvForce parse_force_csv(std::string_view text, const std::string& source,
                         const CsvColumns& columns);
CsvForce read_force_csv(const std::filesystem::path& file, const CsvColumns& columns);

}  // namespace hoplab::cli
