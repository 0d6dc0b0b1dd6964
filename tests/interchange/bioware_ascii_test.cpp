#include <hoplab/interchange/bioware_ascii.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numbers>

namespace hoplab::interchange {
namespace {

// Fixtures are written here in the layout of a BioWare 5.2.1.3 single-plate export (header lines
// 1–17, column header on line 18, units on line 19, first sample on line 20).

struct Column {
    std::string name;
    std::string unit;
    std::string device;
    std::function<double(double time_s)> value;
};

struct Layout {
    std::size_t rows = 300;
    double rate_hz = 1000.0;
    std::string time_header = "abs time (s)";
    bool rate_line = true;
    std::optional<std::size_t> declared_samples{};  // defaults to rows
    std::string eol = "\n";
    bool decimal_comma = false;
};

std::string printed(double value) {
    std::array<char, 64> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.6f", value);
    return buffer.data();
}

// What the parser must return for a printed cell: strtod of the '.' text.
double strtod_of(double value) {
    return std::strtod(printed(value).c_str(), nullptr);
}

const double kTwoPi = 2.0 * std::numbers::pi;

std::vector<Column> single_plate_columns() {
    const std::string device = "Kistler Grande2 9287CA";
    return {
        {"Fx", "N", device, [](double t) { return 1.9 + 0.7 * std::sin(kTwoPi * 3.0 * t); }},
        {"Fy", "N", device, [](double t) { return -0.25 + 0.1 * std::cos(kTwoPi * t); }},
        {"Fz", "N", device, [](double t) { return 700.0 + 300.0 * std::sin(kTwoPi * 2.0 * t); }}};
}

std::string bioware_text(const std::vector<Column>& columns, const Layout& layout) {
    auto line = [&](const std::string& key, const std::function<std::string(const Column&)>& f) {
        std::string text = key;
        for (const auto& c : columns) {
            text += '\t';
            text += f(c);
        }
        return text + layout.eol;
    };
    auto same = [](std::string value) { return [value](const Column&) { return value; }; };
    const auto rows = std::to_string(layout.declared_samples.value_or(layout.rows));
    const auto last = std::to_string(layout.rows - 1);
    std::string text = "BioWare Version 5.2.1.3 Export" + layout.eol;
    text += line("Device:", [](const Column& c) { return c.device; });
    text += line("Samples (#):", same(rows));
    text += layout.rate_line ? line("Rate (Hz):", same(printed(layout.rate_hz)))
                             : line("Normalized mass (kg):", same("67.870000"));
    text += line("Contact period start (sample #):", same("0"));
    text += line("Contact period end (sample #):", same(last));
    text += line("Contact period start time (s):", same("0.000000"));
    text += line("Contact period end time (s):",
                 same(printed(static_cast<double>(layout.rows - 1) / layout.rate_hz)));
    text += line("First sample time (s):", same("0.000000"));
    text += line("Normalized force (N):", same("665.831970"));
    text += line("Normalized length (m):", same("1.000000"));
    for (const auto* l : {"File Information", "Date\tOct 22, 2014  12:05:31", "Name\t", "ID\t",
                          "Classification\t", "Description\t"}) {
        text += l + layout.eol;
    }
    text += line(layout.time_header, [](const Column& c) { return c.name; });
    text += line("", [](const Column& c) { return c.unit; });
    for (std::size_t i = 0; i < layout.rows; ++i) {
        const double t = static_cast<double>(i) / layout.rate_hz;
        std::string row = printed(t);
        for (const auto& c : columns) {
            row += '\t';
            row += printed(c.value(t));
        }
        if (layout.decimal_comma) {
            std::replace(row.begin(), row.end(), '.', ',');
        }
        text += row + layout.eol;
    }
    return text;
}

std::string error_of(const std::string& text) {
    try {
        parse_bioware_ascii(text, "jump.txt");
    } catch (const BiowareError& e) {
        return e.what();
    }
    return "no error";
}

// Replaces cell `cell` (0-based) of line `line_number` (1-based, '\n' line ends) by `value`; an
// empty value removes the cell with its tab, a value holding a tab adds cells.
std::string with_cell(const std::string& text, std::size_t line_number, std::size_t cell,
                      const std::string& value) {
    std::size_t begin = 0;
    for (std::size_t l = 1; l < line_number; ++l) {
        begin = text.find('\n', begin) + 1;
    }
    for (std::size_t c = 0; c < cell; ++c) {
        begin = text.find('\t', begin) + 1;
    }
    auto end = text.find_first_of("\t\n", begin);
    if (value.empty()) {
        --begin;  // the tab before the cell
    }
    return text.substr(0, begin) + value + text.substr(end);
}

void expect_single_plate_values(const BiowareExport& data, const Layout& layout) {
    const auto columns = single_plate_columns();
    ASSERT_EQ(data.plates.size(), 1U);
    const auto& plate = data.plates[0];
    ASSERT_EQ(plate.fz_n.size(), layout.rows);
    ASSERT_EQ(plate.fx_n.size(), layout.rows);
    ASSERT_EQ(plate.fy_n.size(), layout.rows);
    ASSERT_EQ(data.time_s.size(), layout.rows);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < layout.rows; ++i) {
        const double t = static_cast<double>(i) / layout.rate_hz;
        // Exact: the parser must give the very double strtod gives for the printed decimals.
        mismatches += data.time_s[i] != strtod_of(t);
        mismatches += plate.fx_n[i] != strtod_of(columns[0].value(t));
        mismatches += plate.fy_n[i] != strtod_of(columns[1].value(t));
        mismatches += plate.fz_n[i] != strtod_of(columns[2].value(t));
    }
    EXPECT_EQ(mismatches, 0U);
}

TEST(BiowareAscii, SinglePlateGivesThePrintedDecimalsExactly) {
    const Layout layout;
    const auto data = parse_bioware_ascii(bioware_text(single_plate_columns(), layout), "jump.txt");
    EXPECT_EQ(data.bioware_version, "5.2.1.3");
    EXPECT_EQ(data.date, "Oct 22, 2014  12:05:31");
    EXPECT_EQ(data.rate_hz, 1000.0);
    EXPECT_EQ(data.sample_count, 300U);
    EXPECT_EQ(data.column_names, (std::vector<std::string>{"Fx", "Fy", "Fz"}));
    EXPECT_EQ(data.column_units, (std::vector<std::string>{"N", "N", "N"}));
    ASSERT_EQ(data.column_values.size(), 3U);
    EXPECT_EQ(data.column_values[2], data.plates.at(0).fz_n);
    EXPECT_EQ(data.plates.at(0).device, "Kistler Grande2 9287CA");
    EXPECT_FALSE(data.plates[0].cop_x_m);
    EXPECT_FALSE(data.plates[0].free_moment_nm);
    expect_single_plate_values(data, layout);
    // Spot value: Fz(0.125 s) = 700 + 300 sin(π/2) = 1000 N, printed "1000.000000".
    EXPECT_EQ(data.plates[0].fz_n[125], 1000.0);
}

TEST(BiowareAscii, TwoPlatesWithRepeatedNamesSplitByRepeatOrder) {
    const std::string device = "Kistler 9286BA";  // same name on both plates
    std::vector<Column> columns;
    for (int p = 0; p < 2; ++p) {
        const double k = p + 1.0;
        columns.push_back({"Fx", "N", device, [k](double t) { return 10.0 * k + t; }});
        columns.push_back({"Fy", "N", device, [k](double t) { return -5.0 * k + t; }});
        columns.push_back(
            {"Fz", "N", device, [k](double t) { return 300.0 * k + 50.0 * std::sin(kTwoPi * t); }});
        columns.push_back({"Ax", "mm", device, [k](double t) { return 20.0 * k - 100.0 * t; }});
        columns.push_back({"Ay", "mm", device, [k](double t) { return -30.0 * k + 40.0 * t; }});
        columns.push_back({"Fz1", "N", device, [k](double t) { return 75.0 * k + t; }});
        columns.push_back({"Tz", "Nm", device, [k](double t) { return 0.5 * k - t; }});
    }
    const Layout layout{.rows = 200};
    const auto data = parse_bioware_ascii(bioware_text(columns, layout), "two.txt");
    ASSERT_EQ(data.plates.size(), 2U);
    ASSERT_EQ(data.column_names.size(), 14U);
    EXPECT_EQ(data.column_names[7], "Fx");
    EXPECT_EQ(data.column_units[3], "mm");
    EXPECT_EQ(data.column_names[12], "Fz1");  // a raw channel is kept with its name
    for (std::size_t p = 0; p < 2; ++p) {
        const auto& plate = data.plates[p];
        EXPECT_EQ(plate.device, device);
        ASSERT_TRUE(plate.cop_x_m && plate.cop_y_m && plate.free_moment_nm);
        EXPECT_FALSE(plate.moment_z_nm);
        ASSERT_EQ(plate.cop_x_m->size(), 200U);
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < layout.rows; ++i) {
            const double t = static_cast<double>(i) / layout.rate_hz;
            const auto c = [&](std::size_t k) -> const Column& { return columns[7 * p + k]; };
            mismatches += plate.fx_n[i] != strtod_of(c(0).value(t));
            mismatches += plate.fz_n[i] != strtod_of(c(2).value(t));
            // mm → m is one multiplication by 1e-3, so the product is exact to compare.
            mismatches += (*plate.cop_x_m)[i] != strtod_of(c(3).value(t)) * 1e-3;
            mismatches += (*plate.cop_y_m)[i] != strtod_of(c(4).value(t)) * 1e-3;
            mismatches += (*plate.free_moment_nm)[i] != strtod_of(c(6).value(t));
        }
        EXPECT_EQ(mismatches, 0U) << "plate " << p + 1;
    }
    // Plate 2's first COP x: 40 mm printed "40.000000" → 0.04 m (one rounding of × 1e-3).
    EXPECT_DOUBLE_EQ((*data.plates[1].cop_x_m)[0], 0.040);
    EXPECT_EQ(data.plates[1].fz_n[0], 600.0);
}

