// A whole lab session through the real daemon and a real simulated amplifier process: tare,
// session, one repeated-hop trial per limb, close. The recording must hold exactly the samples the
// amplifier sent while the session was open, and the analysis must find the asymmetry the simulated
// athlete was given. And bilateral hops on the two plates, paired left against right.
#include <hoplab/cli/force_trials.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "support/daemon_process.hpp"

namespace hoplab {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr double kRateHz = 1000.0;

json next_event(cli::ChildProcess& amplifier, const std::string& kind) {
    for (;;) {
        const auto line = amplifier.read_line(60s);
        if (!line) {
            throw std::runtime_error("device-sim produced no '" + kind + "' event");
        }
        auto event = json::parse(*line, nullptr, false);
        if (!event.is_discarded() && event.value("event", "") == kind) {
            return event;
        }
    }
}

TEST(LabSession, RecordsEverySampleAndFindsTheAsymmetry) {
    const auto dir = testing::fresh_directory("lab-session");
    testing::DaemonProcess daemon(dir);
    cli::ChildProcess amplifier(
        daemon.device_sim(HOPLAB_PATH, {"--plates", "2", "--rate", "1000", "--asymmetry", "15",
                                        "--weaker", "right", "--mass", "72", "--seed", "11"}));
    daemon.wait_for_devices();
    const auto api = daemon.client();
    std::this_thread::sleep_for(2200ms);
    std::map<std::string, json> tared;
    for (const char* plate : {"left", "right"}) {
        const auto tare = api.post(std::string("/api/v1/devices/") + plate + "/tare");
        ASSERT_EQ(tare.status, 200u);
        tared[plate] = tare.body;
    }
    const auto opened =
        api.post("/api/v1/sessions",
                 {{"athlete_id", "it-athlete"}, {"mass_kg", 72.0}, {"involved_limb", "right"}});
    ASSERT_EQ(opened.status, 201u) << opened.body.dump();

    std::map<std::string, json> stopped;
    for (const char* limb : {"left", "right"}) {
        ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "repeated-hops"}, {"limb", limb}})
                      .status,
                  201u);
        amplifier.write_line(std::string("perform ") + limb + " repeated-hops");
        next_event(amplifier, "performed");
        std::this_thread::sleep_for(200ms);
        const auto stop = api.post("/api/v1/trials/stop");
        ASSERT_EQ(stop.status, 200u) << stop.body.dump();
        stopped[limb] = stop.body;
    }
    // Stop the amplifier first, so that everything it sent is either in the file or counted as
    // lost.
    amplifier.write_line("quit");
    const json summary = next_event(amplifier, "summary");
    ASSERT_EQ(amplifier.wait(10s), 0);
    std::this_thread::sleep_for(300ms);
    const auto status = api.get("/api/v1/status").body;
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();
    const std::filesystem::path file = closed.body["file"].get<std::string>();

    const recording::SessionReader reader(file);
    ASSERT_EQ(reader.devices().size(), 2u);
    for (std::size_t d = 0; d < 2; ++d) {
        const auto& name = reader.devices()[d].name;
        const auto& sent = summary["plates"][d];
        ASSERT_EQ(sent["name"], name);
        const auto samples_sent = sent["samples_sent"].get<std::uint64_t>();
        const auto blocks = reader.blocks(name);
        ASSERT_FALSE(blocks.empty());
        const std::uint64_t first = blocks.front().first_sample_index;
        // Every sample sent after the session opened is in the file, none lost, none invented.
        EXPECT_EQ(reader.raw_sample_count(name), samples_sent - first) << name;
        EXPECT_TRUE(reader.gaps(name).empty()) << name;
        const auto& counters = status["devices"][d]["counters"];
        EXPECT_EQ(counters["samples_accepted"].get<std::uint64_t>(), samples_sent)
            << counters.dump();
        EXPECT_EQ(counters["samples_lost"].get<std::uint64_t>(), 0u);
        // The tare done before the session opened is the file's first tare record, and its
        // offsets are the stored calibration's.
        const auto tares = reader.tares(name);
        ASSERT_EQ(tares.size(), 1u) << name;
        EXPECT_EQ(tares[0].utc, tared[name]["utc"].get<std::string>());
        EXPECT_EQ(tares[0].offsets, tared[name]["offsets"].get<std::vector<double>>());
        const auto stored = reader.devices()[d].calibration.offsets();
        EXPECT_EQ(std::vector<double>(stored.begin(), stored.end()), tares[0].offsets);
    }

    const auto trials = cli::load_force_trials(file, {});
    ASSERT_EQ(trials.size(), 2u);
    const auto run = cli::analyse_trials(trials, processing::Limb::right, {});
    bool found = false;
    for (const auto& row : run.symmetry) {
        if (row.metric == "jump_height_m") {
            found = true;
            ASSERT_TRUE(row.asymmetry_pct.has_value());
            // The simulated athlete's right limb jumps 15 % lower; θ-bias and noise move it by < 2
            // points.
            EXPECT_NEAR(*row.asymmetry_pct, 15.0, 2.0);
            EXPECT_EQ(row.weaker, processing::Limb::right);
        }
    }
    EXPECT_TRUE(found);
    // The trial-stop answer carried the processing library's result for each limb.
    for (const char* limb : {"left", "right"}) {
        ASSERT_FALSE(stopped[limb]["analysis"].is_null()) << stopped[limb].dump();
        EXPECT_GE(stopped[limb]["analysis"]["summary"]["contacts"].get<int>(), 5);
    }
    std::filesystem::remove_all(dir);
}

