// `hoplab calibrate` against a real hoplabd and `hoplab device-sim` whose plates have a true Fz
// gain of 0.048 N per count and a zero of 5000 counts, while the daemon is configured with the
// factory 0.05 N per count and no offsets: tare and the known-weight fit must find the truth.
#include "support/daemon_process.hpp"

#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/cli/child_process.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using hoplab::cli::ChildProcess;

constexpr double kTrueGain = 0.048;   // N per count
constexpr double kTrueZero = 5000.0;  // counts

class CalibrateCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = hoplab::testing::fresh_directory("calibrate");
        daemon_.emplace(dir_);
        sim_.emplace(daemon_->device_sim(
            HOPLAB_PATH, {"--plate-gain", std::to_string(kTrueGain), "--plate-offset",
                          std::to_string(kTrueZero), "--seed", "3"}));
        daemon_->wait_for_devices();
        std::this_thread::sleep_for(2500ms);  // the tare needs 2 s of history
    }

    // `hoplab calibrate VERB --daemon … --device left ARGS…`
    std::vector<std::string> calibrate(std::vector<std::string> arguments) const {
        std::vector<std::string> full{
            "calibrate", arguments.front(),
            "--daemon",  "127.0.0.1:" + std::to_string(daemon_->http_port()),
            "--device",  "left"};
        full.insert(full.end(), arguments.begin() + 1, arguments.end());
        return full;
    }

    void load(double kg) {
        sim_->write_line("load " + std::to_string(kg));
        const auto answer = sim_->read_line(5s);
        ASSERT_TRUE(answer);
        ASSERT_EQ(nlohmann::json::parse(*answer)["kg"].get<double>(), kg) << *answer;
        std::this_thread::sleep_for(100ms);  // the next blocks carry the new load
    }

    std::filesystem::path dir_;
    std::optional<hoplab::testing::DaemonProcess> daemon_;
    std::optional<ChildProcess> sim_;
};

TEST_F(CalibrateCommand, TareFindsTheAmplifierZero) {
    ChildProcess tare({HOPLAB_PATH, calibrate({"tare"}), dir_ / "tare.log", false, true, {}});
    const auto line = tare.read_line(20s);
    ASSERT_TRUE(line);
    EXPECT_EQ(tare.wait(10s), 0);
    // "tared 'left' at …: offsets [fx,fy,fz,…] (raw units), noise SD […]"
    const auto open = line->find('[');
    const auto offsets = nlohmann::json::parse(line->substr(open, line->find(']') - open + 1));
    const double fz_zero = offsets[2].get<double>();
    // 2 s of noise with SD 1.5 N = 31 counts: the mean is good to ~0.7 counts (0.014 %).
    EXPECT_NEAR(fz_zero, kTrueZero, 0.001 * kTrueZero) << *line;
    RecordProperty("tare_fz_zero_counts", std::to_string(fz_zero));
    std::cout << "tare: Fz zero " << fz_zero << " counts (" << 100 * (fz_zero / kTrueZero - 1)
              << " %)\n";
}

TEST_F(CalibrateCommand, KnownWeightFitRecoversGainAndZeroWithin01Percent) {
    const std::vector<double> loads{0, 20, 40, 60, 40, 20, 0};
    ChildProcess fit(
        {HOPLAB_PATH,
         calibrate({"fit", "--loads-kg", "0,20,40,60,40,20,0", "--seconds", "1", "--json"}),
         dir_ / "fit.log",
         true,
         true,
         {}});
    for (std::size_t i = 0; i < loads.size(); ++i) {
        load(loads[i]);
        fit.write_line("");  // the operator presses Enter
        const auto step = fit.read_line(15s);
        ASSERT_TRUE(step) << "no answer for step " << i + 1;
        EXPECT_EQ(step->rfind("step " + std::to_string(i + 1) + "/7", 0), 0u) << *step;
    }
    const auto line = fit.read_line(15s);
    ASSERT_TRUE(line);
    EXPECT_EQ(fit.wait(10s), 0);
    const auto result = nlohmann::json::parse(*line);
    const double gain = result["sensitivity_n_per_count"].get<double>();
    const double zero = result["zero_reading"].get<double>();
    // Averages of 1000 samples with a 31-count SD: about 1 count on each reading, so ~0.01 %
    // on the gain over a 12 000-count span and ~0.02 % on the zero; 0.1 % is the acceptance.
    EXPECT_NEAR(gain, kTrueGain, 0.001 * kTrueGain);
    EXPECT_NEAR(zero, kTrueZero, 0.001 * kTrueZero);
    EXPECT_GT(result["r_squared"].get<double>(), 0.99999);
    EXPECT_TRUE(result["pass"].get<bool>());
    RecordProperty("fit_gain_error_pct", std::to_string(100 * (gain / kTrueGain - 1)));
    RecordProperty("fit_zero_error_pct", std::to_string(100 * (zero / kTrueZero - 1)));
    std::cout << "known-weight fit: gain " << gain << " N/count (" << 100 * (gain / kTrueGain - 1)
              << " %), zero " << zero << " counts (" << 100 * (zero / kTrueZero - 1) << " %)\n";
}