TEST(BiowareAscii, AbsTimeHeaderWithoutRateTakesTheRateFromTheTimeColumn) {
    const Layout layout{
        .rows = 300, .rate_hz = 1200.0, .time_header = "abs time", .rate_line = false};
    const auto data = parse_bioware_ascii(bioware_text(single_plate_columns(), layout), "a.txt");
    // Times printed with 6 decimals: the span 299/1200 s is off by at most 0.5e-6 s, i.e.
    // 2.0e-6 relative, so the derived rate is within 2.0e-6 × 1200 Hz = 0.0024 Hz.
    EXPECT_NEAR(data.rate_hz, 1200.0, 0.0024);
    expect_single_plate_values(data, layout);
}

TEST(BiowareAscii, CrlfLineEndsAndDecimalCommasGiveTheSameValues) {
    const Layout crlf{.eol = "\r\n"};
    expect_single_plate_values(parse_bioware_ascii(bioware_text(single_plate_columns(), crlf), "c"),
                               crlf);
    const Layout comma{.eol = "\r\n", .decimal_comma = true};
    // The Rate (Hz) cell of the Fx column also with a comma.
    const auto text = with_cell(bioware_text(single_plate_columns(), comma), 4, 1, "1000,000000");
    const auto data = parse_bioware_ascii(text, "comma.txt");
    EXPECT_EQ(data.rate_hz, 1000.0);
    expect_single_plate_values(data, comma);
}

