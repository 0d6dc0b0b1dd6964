#include <hoplab/cli/csv_force.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace hoplab::cli {
namespace {

struct Column {
    std::string name;  // without the unit
    std::string unit;  // lower-case, empty if none
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\"");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\"");
    return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::vector<std::string_view> split(std::string_view line, char delimiter) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
        const auto end = line.find(delimiter, start);
        fields.push_back(line.substr(start, end - start));
        if (end == std::string_view::npos) {
            return fields;
        }
        start = end + 1;
    }
}

Column parse_header_field(std::string_view field) {
    const std::string text = trim(field);
    const auto open = text.find_first_of("([");
    if (open != std::string::npos) {
        const auto close = text.find_first_of(")]", open);
        if (close != std::string::npos) {
            return Column{trim(std::string_view(text).substr(0, open)),
                          lower(text.substr(open + 1, close - open - 1))};
        }
    }
    return Column{text, {}};
}

double unit_scale(const Column& column, bool is_time, const std::string& source) {
    if (column.unit.empty()) {
        return 1.0;
    }
    if (is_time) {
        if (column.unit == "s")
            return 1.0;
        if (column.unit == "ms")
            return 1e-3;
    } else {
        if (column.unit == "n")
            return 1.0;
        if (column.unit == "kn")
            return 1e3;
    }
    throw CsvError(fmt::format("{}: column '{}' has unit '{}'; accepted: {}", source, column.name,
                               column.unit, is_time ? "s, ms" : "N, kN"));
}

std::optional<std::size_t> find_column(const std::vector<Column>& columns,
                                       std::initializer_list<std::string_view> names,
                                       bool case_sensitive) {
    for (std::string_view wanted : names) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (case_sensitive ? columns[i].name == wanted
                               : lower(columns[i].name) == lower(std::string(wanted))) {
                return i;
            }
        }
    }
    return std::nullopt;
}

std::size_t require_column(const std::vector<Column>& columns, const std::string& name,
                           const std::string& option, const std::string& source) {
    if (auto index = find_column(columns, {name}, true)) {
        return *index;
    }
    std::vector<std::string> names;
    for (const auto& c : columns) {
        names.push_back(c.name);
    }
    throw CsvError(fmt::format("{}: no column '{}' ({}); the header has: {}", source, name, option,
                               fmt::join(names, ", ")));
}

}  // namespace

