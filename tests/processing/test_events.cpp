#include <hoplab/processing/events.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::processing {
namespace {

constexpr double kFs = 1000.0;

// 10,007 samples at 1 kHz: flight at 0 N with three 300 ms contacts at 1000 N. The length is
// neither a multiple of the 32-sample groups nor of the 2048-sample chunks, so the last samples
// go through the scalar tail of the combined pass.
std::vector<double> three_hops() {
    std::vector<double> f(10007, 0.0);
    for (const std::size_t begin : {1000, 3000, 6000}) {
        for (std::size_t k = begin; k < begin + 300; ++k)
            f[k] = 1000.0;
    }
    return f;
}

TEST(EventDetection, StepContactsGiveTheirExactRuns) {
    // Noise-free flights: μ0 = σ0 = 0, so θ is the 20 N floor and every crossing is a step.
    const auto events = detect_events(three_hops(), kFs, {});
    EXPECT_EQ(events.threshold_N, 20.0);
    const std::vector<std::size_t> edges{0, 1000, 1300, 3000, 3300, 6000, 6300, 10007};
    ASSERT_EQ(events.runs.size(), edges.size() - 1);
    for (std::size_t i = 0; i < events.runs.size(); ++i) {
        EXPECT_EQ(events.runs[i].contact, i % 2 == 1) << "run " << i;
        EXPECT_EQ(events.runs[i].begin, edges[i]) << "run " << i;
        EXPECT_EQ(events.runs[i].end, edges[i + 1]) << "run " << i;
    }
}

// Records what the event pass tells its observer.
class Recorder final : public ContactObserver {
  public:
    void contact(std::size_t begin, std::size_t end) override {
        contacts.push_back({true, begin, end});
        seen_at.push_back(scans.empty() ? 0 : scans.back());
    }
    void scanned(std::size_t up_to) override { scans.push_back(up_to); }

    std::vector<StateRun> contacts;
    std::vector<std::size_t> seen_at;  // the last scanned() value before each contact()
    std::vector<std::size_t> scans;
};

TEST(EventDetection, TellsItsObserverTheSolidContactsAsThePassLeavesThem) {
    // Three 300-sample contacts and a 10-sample spike (shorter than min_contact_s: not reported).
    auto f = three_hops();
    for (std::size_t k = 8000; k < 8010; ++k)
        f[k] = 500.0;
    Recorder observer;
    const auto events = detect_events(f, kFs, {}, observer);
    ASSERT_EQ(observer.contacts.size(), 3u);
    const std::vector<std::size_t> begins{1000, 3000, 6000};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(observer.contacts[i].begin, begins[i]);
        EXPECT_EQ(observer.contacts[i].end, begins[i] + 300);
        // Reported in the chunk where it ends: after the scans of the chunks before it.
        EXPECT_EQ(observer.seen_at[i], (begins[i] + 300) / 2048 * 2048) << "contact " << i;
    }
    // One scanned() per 2048-sample chunk, increasing, the last at the record's end.
    ASSERT_EQ(observer.scans.size(), 5u);
    for (std::size_t i = 0; i + 1 < observer.scans.size(); ++i)
        EXPECT_EQ(observer.scans[i], 2048 * (i + 1));
    EXPECT_EQ(observer.scans.back(), f.size());
    // The observer changes nothing in the detection.
    const auto plain = detect_events(f, kFs, {});
    ASSERT_EQ(events.runs.size(), plain.runs.size());
    for (std::size_t i = 0; i < plain.runs.size(); ++i) {
        EXPECT_EQ(events.runs[i].begin, plain.runs[i].begin);
        EXPECT_EQ(events.runs[i].end, plain.runs[i].end);
    }
}