TEST(BiowareAscii, KilonewtonsAndCentimetresAreConverted) {
    auto columns = single_plate_columns();
    columns[2].unit = "kN";
    columns.push_back({"Ax", "cm", columns[0].device, [](double t) { return 2.5 + t; }});
    const auto data = parse_bioware_ascii(bioware_text(columns, Layout{.rows = 10}), "k.txt");
    EXPECT_EQ(data.plates.at(0).fz_n[0], strtod_of(700.0) * 1e3);
    EXPECT_EQ(data.column_values[2][0], 700.0);  // columns stay as printed
    EXPECT_EQ(data.plates[0].cop_x_m.value()[0], 2.5 * 1e-2);
}

TEST(BiowareAscii, DeviceChangeStartsAPlateAndAuxiliaryColumnsAreKeptOnly) {
    std::vector<Column> columns;
    for (const auto* device : {"Kistler 9260AA left", "Kistler 9260AA right"}) {
        columns.push_back({"Fx", "N", device, [](double t) { return t; }});
        columns.push_back({"Fy", "N", device, [](double t) { return -t; }});
        columns.push_back({"Fz", "N", device, [](double t) { return 400.0 + t; }});
        columns.push_back({"Mz", "N.mm", device, [](double t) { return 1500.0 + t; }});
    }
    columns.push_back({"Trigger", "V", "Analog", [](double t) { return t > 0.005 ? 5.0 : 0.0; }});
    const auto data = parse_bioware_ascii(bioware_text(columns, Layout{.rows = 10}), "lr.txt");
    ASSERT_EQ(data.plates.size(), 2U);
    EXPECT_EQ(data.plates[0].device, "Kistler 9260AA left");
    EXPECT_EQ(data.plates[1].device, "Kistler 9260AA right");
    // 1500 N·mm printed "1500.000000" → 1.5 N·m (one rounding of × 1e-3).
    EXPECT_DOUBLE_EQ(data.plates[1].moment_z_nm.value()[0], 1.5);
    EXPECT_FALSE(data.plates[1].free_moment_nm);
    EXPECT_EQ(data.column_names.back(), "Trigger");
    EXPECT_EQ(data.column_units.back(), "V");
    EXPECT_EQ(data.column_values.back()[9], 5.0);
}