CsvForce parse_force_csv(std::string_view text, const std::string& source,
                         const CsvColumns& options) {
    CsvForce out;
    std::size_t line_number = 0;
    std::size_t position = 0;
    const auto next_line = [&](std::string_view& line) {
        if (position >= text.size()) {
            return false;
        }
        const auto end = text.find('\n', position);
        line = text.substr(position,
                           end == std::string_view::npos ? std::string_view::npos : end - position);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        position = end == std::string_view::npos ? text.size() : end + 1;
        ++line_number;
        return true;
    };

    std::string_view line;
    bool have_header = false;
    while (next_line(line)) {
        const std::string trimmed = trim(line);
        if (trimmed.empty()) {
            continue;
        }
        if (trimmed.front() == '#') {
            const auto colon = trimmed.find(':');
            if (colon != std::string::npos) {
                const std::string key = lower(trim(std::string_view(trimmed).substr(1, colon - 1)));
                const std::string value = trim(std::string_view(trimmed).substr(colon + 1));
                if (key == "protocol")
                    out.protocol = value;
                if (key == "limb")
                    out.limb = value;
            }
            continue;
        }
        have_header = true;
        break;
    }
    if (!have_header) {
        throw CsvError(
            fmt::format("{}: no header row (the file is empty or only comments)", source));
    }
    // The separator is whichever of tab, semicolon and comma the header uses most.
    char delimiter = ',';
    std::size_t best = 0;
    for (char candidate : {'\t', ';', ','}) {
        const auto count =
            static_cast<std::size_t>(std::count(line.begin(), line.end(), candidate));
        if (count > best) {
            best = count;
            delimiter = candidate;
        }
    }
    std::vector<Column> columns;
    for (auto field : split(line, delimiter)) {
        columns.push_back(parse_header_field(field));
    }
    const std::size_t header_line = line_number;

    std::optional<std::size_t> time_index;
    if (options.time) {
        time_index = require_column(columns, *options.time, "--time", source);
    } else if (!options.rate_hz) {
        time_index = find_column(columns, {"time", "time_s", "t"}, false);
        if (!time_index) {
            throw CsvError(fmt::format(
                "{}: no time column ('time' or 'time_s'); name one with --time COLUMN or "
                "give the sample rate with --rate HZ",
                source));
        }
    }
    std::vector<std::pair<std::size_t, std::vector<double>*>> forces;
    if (options.fz) {
        forces.emplace_back(require_column(columns, *options.fz, "--fz", source), &out.fz);
    } else if (options.fz_left || options.fz_right) {
        if (!options.fz_left || !options.fz_right) {
            throw CsvError(fmt::format("{}: give both --fz-left and --fz-right", source));
        }
        forces.emplace_back(require_column(columns, *options.fz_left, "--fz-left", source),
                            &out.fz_left);
        forces.emplace_back(require_column(columns, *options.fz_right, "--fz-right", source),
                            &out.fz_right);
    } else if (auto fz = find_column(columns, {"fz", "Fz"}, true)) {
        forces.emplace_back(*fz, &out.fz);
    } else {
        const auto left = find_column(columns, {"fz_left", "Fz_left"}, true);
        const auto right = find_column(columns, {"fz_right", "Fz_right"}, true);
        if (!left || !right) {
            std::vector<std::string> names;
            for (const auto& c : columns) {
                names.push_back(c.name);
            }
            throw CsvError(fmt::format(
                "{}: no force column 'fz' (or 'fz_left' and 'fz_right'); the header has: {}. "
                "Name the column with --fz or --fz-left/--fz-right",
                source, fmt::join(names, ", ")));
        }
        forces.emplace_back(*left, &out.fz_left);
        forces.emplace_back(*right, &out.fz_right);
    }
    const double time_scale = time_index ? unit_scale(columns[*time_index], true, source) : 1.0;
    std::vector<double> force_scale;
    for (const auto& [index, target] : forces) {
        force_scale.push_back(unit_scale(columns[index], false, source));
    }

    std::vector<double> times;
    std::string scratch;
    const auto parse_number = [&](std::string_view field, std::size_t column) {
        scratch = trim(field);
        // Decimal comma (European exports) is only unambiguous when the separator is not a comma.
        if (delimiter != ',') {
            std::replace(scratch.begin(), scratch.end(), ',', '.');
        }
        double value = 0;
        const auto [end, error] =
            std::from_chars(scratch.data(), scratch.data() + scratch.size(), value);
        if (scratch.empty() || error != std::errc{} || end != scratch.data() + scratch.size() ||
            !std::isfinite(value)) {
            throw CsvError(fmt::format("{}:{}: column '{}': '{}' is not a finite number", source,
                                       line_number, columns[column].name, std::string(field)));
        }
        return value;
    };
    while (next_line(line)) {
        if (trim(line).empty()) {
            continue;
        }
        const auto fields = split(line, delimiter);
        if (fields.size() != columns.size()) {
            throw CsvError(fmt::format("{}:{}: {} fields, but the header (line {}) has {} columns",
                                       source, line_number, fields.size(), header_line,
                                       columns.size()));
        }
        if (time_index) {
            times.push_back(parse_number(fields[*time_index], *time_index) * time_scale);
        }
        for (std::size_t f = 0; f < forces.size(); ++f) {
            forces[f].second->push_back(parse_number(fields[forces[f].first], forces[f].first) *
                                        force_scale[f]);
        }
    }
    const std::size_t samples = forces.front().second->size();
    if (samples < 2) {
        throw CsvError(fmt::format("{}: {} data rows; at least 2 are needed", source, samples));
    }
    if (time_index) {
        // Uniform sampling is required: the time step may vary only by rounding in the export (1 %
        // of a step).
        const double dt = (times.back() - times.front()) / static_cast<double>(samples - 1);
        if (!(dt > 0)) {
            throw CsvError(fmt::format("{}: time column '{}' does not increase", source,
                                       columns[*time_index].name));
        }
        for (std::size_t k = 1; k < samples; ++k) {
            const double step = times[k] - times[k - 1];
            if (std::abs(step - dt) > 0.01 * dt) {
                throw CsvError(fmt::format(
                    "{}:{}: time step {} s differs from the mean step {} s: non-uniform "
                    "sampling (resample the file first)",
                    source, header_line + k + 1, step, dt));
            }
        }
        out.sample_rate_hz = 1.0 / dt;
        if (options.rate_hz &&
            std::abs(*options.rate_hz - out.sample_rate_hz) > 0.01 * *options.rate_hz) {
            throw CsvError(fmt::format("{}: --rate {} Hz disagrees with the time column ({} Hz)",
                                       source, *options.rate_hz, out.sample_rate_hz));
        }
    } else {
        if (!(*options.rate_hz > 0)) {
            throw CsvError(
                fmt::format("{}: --rate must be positive, not {}", source, *options.rate_hz));
        }
        out.sample_rate_hz = *options.rate_hz;
    }
    return out;
}

CsvForce read_force_csv(const std::filesystem::path& file, const CsvColumns& columns) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw CsvError(fmt::format("{}: cannot open file", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_force_csv(text.str(), file.string(), columns);
}

}  // namespace hoplab::cli