// One trial on two simulated 1 kHz plates through hoplabd and `hoplab device-sim`, as a lab runs
// it: tare both plates, open a session for a 72-kg athlete, start the trial, let the simulated
// athlete perform `perform` ("LIMB PROTOCOL"), stop, close the session. Fills `out` with the
// simulator's "performed" event (its truths), the stop answer and the session's closing answer.
struct SimulatedTrial {
    json performed;
    json stop;
    json closed;
};
void run_simulated_trial(const std::filesystem::path& dir, const std::string& seed,
                         const std::string& athlete, const std::string& protocol,
                         const std::string& limb, const std::string& perform, SimulatedTrial& out) {
    testing::DaemonProcess daemon(dir);
    cli::ChildProcess amplifier(daemon.device_sim(
        HOPLAB_PATH, {"--plates", "2", "--rate", "1000", "--mass", "72", "--seed", seed}));
    daemon.wait_for_devices();
    const auto api = daemon.client();
    std::this_thread::sleep_for(2200ms);  // the tare averages the last 2 s of unloaded plates
    for (const char* plate : {"left", "right"}) {
        ASSERT_EQ(api.post(std::string("/api/v1/devices/") + plate + "/tare").status, 200u);
    }
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", athlete}, {"mass_kg", 72.0}}).status,
              201u);
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", protocol}, {"limb", limb}}).status,
              201u);
    amplifier.write_line("perform " + perform);
    out.performed = next_event(amplifier, "performed");
    std::this_thread::sleep_for(200ms);
    const auto stop = api.post("/api/v1/trials/stop");
    ASSERT_EQ(stop.status, 200u) << stop.body.dump();
    out.stop = stop.body;
    amplifier.write_line("quit");
    next_event(amplifier, "summary");
    ASSERT_EQ(amplifier.wait(10s), 0);
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();
    out.closed = closed.body;
}

// Bilateral hops on two plates, end to end: a repeated-hop trial with limb "both". The trial-stop
// answer pairs every contact left against right where the simulated athlete touched down and took
// off, and `hoplab analyze --json` of the recorded file gives exactly the same pairs.
TEST(BilateralSession, StopAnswerPairsEveryContactAsTheSimulatedAthleteDidAndAnalyzeAgrees) {
    const auto dir = testing::fresh_directory("bilateral-session");
    SimulatedTrial trial;
    ASSERT_NO_FATAL_FAILURE(run_simulated_trial(dir, "5", "bilateral", "repeated-hops", "both",
                                                "both repeated-hops", trial));
    const json& performed = trial.performed;
    const std::filesystem::path file = trial.closed["file"].get<std::string>();

    // Where the performance lies in the trial: the simulated amplifier counts samples from its
    // start, the trial from its own start index (the same on both plates: one amplifier).
    const recording::SessionReader reader(file);
    const auto start_index = reader.trials().front().start_sample_index;
    ASSERT_EQ(start_index.size(), 2u);
    EXPECT_EQ(start_index[0], start_index[1]);
    const double offset_s =
        (static_cast<double>(performed["first_sample_index"].get<std::uint64_t>()) -
         static_cast<double>(start_index[0])) /
        kRateHz;
    const auto& truth = performed["truth"]["hop_contacts"];
    ASSERT_GE(truth.size(), 5u);

    const json& pairs = trial.stop["analysis"]["bilateral_contacts"];
    ASSERT_TRUE(pairs.is_array()) << trial.stop["analysis"].dump();
    // Every hop contact of the athlete is one pair, both feet on their plates; the stance before
    // the first hop and the stick after the last are contacts too but have no hop truth.
    std::size_t matched = 0;
    double worst_s = 0;
    for (const auto& contact : truth) {
        const double touchdown_s = offset_s + contact["touchdown_s"].get<double>();
        const double take_off_s = offset_s + contact["take_off_s"].get<double>();
        for (const auto& pair : pairs) {
            if (pair["left"].is_null() || pair["right"].is_null() ||
                pair["left"]["touchdown_s"].is_null()) {
                continue;
            }
            if (std::abs(pair["left"]["touchdown_s"].get<double>() - touchdown_s) > 0.05) {
                continue;
            }
            ++matched;
            // θ = 20 N is crossed ≤ 2 ms after a touchdown on a half-sine of ≥ 1000 N per foot
            // (0.25 s · asin(0.02)/π ≈ 1.6 ms) and as long before a take-off; one sample is 1 ms.
            for (const char* side : {"left", "right"}) {
                worst_s = std::max({worst_s,
                                    std::abs(pair[side]["touchdown_s"].get<double>() - touchdown_s),
                                    std::abs(pair[side]["take_off_s"].get<double>() - take_off_s)});
                EXPECT_NEAR(pair[side]["touchdown_s"].get<double>(), touchdown_s, 0.003)
                    << side << " " << pair.dump();
                EXPECT_NEAR(pair[side]["take_off_s"].get<double>(), take_off_s, 0.003)
                    << side << " " << pair.dump();
            }
            EXPECT_LT(std::abs(pair["onset_difference_ms"].get<double>()), 2.0) << pair.dump();
        }
    }
    EXPECT_EQ(matched, truth.size()) << pairs.dump();
    std::printf(
        "%zu pairs; %zu hop contacts of the truth matched; worst touchdown/take-off error "
        "%.2f ms\n",
        pairs.size(), matched, worst_s * 1e3);

    // The offline analysis of the recorded file pairs the same contacts with the same numbers.
    const auto report_file = dir / "analyze.json";
    const std::string command = std::string(HOPLAB_PATH) + " analyze --json '" + file.string() +
                                "' > '" + report_file.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(report_file);
    const json report = json::parse(in);
    ASSERT_EQ(report["trials"].size(), 1u) << report.dump();
    EXPECT_EQ(report["trials"][0]["bilateral_contacts"], pairs);
    EXPECT_EQ(report["trials"][0]["summary"], trial.stop["analysis"]["summary"]);
    std::filesystem::remove_all(dir);
}

