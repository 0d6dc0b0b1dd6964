// The live view's Qt-free core: bins in, columns out (exact), gaps, ring wrap, memory bound, and
// the parsing of hoplabd's live messages and errors.
#include <hoplab/viewer/comparison_model.hpp>
#include <hoplab/viewer/live_messages.hpp>
#include <hoplab/viewer/live_trace_buffer.hpp>

#include <gtest/gtest.h>

#include <string>

namespace hoplab::viewer {
namespace {

// 1000 Hz samples in 10-sample bins (100 Hz), a 1 s window: 100 bins fill it, and 10 columns of
// 0.1 s hold 10 bins each. Bin k (first sample 10·k) has min k N and max k + 0.5 N: both exact in
// float, so every expected value below is exact.
constexpr double kSampleRateHz = 1000.0;
constexpr double kBinRateHz = 100.0;

LiveForceBins bins(std::uint64_t first_bin, std::size_t count, const std::string& device = "left") {
    LiveForceBins out;
    out.device = device;
    out.bin_rate_hz = kBinRateHz;
    out.first_sample_index = first_bin * 10;
    for (std::size_t k = 0; k < count; ++k) {
        out.fz_min_n.push_back(static_cast<double>(first_bin + k));
        out.fz_max_n.push_back(static_cast<double>(first_bin + k) + 0.5);
    }
    return out;
}

LiveTraceBuffer one_second_buffer() {
    LiveTraceBuffer buffer(1.0);
    buffer.set_sample_rate_hz("left", kSampleRateHz);
    return buffer;
}

// Column c's centre: −1 s + (c + ½) · 0.1 s, computed as the buffer does; the tolerance only
// absorbs the last-bit difference of the two roundings.
constexpr double kCentreTolS = 1e-12;

TEST(LiveTraceBuffer, BinsInColumnsOut) {
    auto buffer = one_second_buffer();
    EXPECT_EQ(buffer.add(bins(0, 60)).outcome, LiveAddOutcome::appended);
    EXPECT_EQ(buffer.add(bins(60, 40)).outcome, LiveAddOutcome::appended);
    const auto view = buffer.columns("left", 10);
    ASSERT_EQ(view.columns.size(), 10u);
    for (std::size_t c = 0; c < 10; ++c) {
        EXPECT_NEAR(view.columns[c].t_s, -1.0 + (static_cast<double>(c) + 0.5) * 0.1, kCentreTolS);
        EXPECT_EQ(view.columns[c].min_n, static_cast<double>(10 * c)) << "column " << c;
        EXPECT_EQ(view.columns[c].max_n, static_cast<double>(10 * c + 9) + 0.5) << "column " << c;
    }
    EXPECT_TRUE(view.gaps.empty());
    ASSERT_TRUE(buffer.newest_s("left"));
    EXPECT_EQ(*buffer.newest_s("left"), 1.0);  // sample 1000 at 1000 Hz
}

TEST(LiveTraceBuffer, AShortHistoryFillsTheNewestColumnsOnly) {
    auto buffer = one_second_buffer();
    buffer.add(bins(0, 30));
    // Newest end: sample 300. Bin k starts 300 − 10k samples before it, i.e. at 700 + 10k of the
    // 1000-sample window: column 7 + k / 10.
    const auto view = buffer.columns("left", 10);
    ASSERT_EQ(view.columns.size(), 3u);
    EXPECT_NEAR(view.columns[0].t_s, -0.25, kCentreTolS);
    EXPECT_EQ(view.columns[0].min_n, 0.0);
    EXPECT_EQ(view.columns[2].max_n, 29.5);
}

TEST(LiveTraceBuffer, AJumpInTheSampleIndexIsAMarkedGap) {
    auto buffer = one_second_buffer();
    buffer.add(bins(0, 50));                       // samples 0–499
    const auto result = buffer.add(bins(70, 30));  // samples 700–999: 500–699 never came
    EXPECT_EQ(result.outcome, LiveAddOutcome::gap_marked);
    EXPECT_EQ(result.missing_samples, 200u);
    EXPECT_EQ(buffer.gap_count("left"), 1u);
    const auto view = buffer.columns("left", 10);
    ASSERT_EQ(view.gaps.size(), 1u);
    EXPECT_EQ(view.gaps[0].start_s, -0.5);  // sample 500, 500 samples before the newest end
    EXPECT_EQ(view.gaps[0].end_s, -0.3);    // sample 700
    // Columns 5 and 6 (samples 500–699) have no bin: no point is drawn across the gap.
    ASSERT_EQ(view.columns.size(), 8u);
    EXPECT_EQ(view.columns[4].max_n, 49.5);
    EXPECT_EQ(view.columns[5].min_n, 70.0);
    EXPECT_NEAR(view.columns[5].t_s, -0.25, kCentreTolS);
}

TEST(LiveTraceBuffer, AGapLeavesWithTheWindow) {
    auto buffer = one_second_buffer();
    buffer.add(bins(0, 10));
    buffer.add(bins(20, 10));  // gap: samples 100–199
    ASSERT_EQ(buffer.gap_count("left"), 1u);
    buffer.add(bins(30, 50));  // newest end 800: the gap's end is 600 samples old
    EXPECT_EQ(buffer.gap_count("left"), 1u);
    buffer.add(bins(80, 40));  // newest end 1200: 1000 samples old, out of the 1000-sample window
    EXPECT_EQ(buffer.gap_count("left"), 0u);
    EXPECT_TRUE(buffer.columns("left", 10).gaps.empty());
}

TEST(LiveTraceBuffer, TheRingWrapsAndKeepsTheNewestWindow) {
    auto buffer = one_second_buffer();
    for (std::uint64_t first = 0; first < 250; first += 7)
        buffer.add(bins(first, std::min<std::uint64_t>(7, 250 - first)));
    // ⌈1 s × 100 Hz⌉ + 1 bins: the window's 100 and the one being overwritten next.
    EXPECT_EQ(buffer.capacity_bins("left"), 101u);
    EXPECT_EQ(buffer.stored_bins("left"), 101u);
    const auto view = buffer.columns("left", 10);
    ASSERT_EQ(view.columns.size(), 10u);
    // Newest end: bin 250. The window holds bins 150–249; bin 149 is kept but 1010 samples old.
    for (std::size_t c = 0; c < 10; ++c) {
        EXPECT_EQ(view.columns[c].min_n, static_cast<double>(150 + 10 * c)) << "column " << c;
        EXPECT_EQ(view.columns[c].max_n, static_cast<double>(159 + 10 * c) + 0.5) << "column " << c;
    }
}

TEST(LiveTraceBuffer, MemoryStaysBoundedOverAnHourOfBins) {
    LiveTraceBuffer buffer(10.0);
    buffer.set_sample_rate_hz("left", kSampleRateHz);
    buffer.set_sample_rate_hz("right", kSampleRateHz);
    // One hour at 100 bins/s in messages of 2 bins (what a 10 ms coalescing timer sends at 200 Hz
    // bins is the same size order).
    for (std::uint64_t first = 0; first < 360'000; first += 2) {
        buffer.add(bins(first, 2, "left"));
        buffer.add(bins(first, 2, "right"));
    }
    for (const char* device : {"left", "right"}) {
        EXPECT_EQ(buffer.capacity_bins(device), 1001u);
        EXPECT_EQ(buffer.stored_bins(device), 1001u);
    }
    const auto view = buffer.columns("right", 1000);
    ASSERT_EQ(view.columns.size(), 1000u);
    EXPECT_EQ(view.columns.front().min_n, 359'000.0);
    EXPECT_EQ(view.columns.back().max_n, 359'999.5);
}

TEST(LiveTraceBuffer, ADeviceRestartClearsItsHistory) {
    auto buffer = one_second_buffer();
    buffer.add(bins(100, 50));
    const auto result = buffer.add(bins(0, 5));
    EXPECT_EQ(result.outcome, LiveAddOutcome::restarted);
    EXPECT_EQ(buffer.restarts("left"), 1u);
    EXPECT_EQ(buffer.stored_bins("left"), 5u);
    EXPECT_EQ(buffer.gap_count("left"), 0u);
}

TEST(LiveTraceBuffer, MisuseIsRefused) {
    EXPECT_THROW(LiveTraceBuffer(0.0), std::invalid_argument);
    EXPECT_THROW(LiveTraceBuffer(121.0), std::invalid_argument);
    auto buffer = one_second_buffer();
    EXPECT_THROW(buffer.set_sample_rate_hz("left", 0.0), std::invalid_argument);
    EXPECT_EQ(buffer.add(bins(0, 3, "unknown")).outcome, LiveAddOutcome::rate_unknown);
    EXPECT_EQ(buffer.stored_bins("unknown"), 0u);
    auto uneven = bins(0, 3);
    uneven.fz_max_n.pop_back();
    EXPECT_THROW(buffer.add(uneven), std::invalid_argument);
    auto too_fast = bins(0, 3);
    too_fast.bin_rate_hz = 2000.0;  // above the 1000 Hz sample rate
    EXPECT_THROW(buffer.add(too_fast), std::invalid_argument);
    EXPECT_TRUE(buffer.columns("left", 10).columns.empty());
}

TEST(LiveMessages, AForcesMessageParsesExactly) {
    const auto message = parse_live_message(
        R"({"type":"forces","devices":[{"device":"left","first_sample_index":12345,)"
        R"("rate_hz":200.0,"fz_min_n":[1.5,-2.25],"fz_max_n":[3.0,4.125]},)"
        R"({"device":"right","first_sample_index":12340,"rate_hz":200.0,"fz_min_n":[7.0],)"
        R"("fz_max_n":[8.5]}]})");
    ASSERT_TRUE(message);
    const auto* forces = std::get_if<LiveForces>(&*message);
    ASSERT_NE(forces, nullptr);
    ASSERT_EQ(forces->devices.size(), 2u);
    const auto& left = forces->devices[0];
    EXPECT_EQ(left.device, "left");
    EXPECT_EQ(left.bin_rate_hz, 200.0);
    EXPECT_EQ(left.first_sample_index, 12345u);
    EXPECT_EQ(left.fz_min_n, (std::vector<double>{1.5, -2.25}));
    EXPECT_EQ(left.fz_max_n, (std::vector<double>{3.0, 4.125}));
    const auto& right = forces->devices[1];
    EXPECT_EQ(right.device, "right");
    EXPECT_EQ(right.first_sample_index, 12340u);
    EXPECT_EQ(right.fz_min_n, (std::vector<double>{7.0}));
    EXPECT_EQ(right.fz_max_n, (std::vector<double>{8.5}));
}

TEST(LiveMessages, HopContactsKeepTheNameContactTime) {
    const auto rows = trial_metric_rows(
        R"({"protocol":"repeated-hops","body_weight_N":735.5,"summary":{"contacts":9,)"
        R"("mean_contact_time_s":0.25}})");
    ASSERT_GE(rows.size(), 3u);
    EXPECT_EQ(rows[2].metric, "contact_time_s");
    EXPECT_EQ(rows[2].name, "contact time");
    EXPECT_EQ(rows[2].value, 0.25);
}

TEST(LiveMessages, ATrialStoppedMessageGivesTheMetricsOfTheLeftRightView) {
    const auto message = parse_live_message(
        R"({"type":"trial_stopped","trial":{"id":"trial-002","protocol":"single-leg-hop",)"
        R"("limb":"left","start_utc":"x","status":"complete"},"analysis":{"body_weight_N":735.5,)"
        R"("protocol":"single-leg-hop",)"
        R"("summary":{"contacts":1,"mean_contact_time_s":1.979394248504651,)"
        R"("mean_flight_time_s":0.35,"mean_jump_height_m":0.15,"mean_rsi":null,)"
        R"("mean_peak_force_N":1409.0189597365945},"landing":{"peak_force_N":1682.5,)"
        R"("time_to_stabilisation_s":0.3}}})");
    ASSERT_TRUE(message);
    const auto* stopped = std::get_if<LiveTrialStopped>(&*message);
    ASSERT_NE(stopped, nullptr);
    EXPECT_EQ(stopped->trial_id, "trial-002");
    ASSERT_EQ(stopped->metrics.size(), 9u);
    EXPECT_EQ(stopped->metrics[0].name, "jump height");
    EXPECT_EQ(stopped->metrics[0].value, 0.15);
    EXPECT_EQ(stopped->metrics[2].metric, "contact_time_s");
    // The push-off stance of a single-leg hop is not a hop's ground contact.
    EXPECT_EQ(stopped->metrics[2].name, "stance before take-off");
    EXPECT_EQ(stopped->metrics[2].value, 1.979394248504651);
    EXPECT_EQ(stopped->metrics[3].name, "RSI");
    EXPECT_FALSE(stopped->metrics[3].value);  // null in the analysis: shown as "—"
    EXPECT_EQ(stopped->metrics[4].name, "peak force");
    EXPECT_EQ(stopped->metrics[4].value, 1409.0189597365945);
    EXPECT_EQ(stopped->metrics[5].value, 1.0);
    EXPECT_EQ(stopped->metrics[6].value, 735.5);
    EXPECT_EQ(stopped->metrics[7].value, 1682.5);
    EXPECT_EQ(stopped->metrics[8].value, 0.3);
}

TEST(LiveMessages, MalformedAndUnknownMessages) {
    EXPECT_FALSE(parse_live_message(R"({"type":"hello_from_the_future"})"));
    try {
        parse_live_message(R"({"type":"forces","devices":[{"device":"left","rate_hz":200,)"
                           R"("first_sample_index":-3,"fz_min_n":[],"fz_max_n":[]}]})");
        FAIL() << "a negative index was accepted";
    } catch (const LiveProtocolError& error) {
        EXPECT_STREQ(error.what(),
                     "forces message: \"first_sample_index\" is not an unsigned integer");
    }
    try {
        parse_live_message(R"({"type":"forces","devices":[{"device":"left","rate_hz":200,)"
                           R"("first_sample_index":0,"fz_min_n":[1],"fz_max_n":[]}]})");
        FAIL() << "uneven bins were accepted";
    } catch (const LiveProtocolError& error) {
        EXPECT_STREQ(error.what(), "forces message: fz_min_n and fz_max_n differ in length");
    }
    EXPECT_THROW(parse_live_message(R"({"type":"forces","devices":{}})"), LiveProtocolError);
    EXPECT_THROW(parse_live_message(R"({"type":"forces","devices":[3]})"), LiveProtocolError);
    // The per-device message of daemons before session 8 is a type this viewer does not know.
    EXPECT_FALSE(parse_live_message(R"({"type":"force","device":"left","rate_hz":200,)"
                                    R"("first_sample_index":0,"fz_min_n":[],"fz_max_n":[]})"));
    EXPECT_THROW(parse_live_message("not json"), LiveProtocolError);
    EXPECT_THROW(parse_live_message(R"({"type":"trial_started"})"), LiveProtocolError);
}

TEST(LiveMessages, ARefusalShowsTheDaemonsMessageVerbatim) {
    EXPECT_EQ(api_error_text("POST /api/v1/trials/start", 409,
                             R"({"error": "no session is open: POST /api/v1/sessions first"})"),
              "POST /api/v1/trials/start: 409 no session is open: POST /api/v1/sessions first");
    EXPECT_EQ(api_error_text("GET /api/v1/status", 502, "Bad Gateway"),
              "GET /api/v1/status: 502 Bad Gateway");
    EXPECT_EQ(api_error_text("GET /x", 500, std::string(400, 'a')),
              "GET /x: 500 " + std::string(300, 'a'));
}

TEST(LiveMessages, StatusDevicesWithAndWithoutARate) {
    const auto devices = parse_status_devices(
        R"({"devices":[{"name":"left","limb":"left","rate_hz":1000.0,"connected":true},)"
        R"({"name":"right","limb":null,"rate_hz":0,"connected":false}]})");
    ASSERT_EQ(devices.size(), 2u);
    EXPECT_EQ(devices[0].limb, "left");
    EXPECT_EQ(devices[0].sample_rate_hz, 1000.0);
    EXPECT_TRUE(devices[0].connected);
    EXPECT_FALSE(devices[1].limb);
    EXPECT_FALSE(devices[1].sample_rate_hz);
    EXPECT_THROW(parse_status_devices(R"({"devices":3})"), LiveProtocolError);
}

// Minor item of #6: an asymmetry of 0.0 % names no weaker side.
TEST(WeakerSide, ZeroAsymmetryIsEqual) {
    processing::SymmetryRow row;
    row.metric = "jump_height_m";
    row.direction = processing::MetricDirection::higher_is_better;
    row.left = 0.2;
    row.right = 0.2;
    row.asymmetry_pct = 0.0;
    row.lsi_pct = 100.0;
    EXPECT_EQ(weaker_side(row), "equal");
    EXPECT_EQ(metric_label(row), "jump height\nLSI 100.0 % · equal");
    // 0.04 % is shown as 0.0 %: processing names a weaker side, the view does not.
    row.right = 0.19992;
    row.asymmetry_pct = 0.04;
    row.weaker = processing::Limb::right;
    EXPECT_EQ(weaker_side(row), "equal");
    row.asymmetry_pct = 0.05;  // shown as 0.1 % (round half away from zero)
    EXPECT_EQ(weaker_side(row), "right");
    row.right = 0.18;
    row.asymmetry_pct = 10.0;
    row.lsi_pct = 90.0;
    row.weaker = processing::Limb::right;
    EXPECT_EQ(weaker_side(row), "right");
    EXPECT_EQ(metric_label(row), "jump height\nLSI 90.0 % · right weaker");
    row.direction = processing::MetricDirection::none;  // peak force: neither side is "weaker"
    EXPECT_FALSE(weaker_side(row));
    row.direction = processing::MetricDirection::higher_is_better;
    row.asymmetry_pct.reset();  // a limb without a value
    EXPECT_FALSE(weaker_side(row));
}

}  // namespace
}  // namespace hoplab::viewer
