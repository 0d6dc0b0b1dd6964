#include <hoplab/interchange/c3d_reader.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace hoplab::interchange {
namespace {

const std::string kDir = std::string(HOPLAB_SHARED_DATA_DIR) + "/real/c3d/";

TEST(C3dReader, Type2AndType4SampleFilesGiveTheSameForces) {
    // c3d.org's sample pair: one recording stored once with diagonal ANALOG:SCALE (TYPE-2) and once
    // as volts with the full CAL_MATRIX (TYPE-4). Both are DEC-format files.
    const auto type2 = C3dFile::read(kDir + "TYPE-2.C3D");
    const auto type4 = C3dFile::read(kDir + "TYPE-4.C3D");
    EXPECT_EQ(type2.processor(), C3dProcessor::dec);
    ASSERT_EQ(type2.force_plates().size(), type4.force_plates().size());
    ASSERT_GE(type2.force_plates().size(), 1U);
    double worst_force_n = 0, worst_moment_nm = 0, peak_fz_n = 0, worst_cop_m = 0;
    for (std::size_t p = 0; p < type2.force_plates().size(); ++p) {
        const auto& a = type2.force_plates()[p];
        const auto& b = type4.force_plates()[p];
        EXPECT_EQ(a.type, 2);
        EXPECT_EQ(b.type, 4);
        ASSERT_EQ(a.wrenches.size(), b.wrenches.size());
        for (std::size_t s = 0; s < a.wrenches.size(); ++s) {
            const auto& x = a.wrenches[s];
            const auto& y = b.wrenches[s];
            peak_fz_n = std::max(peak_fz_n, std::abs(x.fz_n));
            worst_force_n = std::max({worst_force_n, std::abs(x.fx_n - y.fx_n),
                                      std::abs(x.fy_n - y.fy_n), std::abs(x.fz_n - y.fz_n)});
            worst_moment_nm = std::max({worst_moment_nm, std::abs(x.mx_nm - y.mx_nm),
                                        std::abs(x.my_nm - y.my_nm), std::abs(x.mz_nm - y.mz_nm)});
            const auto ca = centre_of_pressure(a, s, 50.0);
            const auto cb = centre_of_pressure(b, s, 50.0);
            if (ca &&
                cb) {  // near the threshold one file can be just above it and the other just below
                worst_cop_m =
                    std::max(worst_cop_m, std::hypot(ca->x_m - cb->x_m, ca->y_m - cb->y_m));
            }
        }
    }
    std::printf(
        "TYPE-2 vs TYPE-4: peak |Fz| %.2f N, worst force difference %.4f N, worst moment "
        "difference %.5f N·m, "
        "worst COP difference (Fz >= 50 N) %.5f m\n",
        peak_fz_n, worst_force_n, worst_moment_nm, worst_cop_m);
    RecordProperty("type2_vs_type4_worst_force_n", std::to_string(worst_force_n));
    RecordProperty("type2_vs_type4_worst_cop_m", std::to_string(worst_cop_m));
    // The recording has a real load on it, or the comparison proves nothing.
    ASSERT_GT(peak_fz_n, 100.0);
    // Both files hold identical counts (checked while writing this test), but they are not one
    // calibration written twice: TYPE-4's SCALE × CAL_MATRIX diagonal differs from TYPE-2's SCALE
    // by 1.055 for Fx (0.061103 × 1.52665 vs 0.08843 N/count), 0.988 for Fz and 1.23 for Mx
    // (0.061103 × 741.871 vs 36.8313 N·mm/count), and the matrix adds ≤ 1 % cross-talk.
    // Measured: 7.7 N of 398 N and a 24 mm COP difference. Bounds: 6 % of peak Fz and 3 cm, so a
    // wrong scale or a wrong ORIGIN sign (tens of newtons or centimetres) fails.
    EXPECT_LT(worst_force_n, 0.06 * peak_fz_n);
    EXPECT_LT(worst_cop_m, 0.03);
}

// TYPE-4.XLS (Motion Lab Systems, 2003) works CAL_MATRIX through by hand on its "Calculation"
// sheet. Read with a hand-written BIFF record walker (NUMBER/RK/MULRK/FORMULA cells): frame 2
// drives the Fx channel 953 counts above the 2047 offset at −0.122206 V/count (−116.46 V), others
// at zero, and lists the TYPE-4 result (Fx, Fy, Fz, Mx, My, Mz) = (−177.797, −1.6284, −5.30177,
// 498.958, 639.87, −332.62); frame 5 drives Mx the same way: (0.000687888, −0.266798, 0.00279927,
// −86400.2, 62.8196, 69.556). The C3D file stores CAL_MATRIX to 3 decimals (1.527 for the sheet's
// 1.52665), so each product may differ by 0.0005 × 116.46 V = 0.058, plus the sheet's 6 significant
// digits (1e-5 of the largest component). This pins the storage order of CAL_MATRIX (element
// (load r, channel c) at r + 6·c): transposed, the Fx channel would give Mx = 0, not 498.958.
TEST(C3dReader, CalMatrixMatchesTheWorkedSpreadsheet) {
    const auto type4 = C3dFile::read(kDir + "TYPE-4.C3D");
    ASSERT_EQ(type4.force_plates().size(), 1U);
    const auto& matrix = type4.force_plates()[0].cal_matrix;
    ASSERT_TRUE(matrix.has_value());
    const double volts = 953 * -0.122206;
    const std::array<std::pair<std::size_t, std::array<double, 6>>, 2> cases{{
        {0, {-177.797, -1.6284, -5.30177, 498.958, 639.87, -332.62}},
        {3, {0.000687888, -0.266798, 0.00279927, -86400.2, 62.8196, 69.556}},
    }};
    for (const auto& [channel, expected] : cases) {
        double largest = 0;
        for (double v : expected) {
            largest = std::max(largest, std::abs(v));
        }
        for (std::size_t r = 0; r < 6; ++r) {
            EXPECT_NEAR((*matrix)[r * 6 + channel] * volts, expected[r],
                        0.0005 * std::abs(volts) + 1e-5 * largest)
                << "load row " << r << ", channel " << channel;
        }
    }
}

// Gait.c3d (two TYPE-4 plates, DEC format): wherever a foot loads a plate with ≥ 100 N the
// COP must lie on that plate. Half-sizes come from the plate's own CORNERS; 1 cm margin for COP
// noise at the edges (σ_COP ∝ 1/Fz, METHODS §6.5). A moment unit slip (×1000) or a wrong ORIGIN
// would put the COP metres away.
TEST(C3dReader, GaitFileCentreOfPressureStaysOnThePlates) {
    const auto gait = C3dFile::read(kDir + "Gait.c3d");
    ASSERT_EQ(gait.force_plates().size(), 2U);
    for (const auto& plate : gait.force_plates()) {
        const auto& c = plate.corners_m;
        const double half_x = std::hypot(c[0] - c[3], c[1] - c[4], c[2] - c[5]) / 2;
        const double half_y = std::hypot(c[0] - c[9], c[1] - c[10], c[2] - c[11]) / 2;
        std::size_t loaded = 0;
        double worst_outside_m = -1.0;  // negative: every loaded sample inside, by that margin
        for (std::size_t s = 0; s < plate.wrenches.size(); ++s) {
            const auto cop = centre_of_pressure(plate, s, 100.0);
            if (!cop) {
                continue;
            }
            ++loaded;
            const double x = std::abs(cop->x_m - plate.origin_m[0]);
            const double y = std::abs(cop->y_m - plate.origin_m[1]);
            worst_outside_m = std::max({worst_outside_m, x - half_x, y - half_y});
        }
        std::printf(
            "Gait.c3d plate %.3f x %.3f m: %zu samples >= 100 N, worst COP beyond the edge %.4f "
            "m\n",
            2 * half_x, 2 * half_y, loaded, worst_outside_m);
        EXPECT_GT(loaded, 100U);
        EXPECT_LT(worst_outside_m, 0.01);
    }
}

TEST(C3dReader, TruncatedFileNamesByteOffset) {
    std::ifstream in(kDir + "TYPE-2.C3D", std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    bytes.resize(bytes.size() / 2);
    try {
        C3dFile::parse(bytes, "half.c3d");
        FAIL() << "a truncated file was accepted";
    } catch (const C3dError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("half.c3d"), std::string::npos) << message;
        EXPECT_NE(message.find("truncated"), std::string::npos) << message;
        EXPECT_NE(message.find("byte"), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace hoplab::interchange