std::string detection_error(const std::vector<double>& f) {
    try {
        detect_events(f, kFs, {});
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

TEST(EventDetection, RefusesANonFiniteSampleNamingIt) {
    const std::vector<double> bad_values{std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity()};
    // The first sample; inside a contact; inside a flight group the threshold scan skips; in the
    // first and the last group of a later chunk; the last sample (scalar tail).
    const std::vector<std::size_t> positions{0, 1100, 4100, 8192, 10000 - 1, 10006};
    for (const double bad : bad_values) {
        for (const std::size_t at : positions) {
            auto f = three_hops();
            f[at] = bad;
            EXPECT_EQ(detection_error(f),
                      "vertical force sample " + std::to_string(at) + " is not finite")
                << bad << " at " << at;
        }
    }
}

TEST(EventDetection, NamesTheFirstOfSeveralNonFiniteSamples) {
    auto f = three_hops();
    f[5000] = std::numeric_limits<double>::infinity();
    f[5001] = std::numeric_limits<double>::quiet_NaN();
    f[9000] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(detection_error(f), "vertical force sample 5000 is not finite");
}

TEST(EventDetection, TrialAnalysisRefusesANonFiniteSampleWithTheSameMessage) {
    auto f = three_hops();
    f[10006] = std::numeric_limits<double>::quiet_NaN();
    try {
        analyze_trial(f, kFs, Protocol::repeated_hops, Limb::left, {});
        FAIL() << "a NaN sample was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_STREQ(error.what(), "vertical force sample 10006 is not finite");
    }
}

// METHODS §3 written plainly, sample by sample: the reference the one-pass scan must equal.
std::vector<StateRun> schmitt_runs(const std::vector<double>& f, double on_n, double off_n) {
    std::vector<StateRun> runs;
    bool contact = f[0] >= on_n;
    std::size_t begin = 0;
    for (std::size_t k = 1; k < f.size(); ++k) {
        if (contact ? f[k] < off_n : f[k] >= on_n) {
            runs.push_back({contact, begin, k});
            contact = !contact;
            begin = k;
        }
    }
    runs.push_back({contact, begin, f.size()});
    return runs;
}

std::vector<StateRun> merged(const std::vector<StateRun>& runs) {
    std::vector<StateRun> out;
    for (const StateRun& r : runs) {
        if (!out.empty() && out.back().contact == r.contact)
            out.back().end = r.end;
        else
            out.push_back(r);
    }
    return out;
}

std::vector<StateRun> debounced(std::vector<StateRun> runs, std::size_t min_contact,
                                std::size_t min_flight) {
    for (StateRun& r : runs) {
        if (r.contact && r.end - r.begin < min_contact)
            r.contact = false;
    }
    runs = merged(runs);
    for (std::size_t i = 1; i + 1 < runs.size(); ++i) {
        if (!runs[i].contact && runs[i].end - runs[i].begin < min_flight)
            runs[i].contact = true;
    }
    return merged(runs);
}

// Random flights (noise of SD noise_sd around 0 N) and contacts (100–2000 N) of 1–400 samples, with
// (`spikes`) one-to-five-sample spikes in flights and dips in contacts (0.5 % of samples
// each), and samples exactly at the thresholds (0.5 %): crossings land at every offset inside the
// scan's groups and chunks.
std::vector<double> random_hops(std::uint64_t seed, std::size_t n, double noise_sd, double on_n,
                                double off_n, bool spikes) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> length(1, 400), spike(1, 5), kind(0, 199);
    std::uniform_real_distribution<double> level(100.0, 2000.0);
    std::normal_distribution<double> noise(0.0, noise_sd);
    std::vector<double> f;
    bool contact = false;
    while (f.size() < n) {
        // Without spikes, no contact is short enough to become flight either: the flights hold only
        // the noise.
        const std::size_t run = contact && !spikes ? 60 + length(rng) : length(rng);
        const double load = level(rng);
        for (std::size_t k = 0; k < run && f.size() < n; ++k) {
            const std::size_t what = kind(rng);
            if (what == 0)
                f.push_back(contact ? off_n : on_n);  // exactly at the level that would cross
            else if (what == 1 && k + 5 < run && spikes)
                for (std::size_t j = spike(rng); j > 0 && f.size() < n; --j, ++k)
                    f.push_back(contact ? 5.0 : 500.0);  // a dip or a spike
            else
                f.push_back(contact ? load + noise(rng) : noise(rng));
        }
        contact = !contact;
    }
    return f;
}

TEST(EventDetection, EqualsAPlainSampleBySampleReferenceOnRandomRecords) {
    // Noise SD 2 N keeps θ at the 20 N floor (5 · 2 < 20); SD 6 N with spikes and dips (contact
    // samples then reach the flights) raises it and so takes the re-detection path. Hysteresis 0
    // and 15 N.
    std::size_t records = 0, raised = 0;
    for (const double noise_sd : {2.0, 6.0}) {
        for (const double hysteresis : {0.0, 15.0}) {
            for (std::uint64_t seed = 1; seed <= 6; ++seed) {
                AnalysisSettings settings;
                settings.hysteresis_n = hysteresis;
                const double floor_n = settings.threshold_floor_n;
                const auto f = random_hops(seed, 100'000 + 997 * seed, noise_sd,
                                           floor_n + hysteresis, floor_n, noise_sd > 2.0);
                const auto min_contact =
                    static_cast<std::size_t>(std::ceil(settings.min_contact_s * kFs));
                const auto min_flight =
                    static_cast<std::size_t>(std::ceil(settings.min_flight_s * kFs));
                const std::size_t margin = 20;  // 20 ms at 1 kHz
                const auto at_floor = debounced(schmitt_runs(f, floor_n + hysteresis, floor_n),
                                                min_contact, min_flight);
                double sum = 0, sq = 0;
                std::size_t samples = 0;
                for (const StateRun& r : at_floor) {
                    if (r.contact || r.end - r.begin <= 2 * margin)
                        continue;
                    for (std::size_t k = r.begin + margin; k < r.end - margin; ++k) {
                        sum += f[k];
                        sq += f[k] * f[k];
                        ++samples;
                    }
                }
                const double mean = sum / static_cast<double>(samples);
                const double sd = std::sqrt((sq - sum * sum / static_cast<double>(samples)) /
                                            static_cast<double>(samples - 1));
                const double threshold =
                    std::max(floor_n, std::abs(mean) + settings.threshold_noise_factor * sd);

                const auto events = detect_events(f, kFs, settings);
                const std::string where = "noise SD " + std::to_string(noise_sd) + ", hysteresis " +
                                          std::to_string(hysteresis) + ", seed " +
                                          std::to_string(seed);
                ASSERT_EQ(events.flight_noise_samples, samples) << where;
                // The sums are added in another order: 1e-9 relative is far above their rounding.
                EXPECT_NEAR(*events.flight_noise_mean_N, mean, 1e-9 * std::abs(sd)) << where;
                EXPECT_NEAR(*events.flight_noise_sd_N, sd, 1e-9 * sd) << where;
                EXPECT_NEAR(events.threshold_N, threshold, 1e-9 * threshold) << where;
                const auto expected =
                    threshold == floor_n
                        ? at_floor
                        : debounced(
                              schmitt_runs(f, events.threshold_N + hysteresis, events.threshold_N),
                              min_contact, min_flight);
                ASSERT_EQ(events.runs.size(), expected.size()) << where;
                for (std::size_t i = 0; i < expected.size(); ++i) {
                    EXPECT_EQ(events.runs[i].contact, expected[i].contact)
                        << where << ", run " << i;
                    EXPECT_EQ(events.runs[i].begin, expected[i].begin) << where << ", run " << i;
                    EXPECT_EQ(events.runs[i].end, expected[i].end) << where << ", run " << i;
                }
                EXPECT_GT(expected.size(), 100u) << where;
                ++records;
                raised += threshold > floor_n;
            }
        }
    }
    EXPECT_EQ(records, 24u);
    EXPECT_EQ(raised, 12u);  // the SD 6 N records
}

}  // namespace
}  // namespace hoplab::processing