// A single-leg hop through the daemon: the trial-stop analysis of the stick landing finds the
// horizontal time to stabilisation (METHODS §4.8, band method on the 10 Hz low-passed shear) the
// simulated athlete was given (the simulator's analytic last exceedance, "performed" truth).
// Tolerance 5 ms, as the simulator's own oracle test (tests/simulation, LandingShearTimeTo-
// StabilisationMatchesTheAnalyticTruth): the analysis measures from its detected touchdown and
// rounds to the 1 ms sample, and the last exceeding sway peak crosses the band at ≥ 110 N/s
// against ≈ 0.11 N SD of low-passed noise (≈ 1 ms per SD, 2 SD allowed). The daemon path adds the
// amplifier's rounding to whole counts (≤ 0.5 count = 0.01 N of shear at the simulated plate's
// 0.02 N/count, far below the noise) and the tare (a constant offset error of the 2-s mean of
// unloaded noise, ≈ 0.75 N / √2000 ≈ 0.02 N: ≈ 0.2 ms at the 110 N/s crossing).
TEST(LandingSession, StopAnswerFindsTheSimulatedLandingsTimeToStabilisation) {
    const auto dir = testing::fresh_directory("landing-session");
    SimulatedTrial trial;
    ASSERT_NO_FATAL_FAILURE(run_simulated_trial(dir, "17", "landing", "single-leg-hop", "left",
                                                "left single-leg-hop", trial));
    const json& performed = trial.performed;
    const json& stop = trial.stop;
    const json& truth = performed["truth"];
    ASSERT_TRUE(truth["landing_tts_ml_s"].is_number()) << truth.dump();
    ASSERT_TRUE(truth["landing_tts_ap_s"].is_number()) << truth.dump();
    const json& landing = stop["analysis"]["landing"];
    ASSERT_TRUE(landing.is_object()) << stop.dump();
    ASSERT_TRUE(landing["time_to_stabilisation_ml_s"].is_number()) << landing.dump();
    ASSERT_TRUE(landing["time_to_stabilisation_ap_s"].is_number()) << landing.dump();
    const double ml_s = landing["time_to_stabilisation_ml_s"].get<double>();
    const double ap_s = landing["time_to_stabilisation_ap_s"].get<double>();
    std::printf("landing TTS ML %.4f s (truth %.4f s), AP %.4f s (truth %.4f s)\n", ml_s,
                truth["landing_tts_ml_s"].get<double>(), ap_s,
                truth["landing_tts_ap_s"].get<double>());
    EXPECT_NEAR(ml_s, truth["landing_tts_ml_s"].get<double>(), 5e-3);
    EXPECT_NEAR(ap_s, truth["landing_tts_ap_s"].get<double>(), 5e-3);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab
