// `hoplab import` and `hoplab export` as a user runs them: real processes, real files.
#include <hoplab/cli/child_process.hpp>
#include <hoplab/cli/force_trials.hpp>
#include <hoplab/interchange/c3d_reader.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/daemon_process.hpp"
#include "support/hoplab_run.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace hoplab::cli {
namespace {

using testing::run_hoplab;

std::vector<double> fz_of(const recording::SessionReader& reader, const std::string& trial,
                          const std::string& device) {
    std::vector<double> fz;
    for (const auto& w : reader.trial_force(trial, device).samples) {
        fz.push_back(w.fz_n);
    }
    return fz;
}

// record → export CSV → import → the same samples. Export prints each double in its shortest
// round-trip form, so the tolerance is zero: any difference is a bug, not rounding.
TEST(ImportExport, CsvRoundTripGivesBackTheStoredSamplesExactly) {
    const auto dir = testing::fresh_directory("roundtrip");
    const auto recorded = dir / "recorded.h5";
    ASSERT_EQ(run_hoplab({"simulate", "--protocol", "repeated-hops", "--limb", "right", "--out",
                          recorded.string()},
                         dir)
                  .exit_code,
              0);
    const auto exported = run_hoplab(
        {"export", recorded.string(), "--to", "csv", "--out", (dir / "csv").string()}, dir);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    const recording::SessionReader original(recorded);
    const auto trial = original.trials().front();
    const auto csv = dir / "csv" / (trial.id + ".csv");
    ASSERT_TRUE(std::filesystem::exists(csv)) << exported.out;
    const auto imported_file = dir / "imported.h5";
    const auto imported =
        run_hoplab({"import", csv.string(), "--out", imported_file.string()}, dir);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;

    const recording::SessionReader back(imported_file);
    ASSERT_EQ(back.trials().size(), 1u);
    const auto info = back.trials().front();
    EXPECT_EQ(info.protocol, trial.protocol);  // from the exported "# protocol:" line
    EXPECT_EQ(info.limb, trial.limb);          // from "# limb:"
    EXPECT_DOUBLE_EQ(info.rate_hz, trial.rate_hz);
    for (const std::string device : {"left", "right"}) {
        const auto a = fz_of(original, trial.id, device);
        const auto b = fz_of(back, info.id, device);
        ASSERT_EQ(a.size(), b.size()) << device;
        double max_difference_n = 0;
        for (std::size_t k = 0; k < a.size(); ++k) {
            max_difference_n = std::max(max_difference_n, std::abs(a[k] - b[k]));
        }
        EXPECT_EQ(max_difference_n, 0.0) << device;
    }
}

// record → export C3D → import C3D → the same forces, moments and centre of pressure within
// float32 storage (C3D analog data are 4-byte floats: 2^-24 relative, 6e-8 with margin).
TEST(ImportExport, C3dRoundTripGivesBackForcesAndCopWithinFloatPrecision) {
    const auto dir = testing::fresh_directory("c3d-roundtrip");
    const auto recorded = dir / "recorded.h5";
    ASSERT_EQ(run_hoplab({"simulate", "--protocol", "single-leg-hop", "--limb", "left", "--out",
                          recorded.string()},
                         dir)
                  .exit_code,
              0);
    const auto exported = run_hoplab(
        {"export", recorded.string(), "--to", "c3d", "--out", (dir / "c3d").string()}, dir);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    const recording::SessionReader original(recorded);
    const auto trial = original.trials().front();
    const auto c3d = dir / "c3d" / (trial.id + ".c3d");
    ASSERT_TRUE(std::filesystem::exists(c3d)) << exported.out;
    const auto imported_file = dir / "imported.h5";
    const auto imported =
        run_hoplab({"import", c3d.string(), "--protocol", "single-leg-hop", "--limb", "left",
                    "--left", "1", "--right", "2", "--out", imported_file.string()},
                   dir);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    const recording::SessionReader back(imported_file);
    const auto info = back.trials().front();
    EXPECT_DOUBLE_EQ(info.rate_hz, trial.rate_hz);
    double worst_relative = 0, worst_cop_m = 0;
    std::size_t cops = 0;
    for (const std::string device : {"left", "right"}) {
        const auto a = original.trial_force(trial.id, device);
        const auto b = back.trial_force(info.id, device);
        ASSERT_EQ(a.samples.size(), b.samples.size()) << device;
        for (std::size_t k = 0; k < a.samples.size(); ++k) {
            const auto& x = a.samples[k];
            const auto& y = b.samples[k];
            for (const auto& [u, v] : {std::pair{x.fx_n, y.fx_n},
                                       {x.fy_n, y.fy_n},
                                       {x.fz_n, y.fz_n},
                                       {x.mx_nm, y.mx_nm},
                                       {x.my_nm, y.my_nm},
                                       {x.mz_nm, y.mz_nm}}) {
                worst_relative =
                    std::max(worst_relative, std::abs(u - v) / std::max(std::abs(u), 1.0));
            }
            ASSERT_EQ(a.cop[k].has_value(), b.cop[k].has_value()) << device << " " << k;
            if (a.cop[k]) {
                worst_cop_m = std::max({worst_cop_m, std::abs(a.cop[k]->x_m - b.cop[k]->x_m),
                                        std::abs(a.cop[k]->y_m - b.cop[k]->y_m)});
                ++cops;
            }
        }
    }
    std::printf(
        "C3D round trip: worst relative force/moment difference %.2e, worst COP %.2e m "
        "over %zu samples\n",
        worst_relative, worst_cop_m, cops);
    EXPECT_LT(worst_relative, 6e-8);
    EXPECT_LT(worst_cop_m, 1e-6);
    EXPECT_GT(cops, 1000u);
}

// A two-plate BioWare ASCII export (Kistler's frame: z down, the subject's action, COP in mm)
// imports into the recording's frame: (Fx, Fy, Fz) → (−Fx, Fy, Fz), COP (Ax, Ay) → (Ax, −Ay), and
// the COP the recording computes from the rebuilt moments equals it to 1e-12 m.
TEST(ImportExport, BiowareTwoPlatesMapToTheRecordingFrame) {
    const auto dir = testing::fresh_directory("bioware");
    const auto input = dir / "dj.txt";
    {
        std::ofstream out(input);
        out << "BioWare Version 5.4.3.0 Export\n"
               "Device:\tGrande1\tGrande1\tGrande1\tGrande1\tGrande1\tGrande1\tGrande2\tGrande2"
               "\tGrande2\tGrande2\tGrande2\tGrande2\n"
               "Samples "
               "(#):\t2000\t2000\t2000\t2000\t2000\t2000\t2000\t2000\t2000\t2000\t2000\t2000\n"
               "Rate "
               "(Hz):\t1000\t1000\t1000\t1000\t1000\t1000\t1000\t1000\t1000\t1000\t1000\t1000\n"
               "File Information\nDate\tMay 10, 2023  12:26:05\nName\t\nID\t\nClassification\t\n"
               "Description\t\n"
               "abs time (s)\tFx\tFy\tFz\tAx\tAy\tTz\tFx\tFy\tFz\tAx\tAy\tTz\n"
               "\tN\tN\tN\tmm\tmm\tN.m\tN\tN\tN\tmm\tmm\tN.m\n";
        for (int k = 0; k < 2000; ++k) {
            const double t = k / 1000.0;
            const double fz = 400 + 200 * std::sin(2 * 3.141592653589793 * t);
            out << fmt::format(
                "{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}"
                "\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\t{:.6f}\n",
                t, 12.5, -7.25, fz, 30.0 + 10 * t, -20.0, 0.5, -3.0, 4.0, 0.9 * fz, -15.0,
                25.0 - 5 * t, -0.25);
        }
    }
    const auto out = dir / "dj.h5";
    const auto run = run_hoplab({"import", input.string(), "--protocol", "quiet-stance", "--left",
                                 "1", "--right", "2", "--out", out.string()},
                                dir);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const recording::SessionReader reader(out);
    ASSERT_EQ(reader.devices().size(), 2u);
    EXPECT_EQ(reader.devices()[0].name, "left");
    EXPECT_NE(reader.devices()[0].model.find("BioWare 5.4.3.0"), std::string::npos);
    const auto trial = reader.trials().front();
    EXPECT_EQ(trial.rate_hz, 1000.0);
    const auto left = reader.trial_force(trial.id, "left");
    const auto right = reader.trial_force(trial.id, "right");
    ASSERT_EQ(left.samples.size(), 2000u);
    for (const std::size_t k : {0u, 777u, 1999u}) {
        const double t = static_cast<double>(k) / 1000.0;
        const double fz =
            std::stod(fmt::format("{:.6f}", 400 + 200 * std::sin(2 * 3.141592653589793 * t)));
        EXPECT_DOUBLE_EQ(left.samples[k].fx_n, -12.5);
        EXPECT_DOUBLE_EQ(left.samples[k].fy_n, -7.25);
        EXPECT_DOUBLE_EQ(left.samples[k].fz_n, fz);
        ASSERT_TRUE(left.cop[k].has_value());
        EXPECT_NEAR(left.cop[k]->x_m, (30.0 + 10 * t) / 1000, 1e-12);
        EXPECT_NEAR(left.cop[k]->y_m, 0.020, 1e-12);
        EXPECT_NEAR(left.cop[k]->free_moment_nm, 0.5, 1e-12);
        EXPECT_DOUBLE_EQ(right.samples[k].fx_n, 3.0);
        ASSERT_TRUE(right.cop[k].has_value());
        EXPECT_NEAR(right.cop[k]->y_m, -(25.0 - 5 * t) / 1000, 1e-12);
        EXPECT_NEAR(right.cop[k]->free_moment_nm, -0.25, 1e-12);
    }
}

TEST(ImportExport, BiowareWithoutForceNamesTheProblemAndWritesNothing) {
    const auto dir = testing::fresh_directory("bioware-cop-only");
    const auto input = dir / "cop.txt";
    {
        std::ofstream out(input);
        out << "BioWare Version 5.1.1.0 Export\nDevice:\tGrande2\tGrande2\nSamples (#):\t2\t2\n"
               "Rate (Hz):\t50\t50\nFile Information\nDate\tNov 09, 2012  09:39:44\n"
               "abs time (s)\tAx\tAy\n\tm\tm\n0.000000\t0.013748\t0.010516\n"
               "0.020000\t0.012769\t0.010327\n";
    }
    const auto out = dir / "cop.h5";
    const auto run = run_hoplab(
        {"import", input.string(), "--protocol", "quiet-stance", "--out", out.string()}, dir);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("cop.txt: line 7: plate 1 (Grande2) has no Fx column"),
              std::string::npos)
        << run.err;
    EXPECT_FALSE(std::filesystem::exists(out));
}

