#include <hoplab/interchange/bioware_ascii.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <span>

namespace hoplab::interchange {
namespace {

constexpr std::size_t kHeaderSearchLines = 64;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \r");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \r") - first + 1);
}

// Tab-separated cells, blanks trimmed; trailing empty cells (a tab at the end of a line) dropped.
std::vector<std::string_view> split_cells(std::string_view line) {
    std::vector<std::string_view> cells;
    std::size_t start = 0;
    for (;;) {
        const auto tab = line.find('\t', start);
        cells.push_back(trim(line.substr(start, tab - start)));
        if (tab == std::string_view::npos) {
            break;
        }
        start = tab + 1;
    }
    while (!cells.empty() && cells.back().empty()) {
        cells.pop_back();
    }
    return cells;
}

// A decimal number with '.' or ',' as the decimal mark, parsed locale-independently with
// from_chars (round-to-nearest, the same double glibc's strtod gives); nullopt if the cell holds
// anything else or a non-finite value.
std::optional<double> parse_number(std::string_view cell) {
    std::string text(cell.starts_with('+') ? cell.substr(1) : cell);
    std::replace(text.begin(), text.end(), ',', '.');
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::size_t decimals(std::string_view cell) {
    const auto mark = cell.find_first_of(".,");
    return mark == std::string_view::npos ? 0 : cell.size() - mark - 1;
}

enum class Quantity { force, length, moment };

std::optional<double> to_si(Quantity quantity, std::string_view unit) {
    static const std::map<std::string_view, double> kForce{{"N", 1.0}, {"kN", 1e3}};
    static const std::map<std::string_view, double> kLength{{"m", 1.0}, {"cm", 1e-2}, {"mm", 1e-3}};
    // "·" arrives as latin-1 0xB7 or UTF-8 C2 B7.
    static const std::map<std::string_view, double> kMoment{
        {"Nm", 1.0},     {"N.m", 1.0},        {"N*m", 1.0},         {"N m", 1.0},
        {"N\xB7m", 1.0}, {"N\xC2\xB7m", 1.0}, {"Nmm", 1e-3},        {"N.mm", 1e-3},
        {"N*mm", 1e-3},  {"N\xB7mm", 1e-3},   {"N\xC2\xB7mm", 1e-3}};
    const auto& table = quantity == Quantity::force    ? kForce
                        : quantity == Quantity::length ? kLength
                                                       : kMoment;
    const auto it = table.find(unit);
    return it == table.end() ? std::nullopt : std::optional<double>(it->second);
}

struct MetadataLine {
    std::size_t line = 0;
    std::vector<std::string_view> values;  // one per data column
};

class Parser {
  public:
    explicit Parser(std::string_view file_name) : file_(file_name) {}

    [[noreturn]] void fail(std::size_t line, std::string_view column,
                           const std::string& message) const {
        std::string where = file_ + ": line " + std::to_string(line);
        if (!column.empty()) {
            where += ", column " + std::string(column);
        }
        throw BiowareError(where + ": " + message);
    }
    [[noreturn]] void fail(const std::string& message) const {
        throw BiowareError(file_ + ": " + message);
    }
    double number(std::size_t line, std::string_view column, std::string_view cell) const {
        const auto value = parse_number(cell);
        if (!value) {
            fail(line, column, std::string("\"").append(cell).append("\" is not a number"));
        }
        return *value;
    }

    BiowareExport parse(std::string_view text);

  private:
    void check_samples(const MetadataLine& samples, const BiowareExport& out) const;
    double rate_from_metadata(const MetadataLine& rate, const BiowareExport& out) const;
    double rate_from_time(std::span<const std::size_t> row_lines, std::size_t header_line,
                          std::string_view time_name, std::size_t time_decimals,
                          const BiowareExport& out) const;
    void pick_plates(std::size_t header_line, std::size_t units_line,
                     const std::optional<MetadataLine>& devices, BiowareExport& out) const;

    std::string file_;
};

BiowareExport Parser::parse(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < text.size();) {
        const auto end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (std::all_of(lines.begin(), lines.end(), [](auto l) { return trim(l).empty(); })) {
        fail("empty file");
    }
    const auto first = trim(lines[0]);
    if (!looks_like_bioware_ascii(first)) {
        fail(1, {}, "\"" + std::string(first) + "\" is not a BioWare export header");
    }
    BiowareExport out;
    const auto version_at = first.find("Version");
    const auto version_from = version_at == std::string_view::npos ? 7 : version_at + 7;
    out.bioware_version = trim(first.substr(version_from, first.rfind("Export") - version_from));

    std::map<std::string, MetadataLine, std::less<>> metadata;
    std::optional<std::size_t> header;
    for (std::size_t i = 1; i < std::min(lines.size(), kHeaderSearchLines) && !header; ++i) {
        auto cells = split_cells(lines[i]);
        if (cells.empty()) {
            continue;
        }
        if (cells[0] == "abs time (s)" || cells[0] == "abs time") {
            header = i;
        } else if (cells[0] == "Date" && cells.size() > 1) {
            out.date = std::string(cells[1]);
        } else if (cells[0].ends_with(':')) {
            const auto key = cells[0].substr(0, cells[0].size() - 1);
            metadata[std::string(key)] = {i + 1, {std::next(cells.begin()), cells.end()}};
        }
    }
    if (!header) {
        fail("no column header row (\"abs time (s)\" or \"abs time\") within the first " +
             std::to_string(kHeaderSearchLines) + " lines");
    }
    const auto names = split_cells(lines[*header]);
    const auto header_line = *header + 1;
    if (header_line >= lines.size()) {
        fail(header_line, {}, "no units row after the column header");
    }
    const auto units = split_cells(lines[*header + 1]);
    if (!units.empty() && !units[0].empty()) {
        fail(header_line + 1, {},
             "expected the units row (first cell empty), found \"" + std::string(units[0]) + "\"");
    }
    if (units.size() > names.size()) {
        fail(header_line + 1, {},
             std::to_string(units.size()) + " cells in the units row where the header has " +
                 std::to_string(names.size()));
    }
    for (std::size_t c = 1; c < names.size(); ++c) {
        out.column_names.emplace_back(names[c]);
        out.column_units.emplace_back(c < units.size() ? units[c] : std::string_view{});
    }
    out.column_values.resize(out.column_names.size());

    std::vector<std::size_t> row_lines;  // 1-based line of each sample
    std::size_t time_decimals = 0;       // printed in the first row's time cell
    for (std::size_t i = *header + 2; i < lines.size(); ++i) {
        const auto cells = split_cells(lines[i]);
        if (cells.empty()) {
            continue;  // blank lines (a trailing one is usual); Samples (#) catches lost rows
        }
        if (cells.size() != names.size()) {
            fail(i + 1, {},
                 std::to_string(cells.size()) + " cells where the header has " +
                     std::to_string(names.size()));
        }
        if (row_lines.empty()) {
            time_decimals = decimals(cells[0]);
        }
        row_lines.push_back(i + 1);
        out.time_s.push_back(number(i + 1, names[0], cells[0]));
        for (std::size_t c = 1; c < cells.size(); ++c) {
            out.column_values[c - 1].push_back(number(i + 1, names[c], cells[c]));
        }
    }
    if (row_lines.empty()) {
        fail(header_line + 1, {}, "no data rows after the units row");
    }
    out.sample_count = out.time_s.size();

    if (const auto it = metadata.find("Samples (#)"); it != metadata.end()) {
        check_samples(it->second, out);
    }
    if (const auto it = metadata.find("Rate (Hz)"); it != metadata.end()) {
        out.rate_hz = rate_from_metadata(it->second, out);
    } else {
        out.rate_hz = rate_from_time(row_lines, header_line, names[0], time_decimals, out);
    }
    const auto devices = metadata.find("Device");
    pick_plates(header_line, header_line + 1,
                devices == metadata.end() ? std::nullopt : std::optional(devices->second), out);
    return out;
}

void Parser::check_samples(const MetadataLine& samples, const BiowareExport& out) const {
    for (std::size_t c = 0; c < samples.values.size() && c < out.column_names.size(); ++c) {
        const auto declared = number(samples.line, out.column_names[c], samples.values[c]);
        if (declared != static_cast<double>(out.sample_count)) {
            fail(samples.line, out.column_names[c],
                 "Samples (#) is " + std::string(samples.values[c]) + " but the file has " +
                     std::to_string(out.sample_count) + " data rows");
        }
    }
}

double Parser::rate_from_metadata(const MetadataLine& rate, const BiowareExport& out) const {
    const auto columns = std::min(rate.values.size(), out.column_names.size());
    if (columns == 0) {
        fail(rate.line, {}, "Rate (Hz): has no value");
    }
    const auto rate_hz = number(rate.line, out.column_names[0], rate.values[0]);
    for (std::size_t c = 1; c < columns; ++c) {
        if (number(rate.line, out.column_names[c], rate.values[c]) != rate_hz) {
            fail(rate.line, out.column_names[c],
                 "rate \"" + std::string(rate.values[c]) + "\" Hz differs from \"" +
                     std::string(rate.values[0]) + "\" Hz of column " + out.column_names[0]);
        }
    }
    if (rate_hz <= 0) {
        fail(rate.line, out.column_names[0],
             "rate \"" + std::string(rate.values[0]) + "\" Hz is not positive");
    }
    return rate_hz;
}

// Every printed time lies within half a last printed digit (LSB) of the true time, so each step
// between neighbours, and their median, is within one LSB of the true step: a step may differ
// from the median by two LSB plus the 1e-6 relative allowed for uniform sampling. A lost or
// doubled sample changes a step by a whole step and is reported at the row after it; the median
// keeps the rows before a gap from being blamed. The rate is then (n − 1) / span.
double Parser::rate_from_time(std::span<const std::size_t> row_lines, std::size_t header_line,
                              std::string_view time_name, std::size_t time_decimals,
                              const BiowareExport& out) const {
    const auto n = out.time_s.size();
    if (n < 2 || out.time_s.back() <= out.time_s.front()) {
        fail(row_lines.empty() ? header_line : row_lines.back(), time_name,
             "no Rate (Hz): line and too few increasing times to derive the rate from");
    }
    std::vector<double> steps_s(n - 1);
    for (std::size_t i = 1; i < n; ++i) {
        steps_s[i - 1] = out.time_s[i] - out.time_s[i - 1];
    }
    const auto middle = steps_s.begin() + static_cast<std::ptrdiff_t>(steps_s.size() / 2);
    std::nth_element(steps_s.begin(), middle, steps_s.end());
    const double median_step_s = *middle;
    const double lsb_s = std::pow(10.0, -static_cast<double>(time_decimals));
    const double tolerance_s = 2.0 * lsb_s + 1e-6 * median_step_s;
    for (std::size_t i = 1; i < n; ++i) {
        if (std::abs(out.time_s[i] - out.time_s[i - 1] - median_step_s) > tolerance_s) {
            fail(row_lines[i], time_name,
                 "time " + std::to_string(out.time_s[i]) + " s follows " +
                     std::to_string(out.time_s[i - 1]) + " s; the step should be " +
                     std::to_string(median_step_s) + " s");
        }
    }
    return static_cast<double>(n - 1) / (out.time_s.back() - out.time_s.front());
}

void Parser::pick_plates(std::size_t header_line, std::size_t units_line,
                         const std::optional<MetadataLine>& devices, BiowareExport& out) const {
    const auto& names = out.column_names;
    auto device_of = [&](std::size_t c) -> std::optional<std::string> {
        if (devices && c < devices->values.size()) {
            return std::string(devices->values[c]);
        }
        return std::nullopt;
    };
    // Split the columns into runs with no repeated name and one device each.
    std::vector<std::vector<std::size_t>> blocks;
    for (std::size_t c = 0; c < names.size(); ++c) {
        const bool repeat =
            !blocks.empty() && std::any_of(blocks.back().begin(), blocks.back().end(),
                                           [&](auto k) { return names[k] == names[c]; });
        if (blocks.empty() || repeat || device_of(c) != device_of(blocks.back().front())) {
            blocks.emplace_back();
        }
        blocks.back().push_back(c);
    }
    static const std::map<std::string_view, Quantity> kPicked{
        {"Fx", Quantity::force},  {"Fy", Quantity::force},  {"Fz", Quantity::force},
        {"Ax", Quantity::length}, {"Ay", Quantity::length}, {"Mz", Quantity::moment},
        {"Tz", Quantity::moment}};
    for (const auto& block : blocks) {
        std::map<std::string_view, std::vector<double>> picked;
        for (const auto c : block) {
            const auto kind = kPicked.find(names[c]);
            if (kind == kPicked.end()) {
                continue;
            }
            const auto scale = to_si(kind->second, out.column_units[c]);
            if (!scale) {
                static const std::map<Quantity, std::string> kAccepted{
                    {Quantity::force, "N or kN"},
                    {Quantity::length, "m, cm or mm"},
                    {Quantity::moment, "Nm or Nmm"}};
                fail(units_line, names[c],
                     "unit \"" + out.column_units[c] + "\" is not " + kAccepted.at(kind->second));
            }
            auto& values = picked[names[c]];
            values = out.column_values[c];
            for (auto& v : values) {
                v *= *scale;
            }
        }
        if (picked.empty()) {
            continue;  // raw or auxiliary channels only: kept in column_values
        }
        BiowarePlate plate;
        plate.device = device_of(block.front());
        const auto plate_name = "plate " + std::to_string(out.plates.size() + 1) +
                                (plate.device ? " (" + *plate.device + ")" : std::string());
        for (const auto* axis : {"Fx", "Fy", "Fz"}) {
            if (!picked.contains(axis)) {
                fail(header_line, {}, plate_name + " has no " + axis + " column");
            }
        }
        plate.fx_n = std::move(picked["Fx"]);
        plate.fy_n = std::move(picked["Fy"]);
        plate.fz_n = std::move(picked["Fz"]);
        auto optional_column = [&](std::string_view name) -> std::optional<std::vector<double>> {
            const auto it = picked.find(name);
            return it == picked.end() ? std::nullopt : std::optional(std::move(it->second));
        };
        plate.cop_x_m = optional_column("Ax");
        plate.cop_y_m = optional_column("Ay");
        plate.moment_z_nm = optional_column("Mz");
        plate.free_moment_nm = optional_column("Tz");
        out.plates.push_back(std::move(plate));
    }
    if (out.plates.empty()) {
        fail(header_line, {}, "no Fz column");
    }
}

}  // namespace

bool looks_like_bioware_ascii(std::string_view first_line) {
    return first_line.starts_with("BioWare") && first_line.find("Export") != std::string_view::npos;
}

BiowareExport parse_bioware_ascii(std::string_view text, std::string_view file_name) {
    return Parser(file_name).parse(text);
}

BiowareExport read_bioware_ascii(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw BiowareError(path.string() + ": cannot open");
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_bioware_ascii(text, path.filename().string());
}

}  // namespace hoplab::interchange
