#include <hoplab/cli/csv_force.hpp>

#include <gtest/gtest.h>

namespace hoplab::cli {
namespace {

void expect_error(const std::string& text, const CsvColumns& columns, const std::string& fragment) {
    try {
        parse_force_csv(text, "trial.csv", columns);
        FAIL() << "no error for:\n" << text;
    } catch (const CsvError& error) {
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
}

TEST(CsvForce, CommaWithTimeColumn) {
    const auto csv = parse_force_csv("time_s,fz\n0.000,1.5\n0.001,2.5\n0.002,3.5\n", "t.csv", {});
    EXPECT_NEAR(csv.sample_rate_hz, 1000.0, 1e-9);
    EXPECT_EQ(csv.fz, (std::vector<double>{1.5, 2.5, 3.5}));
}

TEST(CsvForce, SemicolonWithDecimalCommaUnitsAndComments) {
    const auto csv = parse_force_csv(
        "# protocol: cmj\r\n# limb: both\r\nTime (ms);Fz (kN)\r\n0;0,5\r\n2;0,75\r\n", "t.csv", {});
    EXPECT_NEAR(csv.sample_rate_hz, 500.0, 1e-9);
    EXPECT_EQ(csv.fz, (std::vector<double>{500.0, 750.0}));
    EXPECT_EQ(csv.protocol, "cmj");
    EXPECT_EQ(csv.limb, "both");
}

TEST(CsvForce, TabSeparatedTwoPlatesWithRate) {
    CsvColumns columns;
    columns.rate_hz = 1000.0;
    columns.fz_left = "FP1";
    columns.fz_right = "FP2";
    const auto csv = parse_force_csv("FP1\tFP2\r\n10.5\t20.25\r\n11\t21\r\n", "dual.txt", columns);
    EXPECT_EQ(csv.fz_left, (std::vector<double>{10.5, 11.0}));
    EXPECT_EQ(csv.fz_right, (std::vector<double>{20.25, 21.0}));
    EXPECT_EQ(csv.sample_rate_hz, 1000.0);
}

TEST(CsvForce, ErrorsNameFileLineColumnAndValue) {
    expect_error("time_s,force\n0,1\n0.001,2\n", {}, "no force column 'fz'");
    CsvColumns named;
    named.fz = "Fz_N";
    expect_error("time_s,fz\n0,1\n0.001,2\n", named, "no column 'Fz_N' (--fz)");
    expect_error("time_s,fz\n0,1\n0.001,abc\n", {}, "trial.csv:3: column 'fz': 'abc'");
    expect_error("time_s,fz\n0,1\n0.001\n", {}, "trial.csv:3: 1 fields");
    expect_error("fz\n1\n2\n", {}, "no time column");
    expect_error("time_s,fz\n0,1\n0.001,2\n0.005,3\n", {}, "non-uniform sampling");
    expect_error("time_s,fz (lbf)\n0,1\n0.001,2\n", {}, "unit 'lbf'");
    expect_error("time_s,fz\n0,nan\n0.001,2\n", {}, "not a finite number");
    expect_error("", {}, "no header row");
    expect_error("time_s,fz\n0,1\n", {}, "at least 2");
}

}  // namespace
}  // namespace hoplab::cli