// The real dual-plate recordings (shared/data README): one subject of about 663 N, tab-separated,
// no time column, 1000 Hz. No reference results exist, so the checks are physiological: body
// weight within 2 % of 663 N, and for the jumps one flight of 0.3–0.7 s.
TEST(ImportExport, GidielDualPlateJumpsImportAndAnalyse) {
    const auto dir = testing::fresh_directory("gidiel");
    const std::filesystem::path data =
        std::filesystem::path(HOPLAB_SHARED_DATA_DIR) / "real" / "gidiel-dual-fz";
    for (const auto& [name, protocol] :
         {std::pair{"Dual-CMJ-Fz", "cmj"}, std::pair{"Dual-SJ-Fz", "cmj"},
          std::pair{"Dual-DJ-Fz", "drop-jump"}}) {
        const auto out = dir / (std::string(name) + ".h5");
        const auto run = run_hoplab(
            {"import", (data / (std::string(name) + ".txt")).string(), "--rate", "1000", "--left",
             "FP1", "--right", "FP2", "--protocol", protocol, "--out", out.string()},
            dir);
        ASSERT_EQ(run.exit_code, 0) << run.err;
        const recording::SessionReader reader(out);
        ASSERT_EQ(reader.trials().size(), 1u);
        EXPECT_EQ(reader.trials().front().samples, 5000u) << name;
        EXPECT_EQ(reader.trials().front().devices.size(), 2u) << name;
        // Vertical force alone cannot place the centre of pressure: undefined, not the centre.
        const auto left = reader.trial_force(reader.trials().front().id, "left");
        EXPECT_TRUE(std::none_of(left.cop.begin(), left.cop.end(), [](const auto& cop) {
            return cop.has_value();
        })) << name;

        const auto trials = load_force_trials(out, LoadOptions{});
        ASSERT_EQ(trials.size(), 1u);
        const auto analysis = analyse_trials(trials, std::nullopt, {}).trials.front();
        if (std::string(protocol) == "cmj") {
            ASSERT_TRUE(analysis.body_weight_N.has_value()) << name;
            EXPECT_NEAR(*analysis.body_weight_N, 663.0, 0.02 * 663.0) << name;
            ASSERT_EQ(analysis.contacts.size(), 1u) << name;
            ASSERT_TRUE(analysis.contacts.front().flight_time_after_s.has_value()) << name;
            EXPECT_GT(*analysis.contacts.front().flight_time_after_s, 0.3) << name;
            EXPECT_LT(*analysis.contacts.front().flight_time_after_s, 0.7) << name;
        } else {
            EXPECT_GE(analysis.contacts.size(), 1u) << name;
        }
    }
}

TEST(ImportExport, MalformedCsvNamesFileLineAndColumnAndWritesNothing) {
    const auto dir = testing::fresh_directory("malformed");
    std::ofstream(dir / "bad.csv") << "# protocol: cmj\ntime (s);Fz (N)\n0;700,5\n0,001;7O1\n";
    const auto out = dir / "bad.h5";
    const auto run = run_hoplab({"import", (dir / "bad.csv").string(), "--out", out.string()}, dir);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("bad.csv:4"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("Fz"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("7O1"), std::string::npos) << run.err;
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ImportExport, ImportRefusesToOverwriteAndAsksForAProtocol) {
    const auto dir = testing::fresh_directory("refuse");
    std::ofstream(dir / "t.csv") << "time_s,fz\n0,700\n0.001,701\n0.002,702\n";
    std::ofstream(dir / "exists.h5") << "x";
    const auto exists = run_hoplab({"import", (dir / "t.csv").string(), "--protocol", "cmj",
                                    "--out", (dir / "exists.h5").string()},
                                   dir);
    EXPECT_NE(exists.exit_code, 0);
    EXPECT_NE(exists.err.find("already exists"), std::string::npos) << exists.err;
    const auto no_protocol =
        run_hoplab({"import", (dir / "t.csv").string(), "--out", (dir / "t.h5").string()}, dir);
    EXPECT_NE(no_protocol.exit_code, 0);
    EXPECT_NE(no_protocol.err.find("--protocol"), std::string::npos) << no_protocol.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "t.h5"));
}

TEST(ImportExport, ExportOfAnUnknownTrialFails) {
    const auto dir = testing::fresh_directory("export-unknown");
    const auto recorded = dir / "r.h5";
    ASSERT_EQ(
        run_hoplab({"simulate", "--protocol", "cmj", "--limb", "both", "--out", recorded.string()},
                   dir)
            .exit_code,
        0);
    const auto run = run_hoplab({"export", recorded.string(), "--to", "csv", "--out",
                                 (dir / "csv").string(), "--trial", "no-such-trial"},
                                dir);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("no trial 'no-such-trial'"), std::string::npos) << run.err;
}

// Gait.c3d: two TYPE-4 plates at 1000 Hz. The recording holds them z up, load positive: the
// reader's wrench (checked against TYPE-4.XLS in hoplab_interchange_tests) turned half about x
// (Fz and My negated, Fx kept), and the centre of pressure the recording computes from it equal to
// the reader's with y negated. 1e-9 m: both are the same
// double formula on the same doubles, only the order of sign changes differs.
TEST(ImportExport, C3dTwoPlatesMapToLeftAndRightWithTheReadersForceAndCop) {
    const auto dir = testing::fresh_directory("c3d");
    const std::filesystem::path file =
        std::filesystem::path(HOPLAB_SHARED_DATA_DIR) / "real" / "c3d" / "Gait.c3d";
    const auto out = dir / "gait.h5";
    const auto run = run_hoplab({"import", file.string(), "--protocol", "landing", "--left", "1",
                                 "--right", "2", "--out", out.string()},
                                dir);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto c3d = interchange::C3dFile::read(file);
    const recording::SessionReader reader(out);
    ASSERT_EQ(reader.devices().size(), 2u);
    EXPECT_EQ(reader.devices()[0].limb, processing::Limb::left);
    EXPECT_EQ(reader.devices()[1].limb, processing::Limb::right);
    const auto trial = reader.trials().front();
    EXPECT_DOUBLE_EQ(trial.rate_hz, c3d.analog_rate_hz());
    std::size_t cops_compared = 0;
    for (std::size_t p = 0; p < 2; ++p) {
        const auto& plate = c3d.force_plates()[p];
        const auto force = reader.trial_force(trial.id, p == 0 ? "left" : "right");
        ASSERT_EQ(force.samples.size(), plate.wrenches.size());
        for (std::size_t k = 0; k < plate.wrenches.size(); ++k) {
            ASSERT_EQ(force.samples[k].fz_n, -plate.wrenches[k].fz_n) << k;
            ASSERT_EQ(force.samples[k].fx_n, plate.wrenches[k].fx_n) << k;
            ASSERT_EQ(force.samples[k].my_nm, -plate.wrenches[k].my_nm) << k;
            const auto expected = interchange::centre_of_pressure(plate, k, force.cop_threshold_n);
            ASSERT_EQ(force.cop[k].has_value(), expected.has_value()) << k;
            if (expected) {
                EXPECT_NEAR(force.cop[k]->x_m, expected->x_m, 1e-9) << k;
                EXPECT_NEAR(force.cop[k]->y_m, -expected->y_m, 1e-9) << k;
                ++cops_compared;
            }
        }
    }
    EXPECT_GT(cops_compared, 500u);  // both plates are stepped on for hundreds of samples
}

