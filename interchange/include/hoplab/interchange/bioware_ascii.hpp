#pragma once

// Reader for Kistler BioWare "Export" ASCII files: a "BioWare Version x Export" first line,
// "Key:<TAB>value per column" metadata (Device:, Samples (#):, Rate (Hz):, ...), a "File
// Information" block (Date, Name, ...), a column header row starting with "abs time (s)" (or "abs
// time" since BioWare 5.6.1.0), a units row, then one tab-separated row per sample. Lines end with
// \n or \r\n; decimal points may be '.' or ',' (a comma can only be a decimal mark, since cells are
// tab-separated).
//
// Axis convention: forces, centre of pressure and moments are returned in BioWare's plate frame
// with no sign or axis change (in the single-plate export quoted in issue 7 a standing subject
// reads Fz ≈ +670 N); only units are converted (kN → N, mm/cm → m, N·mm → N·m). COP is relative
// to the plate centre as BioWare prints it.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::interchange {

// A file that cannot be read. Messages name the file, the 1-based line, the column and the
// offending value, e.g. `jump.txt: line 23, column Fz: "67o.5" is not a number`.
class BiowareError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One plate: a run of columns from one device with no repeated column name (a second Fx, or a
// change of device, starts the next plate). Vectors hold one value per sample.
struct BiowarePlate {
    std::optional<std::string> device;  // from the Device: line, when the file has one
    std::vector<double> fx_n, fy_n, fz_n;
    std::optional<std::vector<double>> cop_x_m, cop_y_m;  // columns Ax, Ay
    std::optional<std::vector<double>> moment_z_nm;       // column Mz, about the plate origin
    std::optional<std::vector<double>> free_moment_nm;    // column Tz
};

struct BiowareExport {
    std::string bioware_version;      // "5.2.1.3" from the first line
    std::optional<std::string> date;  // the "Date" field as printed, e.g. "Oct 22, 2014  12:05:31"
    double rate_hz = 0;               // from Rate (Hz):, else (n − 1) / (last − first time)
    std::size_t sample_count = 0;
    // Every data column after the time column, in file order, as printed (no unit conversion):
    // column_values[c][sample] is in column_units[c].
    std::vector<std::string> column_names, column_units;
    std::vector<std::vector<double>> column_values;
    std::vector<double> time_s;  // the time column
    std::vector<BiowarePlate> plates;
};

// True when first_line starts with "BioWare" and contains "Export".
bool looks_like_bioware_ascii(std::string_view first_line);

// Throws BiowareError for: an empty file; a first line that is not a BioWare export header; no
// column header row within the first 64 lines; a missing units row (first cell empty); no data
// rows; a units row or data row with more cells, or a data row with fewer cells, than the header; a
// cell that is not a number; a plate without an Fx, Fy or Fz column; a unit that cannot be
// converted (forces: N, kN; Ax/Ay: m, cm, mm; Mz/Tz: Nm, N.m, N·m, Nmm); Rate (Hz): values that
// disagree between columns; no rate and a non-uniform or too short time column; a row count that
// differs from Samples (#):. file_name is used in messages only.
BiowareExport parse_bioware_ascii(std::string_view text, std::string_view file_name);

// Reads the whole file and parses it; the message names the file's base name. Throws BiowareError
// also when the file cannot be opened.
BiowareExport read_bioware_ascii(const std::filesystem::path& path);

}  // namespace hoplab::interchange