TEST(BiowareAscii, ErrorsNameFileLineColumnAndValue) {
    const auto columns = single_plate_columns();
    const auto text = bioware_text(columns, Layout{});
    EXPECT_EQ(error_of(with_cell(text, 23, 3, "67o.5")),
              "jump.txt: line 23, column Fz: \"67o.5\" is not a number");
    EXPECT_EQ(error_of(with_cell(text, 40, 0, "0.0l9")),
              "jump.txt: line 40, column abs time (s): \"0.0l9\" is not a number");
    EXPECT_EQ(error_of(with_cell(text, 21, 2, "")),
              "jump.txt: line 21: 3 cells where the header has 4");
    EXPECT_EQ(error_of(with_cell(text, 22, 3, "5.0\t5.0")),
              "jump.txt: line 22: 5 cells where the header has 4");
    EXPECT_EQ(error_of(""), "jump.txt: empty file");
    EXPECT_EQ(error_of("\r\n\n  \n"), "jump.txt: empty file");
    EXPECT_EQ(error_of("Time\tFz\n0\t1\n"),
              "jump.txt: line 1: \"Time\tFz\" is not a BioWare export header");
    const auto header_only = text.substr(0, text.find("\n0.000000\t") + 1);
    EXPECT_EQ(error_of(header_only), "jump.txt: line 19: no data rows after the units row");
    const auto units_at = header_only.find("\n\tN\t") + 1;
    EXPECT_EQ(error_of(text.substr(0, units_at) + text.substr(text.find('\n', units_at) + 1)),
              "jump.txt: line 19: expected the units row (first cell empty), found \"0.000000\"");
    std::string no_header = "BioWare Version 5.2.1.3 Export\n";
    for (int i = 0; i < 70; ++i) {
        no_header += "Comment:\tx\n";
    }
    EXPECT_EQ(error_of(no_header + "abs time (s)\tFz\n\tN\n0.0\t1.0\n"),
              "jump.txt: no column header row (\"abs time (s)\" or \"abs time\") within the first "
              "64 lines");
    EXPECT_EQ(error_of(with_cell(text, 4, 2, "500.000000")),
              "jump.txt: line 4, column Fy: rate \"500.000000\" Hz differs from \"1000.000000\" Hz "
              "of column Fx");
    EXPECT_EQ(error_of(bioware_text(columns, Layout{.declared_samples = 8000})),
              "jump.txt: line 3, column Fx: Samples (#) is 8000 but the file has 300 data rows");
    // A cut-off file: the last 20 rows lost.
    const auto cut = text.substr(0, text.find("\n0.280000\t") + 1);
    EXPECT_EQ(error_of(cut),
              "jump.txt: line 3, column Fx: Samples (#) is 300 but the file has 280 data rows");
}

TEST(BiowareAscii, ErrorsForColumnsUnitsAndTimes) {
    auto columns = single_plate_columns();
    columns.pop_back();
    EXPECT_EQ(error_of(bioware_text(columns, Layout{})),
              "jump.txt: line 18: plate 1 (Kistler Grande2 9287CA) has no Fz column");
    columns = single_plate_columns();
    columns[2].unit = "lbf";
    EXPECT_EQ(error_of(bioware_text(columns, Layout{})),
              "jump.txt: line 19, column Fz: unit \"lbf\" is not N or kN");
    columns = single_plate_columns();
    columns.push_back({"Ay", "in", columns[0].device, [](double) { return 1.0; }});
    EXPECT_EQ(error_of(bioware_text(columns, Layout{})),
              "jump.txt: line 19, column Ay: unit \"in\" is not m, cm or mm");
    // No Rate (Hz): line and sample 50 lost: line 70 now holds 0.051 s, a double step.
    const auto text =
        bioware_text(single_plate_columns(), Layout{.rate_line = false, .declared_samples = 299});
    const auto at = text.find("\n0.050000\t") + 1;
    const auto gap = text.substr(0, at) + text.substr(text.find('\n', at) + 1);
    EXPECT_EQ(error_of(gap),
              "jump.txt: line 70, column abs time (s): time 0.051000 s follows 0.049000 s; the "
              "step should be 0.001000 s");
}

TEST(BiowareAscii, ReadsFromDisk) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("hoplab_bioware_" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    const Layout layout{.eol = "\r\n"};
    {
        std::ofstream out(dir / "jump.txt", std::ios::binary);
        out << bioware_text(single_plate_columns(), layout);
    }
    const auto data = read_bioware_ascii(dir / "jump.txt");
    EXPECT_EQ(data.rate_hz, 1000.0);
    expect_single_plate_values(data, layout);
    EXPECT_THROW(read_bioware_ascii(dir / "missing.txt"), BiowareError);
    std::filesystem::remove_all(dir);
}

TEST(BiowareAscii, LooksLikeBiowareAscii) {
    EXPECT_TRUE(looks_like_bioware_ascii("BioWare Version 5.6.1.0 Export"));
    EXPECT_FALSE(looks_like_bioware_ascii("FP1\tFP2"));
    EXPECT_FALSE(looks_like_bioware_ascii("BioWare Version 5.2.1.3"));
    EXPECT_FALSE(looks_like_bioware_ascii("Export BioWare"));
}

}  // namespace
}  // namespace hoplab::interchange