TEST(ImportExport, TruncatedC3dNamesTheFileAndWritesNothing) {
    const auto dir = testing::fresh_directory("c3d-truncated");
    std::ifstream in(std::filesystem::path(HOPLAB_SHARED_DATA_DIR) / "real" / "c3d" / "TYPE-2.C3D",
                     std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "half.c3d", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    const auto out = dir / "half.h5";
    const auto run = run_hoplab(
        {"import", (dir / "half.c3d").string(), "--protocol", "cmj", "--out", out.string()}, dir);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("half.c3d"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("truncated"), std::string::npos) << run.err;
    EXPECT_FALSE(std::filesystem::exists(out));
}

// tests/golden/interchange/{foreign,newer}.h5 from scripts/golden/interchange_foreign_h5.py.
TEST(ImportExport, ForeignAndNewerHdf5FilesGiveAClearError) {
    const auto dir = testing::fresh_directory("foreign-h5");
    const std::filesystem::path golden = HOPLAB_INTERCHANGE_GOLDEN_DIR;
    const auto foreign = run_hoplab(
        {"export", (golden / "foreign.h5").string(), "--to", "csv", "--out", (dir / "a").string()},
        dir);
    EXPECT_NE(foreign.exit_code, 0);
    EXPECT_NE(foreign.err.find("not a hoplab recording"), std::string::npos) << foreign.err;
    const auto newer = run_hoplab(
        {"export", (golden / "newer.h5").string(), "--to", "csv", "--out", (dir / "b").string()},
        dir);
    EXPECT_NE(newer.exit_code, 0);
    EXPECT_NE(newer.err.find("format 99"), std::string::npos) << newer.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "a"));
    EXPECT_FALSE(std::filesystem::exists(dir / "b"));
}

}  // namespace
}  // namespace hoplab::cli