// Verification with the plate's true calibration passes (dead weights at known positions); with
// the factory Fz gain, 4 % off the truth, it fails on force.
TEST_F(CalibrateCommand, VerifyReportsForceAndCentreOfPressureErrors) {
    const auto run_verify = [&](double fz_gain,
                                const std::string& name) -> std::vector<std::string> {
        const auto file = dir_ / (name + ".toml");
        std::ofstream(file) << hoplab::acquisition::simulated_plate_calibration("SIM-left", false,
                                                                                fz_gain, 0.0)
                                   .to_toml();
        ChildProcess verify(
            {HOPLAB_PATH,
             calibrate({"verify", "--calibration", file.string(), "--load", "40@0.1,0.05", "--load",
                        "60@-0.15,-0.1", "--seconds", "1"}),
             dir_ / (name + ".log"),
             true,
             true,
             {}});
        std::vector<std::string> lines;
        for (const double kg : {0.0, 40.0, 60.0}) {
            if (kg == 0.0) {
                load(0.0);
            } else {
                sim_->write_line(kg == 40.0 ? "load 40 0.1 0.05" : "load 60 -0.15 -0.1");
                EXPECT_TRUE(sim_->read_line(5s));
                std::this_thread::sleep_for(100ms);
            }
            verify.write_line("");
            EXPECT_TRUE(verify.read_line(20s));  // "… captured": the next load may go on
        }
        for (int i = 0; i < 3; ++i) {
            const auto line = verify.read_line(20s);
            EXPECT_TRUE(line);
            lines.push_back(line.value_or(""));
        }
        verify.wait(10s);
        return lines;
    };
    const auto good = run_verify(kTrueGain, "true");
    // "40@0.1,0.05: force error 0.123 N, COP error 0.45 mm"; the last line is the verdict.
    for (int i = 0; i < 2; ++i) {
        const auto force = std::stod(good[i].substr(good[i].find("force error ") + 12));
        const auto cop = std::stod(good[i].substr(good[i].find("COP error ") + 10));
        // 1 s means of 1.5 N noise: ~0.05 N on Fz; COP noise ~0.05 N·m / 400 N ~ 0.1 mm.
        EXPECT_LT(force, 1.0) << good[i];
        EXPECT_LT(cop, 1.0) << good[i];
        std::cout << "verify (true calibration): " << good[i] << "\n";
    }
    EXPECT_NE(good[2].find("PASS"), std::string::npos) << good[2];
    const auto factory = run_verify(0.05, "factory");
    // 60 kg read with a 0.05 instead of 0.048 N/count gain: 588.4 N × 4.17 % = 24.5 N too much.
    const auto force = std::stod(factory[1].substr(factory[1].find("force error ") + 12));
    EXPECT_NEAR(force, 60 * 9.80665 * (0.05 / 0.048 - 1), 1.0) << factory[1];
    EXPECT_NE(factory[2].find("FAIL"), std::string::npos) << factory[2];
}

// A zero that does not move reports no drift; a 1 kg weight left on the plate between the two
// zeros (9.81 N) is a zero shift above max(2 N, 20 N / 4) = 5 N and warns.
TEST_F(CalibrateCommand, DriftCheckWarnsOnAMovedZero) {
    const auto file = dir_ / "plate.toml";
    std::ofstream(file) << hoplab::acquisition::simulated_plate_calibration("SIM-left", false,
                                                                            kTrueGain, kTrueZero)
                               .to_toml();
    const auto run = [&](bool shift) {
        load(0.0);
        ChildProcess drift({HOPLAB_PATH,
                            calibrate({"drift", "--calibration", file.string(), "--interval", "2",
                                       "--seconds", "0.5", "--json"}),
                            dir_ / "drift.log",
                            false,
                            true,
                            {}});
        EXPECT_TRUE(drift.read_line(10s));  // the first zero is taken
        if (shift) {
            load(1.0);
        }
        const auto line = drift.read_line(15s);
        EXPECT_EQ(drift.wait(10s), 0);
        return nlohmann::json::parse(line.value_or("{}"));
    };
    const auto steady = run(false);
    // Half-second means of 1.5 N noise: ~0.07 N each.
    EXPECT_LT(std::abs(steady["zero_change_n"].get<double>()), 0.5) << steady.dump();
    EXPECT_FALSE(steady["warning"].get<bool>());
    const auto moved = run(true);
    EXPECT_NEAR(moved["zero_change_n"].get<double>(), 9.80665, 0.5) << moved.dump();
    EXPECT_TRUE(moved["warning"].get<bool>());
}

TEST_F(CalibrateCommand, CaptureOfAnUnknownDeviceNamesIt) {
    ChildProcess fit(
        {HOPLAB_PATH,
         {"calibrate", "fit", "--daemon", "127.0.0.1:" + std::to_string(daemon_->http_port()),
          "--device", "middle", "--loads-kg", "0,10,20"},
         dir_ / "bad.log",
         true,
         false,
         {}});
    fit.write_line("");
    EXPECT_EQ(fit.wait(20s), 1);
    std::ifstream in(dir_ / "bad.log");
    const std::string log(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(log.find("hoplabd answered 404: no device named 'middle'"), std::string::npos) << log;
}

}  // namespace
