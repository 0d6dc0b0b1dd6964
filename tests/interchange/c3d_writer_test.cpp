// The C3D writer against the C3D reader: the same forces and centre of pressure come back, and the
// parameters a third-party reader needs are where the standard puts them.

#include <hoplab/interchange/c3d_reader.hpp>
#include <hoplab/interchange/c3d_writer.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numbers>

namespace hoplab::interchange {
namespace {

// A landing on one plate in hoplab's frame: a half-sine Fz of 1500 N over 0.4 s, shear of 10 %
// and 5 %, the COP moving 0.1 m along x and 0.05 m along y, and a free moment of 2 N·m, as the
// wrench about a transducer origin `h` below the surface.
std::vector<calibration::Wrench> landing(std::size_t samples, double rate_hz, double h) {
    std::vector<calibration::Wrench> out(samples);
    for (std::size_t k = 0; k < samples; ++k) {
        const double t = static_cast<double>(k) / rate_hz;
        const double fz = t < 0.4 ? 1500 * std::sin(std::numbers::pi * t / 0.4) : 0.0;
        const double fx = 0.10 * fz, fy = -0.05 * fz;
        const double x = -0.05 + 0.25 * t, y = 0.02 - 0.125 * t, tz = fz > 0 ? 2.0 : 0.0;
        // M = r × F + (0, 0, tz) with r = (x, y, h).
        out[k] = {fx, fy, fz, y * fz - h * fy, h * fx - x * fz, x * fy - y * fx + tz};
    }
    return out;
}

C3dExport two_plates(std::size_t samples) {
    C3dExport trial;
    trial.analog_rate_hz = 1000;
    trial.software = "hoplab test";
    trial.description = "trial-001 from test.h5";
    trial.plates.push_back({"left", 0.04, {0, 0, 0}, 0.6, 0.4, landing(samples, 1000, 0.04)});
    auto right = landing(samples, 1000, 0.0);
    for (auto& w : right) {
        w.fz_n *= 0.8;
    }
    trial.plates.push_back({"right", 0.0, {0.7, 0, 0}, 0.6, 0.4, right});
    return trial;
}

// float32 storage: 2^-24 relative, and an absolute floor for values that cross zero.
void expect_float_equal(double stored, double expected, const char* what, std::size_t k) {
    EXPECT_NEAR(stored, expected, std::abs(expected) * 6e-8 + 1e-9) << what << " at sample " << k;
}

TEST(C3dWriterTest, ForcesAndCentreOfPressureComeBack) {
    const auto trial = two_plates(600);
    const auto bytes = c3d_bytes(trial);
    const auto file = C3dFile::parse(bytes, "export.c3d");
    EXPECT_EQ(file.processor(), C3dProcessor::intel);
    EXPECT_EQ(file.analog_rate_hz(), 1000.0);
    EXPECT_EQ(file.point_rate_hz(), 1000.0);
    EXPECT_EQ(file.analog_sample_count(), 600U);
    ASSERT_EQ(file.force_plates().size(), 2U);
    double worst_cop_m = 0;
    std::size_t cop_samples = 0;
    for (std::size_t p = 0; p < 2; ++p) {
        const auto& plate = file.force_plates()[p];
        EXPECT_EQ(plate.type, 2);
        EXPECT_NEAR(plate.origin_m[2], -trial.plates[p].surface_height_m, 1e-8);  // float32
        for (std::size_t k = 0; k < 600; ++k) {
            // The file's plate frame is z down: a half turn about x from hoplab's.
            const auto& w = plate.wrenches[k];
            const auto& truth = trial.plates[p].wrenches[k];
            expect_float_equal(w.fx_n, truth.fx_n, "Fx", k);
            expect_float_equal(-w.fy_n, truth.fy_n, "Fy", k);
            expect_float_equal(-w.fz_n, truth.fz_n, "Fz", k);
            expect_float_equal(w.mx_nm, truth.mx_nm, "Mx", k);
            expect_float_equal(-w.my_nm, truth.my_nm, "My", k);
            expect_float_equal(-w.mz_nm, truth.mz_nm, "Mz", k);
            const auto cop = centre_of_pressure(plate, k, 20.0);
            const auto expected =
                calibration::centre_of_pressure_at(truth, trial.plates[p].surface_height_m, 20.0);
            ASSERT_EQ(cop.has_value(), expected.has_value()) << "sample " << k;
            if (cop) {
                ++cop_samples;
                worst_cop_m = std::max({worst_cop_m, std::abs(cop->x_m - expected->x_m),
                                        std::abs(-cop->y_m - expected->y_m)});
                EXPECT_NEAR(-cop->free_moment_nm, expected->free_moment_nm, 1e-4);
            }
        }
    }
    EXPECT_GT(cop_samples, 700U);
    // float32 forces and moments of ~1500 N and ~100 N·m: the COP agrees within 1 µm.
    EXPECT_LT(worst_cop_m, 1e-6);
    std::printf("C3D round trip: %zu COP samples, worst COP difference %.2e m\n", cop_samples,
                worst_cop_m);
}

TEST(C3dWriterTest, ParametersAreWhereReadersLookForThem) {
    const auto file = C3dFile::parse(c3d_bytes(two_plates(50)), "export.c3d");
    EXPECT_EQ(file.analog_labels().front(), "Fx_left");
    EXPECT_EQ(file.analog_labels().back(), "Mz_right");
    EXPECT_EQ(file.parameter("ANALOG", "UNITS")->text,
              (std::vector<std::string>{"N", "N", "N", "Nm", "Nm", "Nm", "N", "N", "N", "Nm", "Nm",
                                        "Nm"}));
    EXPECT_EQ(file.parameter("POINT", "UNITS")->text, (std::vector<std::string>{"m"}));
    EXPECT_EQ(file.parameter("POINT", "USED")->numbers, (std::vector<double>{0}));
    EXPECT_EQ(file.parameter("POINT", "FRAMES")->numbers, (std::vector<double>{50}));
    EXPECT_EQ(file.parameter("FORCE_PLATFORM", "CHANNEL")->numbers,
              (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    EXPECT_EQ(file.parameter("FORCE_PLATFORM", "CHANNEL")->dimensions, (std::vector<int>{6, 2}));
    // Plate 2 centred at x = 0.7 m: corner 1 in its (+x, +y) quadrant is the lab's (1.0, −0.2).
    const auto& corners = file.force_plates()[1].corners_m;
    EXPECT_NEAR(corners[0], 1.0, 1e-7);
    EXPECT_NEAR(corners[1], -0.2, 1e-7);
    EXPECT_NEAR(corners[6], 0.4, 1e-7);  // corner 3 (−x, −y): lab (0.4, 0.2)
    EXPECT_NEAR(corners[7], 0.2, 1e-7);
    EXPECT_EQ(file.parameter("MANUFACTURER", "SOFTWARE")->text,
              (std::vector<std::string>{"hoplab test"}));
    EXPECT_EQ(file.parameter("TRIAL", "DESCRIPTION")->text,
              (std::vector<std::string>{"trial-001 from test.h5"}));
}

TEST(C3dWriterTest, LongTrialsAreGroupedIntoFrames) {
    // 70000 samples exceed the 16-bit frame count: 2 analog samples per frame, 35000 frames.
    auto trial = two_plates(70000);
    trial.plates.pop_back();
    const auto file = C3dFile::parse(c3d_bytes(trial), "long.c3d");
    EXPECT_EQ(file.analog_sample_count(), 70000U);
    EXPECT_EQ(file.analog_rate_hz(), 1000.0);
    EXPECT_EQ(file.point_rate_hz(), 500.0);
    expect_float_equal(-file.force_plates()[0].wrenches[69999].fz_n,
                       trial.plates[0].wrenches[69999].fz_n, "Fz", 69999);
    expect_float_equal(-file.force_plates()[0].wrenches[200].fz_n,
                       trial.plates[0].wrenches[200].fz_n, "Fz", 200);
}

TEST(C3dWriterTest, RefusesWhatItCannotWriteFaithfully) {
    auto unequal = two_plates(100);
    unequal.plates[1].wrenches.pop_back();
    EXPECT_THROW(
        {
            try {
                (void)c3d_bytes(unequal);
            } catch (const std::invalid_argument& error) {
                EXPECT_STREQ(error.what(),
                             "c3d_bytes: plate 'right' has 99 samples, plate 'left' has 100");
                throw;
            }
        },
        std::invalid_argument);
    auto bad_label = two_plates(10);
    bad_label.plates[0].label = "left plate";
    EXPECT_THROW((void)c3d_bytes(bad_label), std::invalid_argument);
    // 65537 is prime: no frame grouping holds it without inventing samples.
    auto prime = two_plates(65537);
    prime.plates.pop_back();
    EXPECT_THROW(
        {
            try {
                (void)c3d_bytes(prime);
            } catch (const std::invalid_argument& error) {
                EXPECT_NE(std::string(error.what()).find("65537 samples cannot be split"),
                          std::string::npos)
                    << error.what();
                throw;
            }
        },
        std::invalid_argument);
    EXPECT_THROW((void)c3d_bytes(C3dExport{}), std::invalid_argument);
}

TEST(C3dWriterTest, AnUnwritablePathIsAnError) {
    EXPECT_THROW(write_c3d("/nonexistent-folder/x.c3d", two_plates(10)), C3dError);
}

}  // namespace
}  // namespace hoplab::interchange
