// Write a full session and read it back: every value must come back exactly (bit-identical samples,
// equal attributes), because nothing between writer and reader is allowed to convert lossily.

#include "test_session.hpp"

#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/recording/format.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/version.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <map>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::raw_counts;
using testing::ScratchDir;
using testing::trial_wrenches;

bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

struct ExpectedStream {
    std::vector<double> values;  // rows × 6
    std::vector<BlockRecord> blocks;
    std::vector<GapRecord> gaps;
};

struct ExpectedTrial {
    std::map<std::size_t, std::vector<calibration::Wrench>> force;
};

class RoundTripTest : public ::testing::Test {
  protected:
    void SetUp() override {
        file_ = scratch_.file("round-trip.h5");
        WriterOptions options;
        options.chunk_rows =
            64;  // small, so appends cross many chunk boundaries and flushes leave partial chunks
        options.flush_interval = std::chrono::milliseconds(0);
        SessionWriter writer(file_, make_session(), make_devices(), options);

        // Device 0: 20 blocks of 37 samples from sample 1000, 50 samples lost before block 10.
        // Device 1: 15 blocks of 50 samples from sample 0.
        std::uint64_t next[2] = {1000, 0};
        const std::uint32_t block_samples[2] = {37, 50};
        const auto append_block = [&](std::size_t device, std::int64_t block_index) {
            BlockRecord block{next[device], block_samples[device],
                              5'000'000'000LL + block_index * 37'000'123LL,
                              9'000'000'000LL + block_index * 37'001'000LL +
                                  static_cast<std::int64_t>(device) * 7};
            const auto values = raw_counts(device, next[device], block.n_samples, 6);
            writer.append_raw(device, block, values);
            expected_[device].values.insert(expected_[device].values.end(), values.begin(),
                                            values.end());
            expected_[device].blocks.push_back(block);
            next[device] += block.n_samples;
        };
        for (std::int64_t b = 0; b < 20; ++b) {
            if (b == 10) {
                const GapRecord gap{next[0], 50, "sequence gap: frames 41-42 lost"};
                writer.record_gap(0, gap);
                expected_[0].gaps.push_back(gap);
                next[0] += 50;
            }
            append_block(0, b);
            if (b < 15) {
                append_block(1, b);
            }
            if (b == 3) {
                tare_ = TareRecord{"2026-11-23T01:31:00.000Z",
                                   {1.5, -2.0, 300.25, 0.0, 0.125, -7.0},
                                   {0.5, 0.5, 1.25, 0.01, 0.02, 0.03}};
                writer.record_tare(0, tare_, make_devices()[0].calibration);
                writer.record_tare(
                    1, TareRecord{"2026-11-23T01:31:00.500Z", std::vector<double>(6, 2.0), {}},
                    make_devices()[1].calibration);
            }
            if (b == 5) {
                writer.flush();
            }
            if (b == 6) {
                begin_first_trial(writer);
            }
            if (b == 12) {
                end_first_trial(writer);
                second_trial(writer);
            }
        }
        writer.close();
    }

    void begin_first_trial(SessionWriter& writer) {
        TrialStart start{"trial-001",
                         processing::Protocol::single_leg_hop,
                         processing::Limb::left,
                         "2026-11-23T01:32:00.000Z",
                         {1222, 350},
                         "first hop"};
        writer.begin_trial(start);
        for (std::size_t device = 0; device < 2; ++device) {
            for (std::uint64_t first = 0; first < 500; first += 37) {
                const auto samples =
                    trial_wrenches(device, first, std::min<std::uint64_t>(37, 500 - first));
                writer.append_trial_force(device, samples);
                auto& all = trials_[0].force[device];
                all.insert(all.end(), samples.begin(), samples.end());
            }
        }
        writer.flush();
    }

    void end_first_trial(SessionWriter& writer) {
        analysis_.id = "trial-001";
        analysis_.source = "round-trip.h5";
        TrialEnd end{"2026-11-23T01:32:05.500Z",
                     {1722, 850},
                     "complete",
                     {{"touchdown", 0.125}, {"take-off", 0.4375}, {"touchdown", 0.875}},
                     analysis_};
        writer.end_trial(end);
    }

    void second_trial(SessionWriter& writer) {
        writer.begin_trial(TrialStart{"trial-002",
                                      processing::Protocol::cmj,
                                      processing::Limb::both,
                                      "2026-11-23T01:33:00.000Z",
                                      {},
                                      ""});
        for (std::size_t device = 0; device < 2; ++device) {
            const auto samples = trial_wrenches(device, 7, 300);
            writer.append_trial_force(device, samples);
            trials_[1].force[device] = samples;
        }
        writer.end_trial(TrialEnd{
            "2026-11-23T01:33:04.000Z", {}, "aborted: athlete stepped off", {}, std::nullopt});
    }

    ScratchDir scratch_;
    std::filesystem::path file_;
    ExpectedStream expected_[2];
    ExpectedTrial trials_[2];
    TareRecord tare_;
    processing::TrialAnalysis analysis_{};
};

TEST_F(RoundTripTest, SessionAndAthleteAttributesAreEqual) {
    const SessionReader reader(file_);
    const SessionInfo expected = make_session();
    EXPECT_EQ(reader.format_version(), kFormatVersion);
    EXPECT_EQ(reader.software_version(), std::string(kSoftwareVersion));
    EXPECT_FALSE(reader.opened_while_writing());
    EXPECT_TRUE(reader.closed_utc().has_value());
    EXPECT_FALSE(reader.recovered_utc().has_value());
    EXPECT_EQ(reader.session().created_utc, expected.created_utc);
    EXPECT_EQ(reader.session().lab, expected.lab);
    EXPECT_EQ(reader.session().operator_name, expected.operator_name);
    EXPECT_EQ(reader.session().notes, expected.notes);
    EXPECT_EQ(reader.session().athlete.id, expected.athlete.id);
    EXPECT_EQ(reader.session().athlete.mass_kg, expected.athlete.mass_kg);
    EXPECT_EQ(reader.session().athlete.involved_limb, expected.athlete.involved_limb);
    EXPECT_EQ(reader.session().athlete.notes, expected.athlete.notes);
}

TEST_F(RoundTripTest, DevicesAreEqual) {
    const SessionReader reader(file_);
    const auto expected = make_devices();
    ASSERT_EQ(reader.devices().size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const DeviceInfo& device = reader.devices()[i];
        EXPECT_EQ(device.name, expected[i].name);
        EXPECT_EQ(device.model, expected[i].model);
        EXPECT_EQ(device.serial, expected[i].serial);
        EXPECT_EQ(device.transport, expected[i].transport);
        EXPECT_EQ(device.rate_hz, expected[i].rate_hz);
        EXPECT_EQ(device.channel_names, expected[i].channel_names);
        EXPECT_EQ(device.raw_format, expected[i].raw_format);
        EXPECT_EQ(device.limb, expected[i].limb);
        EXPECT_EQ(device.calibration.to_toml(), expected[i].calibration.to_toml());
    }
    EXPECT_TRUE(reader.has_raw_streams());
}

TEST_F(RoundTripTest, RawSamplesAreBitIdentical) {
    const SessionReader reader(file_);
    for (std::size_t device = 0; device < 2; ++device) {
        const std::string name = make_devices()[device].name;
        const RawSamples raw = reader.raw_samples(name);
        EXPECT_EQ(raw.unit, "count");
        EXPECT_EQ(raw.channels, 6U);
        ASSERT_EQ(raw.values.size(), expected_[device].values.size()) << name;
        EXPECT_EQ(reader.raw_sample_count(name), expected_[device].values.size() / 6);
        for (std::size_t k = 0; k < raw.values.size(); ++k) {
            ASSERT_TRUE(same_bits(raw.values[k], expected_[device].values[k]))
                << name << " value " << k;
        }
        // A range read returns the same rows.
        const RawSamples part = reader.raw_samples(name, 63, 5);
        ASSERT_EQ(part.values.size(), 30U);
        for (std::size_t k = 0; k < part.values.size(); ++k) {
            EXPECT_TRUE(same_bits(part.values[k], expected_[device].values[63 * 6 + k]));
        }
    }
}

TEST_F(RoundTripTest, BlocksGapsAndTaresAreEqual) {
    const SessionReader reader(file_);
    for (std::size_t device = 0; device < 2; ++device) {
        const std::string name = make_devices()[device].name;
        const auto blocks = reader.blocks(name);
        ASSERT_EQ(blocks.size(), expected_[device].blocks.size());
        for (std::size_t b = 0; b < blocks.size(); ++b) {
            EXPECT_EQ(blocks[b].first_sample_index, expected_[device].blocks[b].first_sample_index);
            EXPECT_EQ(blocks[b].n_samples, expected_[device].blocks[b].n_samples);
            EXPECT_EQ(blocks[b].device_time_ns, expected_[device].blocks[b].device_time_ns);
            EXPECT_EQ(blocks[b].host_time_ns, expected_[device].blocks[b].host_time_ns);
        }
        const auto gaps = reader.gaps(name);
        ASSERT_EQ(gaps.size(), expected_[device].gaps.size());
        for (std::size_t g = 0; g < gaps.size(); ++g) {
            EXPECT_EQ(gaps[g].first_missing_index, expected_[device].gaps[g].first_missing_index);
            EXPECT_EQ(gaps[g].count, expected_[device].gaps[g].count);
            EXPECT_EQ(gaps[g].reason, expected_[device].gaps[g].reason);
        }
    }
    EXPECT_EQ(reader.gaps("left").front().first_missing_index, 1000U + 10U * 37U);

    const auto tares = reader.tares("left");
    ASSERT_EQ(tares.size(), 1U);
    EXPECT_EQ(tares[0].utc, tare_.utc);
    EXPECT_EQ(tares[0].offsets, tare_.offsets);
    EXPECT_EQ(tares[0].noise_sd, tare_.noise_sd);
    const auto right_tares = reader.tares("right");
    ASSERT_EQ(right_tares.size(), 1U);
    EXPECT_TRUE(right_tares[0].noise_sd.empty());  // not measured
}

TEST_F(RoundTripTest, ClockMapIsTheLineThroughTheBlocks) {
    const SessionReader reader(file_);
    // Device 0's blocks lie exactly on host = 9e9 + 37'001'000·b, device = 5e9 + 37'000'123·b, so
    // the slope is 37'001'000 / 37'000'123 and the residual is zero up to double rounding (1e-6 ns
    // relative to ~1e9 ns sums). A block's point is its last sample's device time: 36 samples of
    // 1 ms after its first (the offset then holds the transport delay only, not the block's
    // duration).
    const auto map = reader.clock_map("left");
    ASSERT_TRUE(map.has_value());
    EXPECT_EQ(map->blocks, 20U);
    EXPECT_EQ(map->device_reference_ns, 5'036'000'000LL);
    EXPECT_NEAR(map->slope, 37'001'000.0 / 37'000'123.0, 1e-12);
    EXPECT_NEAR(map->host_at_reference_ns, 9'000'000'000.0, 1e-3);
    EXPECT_NEAR(map->residual_sd_ns, 0.0, 1e-3);
}

TEST_F(RoundTripTest, TrialsAreListedWithTheirAttributesAndEvents) {
    const SessionReader reader(file_);
    const auto trials = reader.trials();
    ASSERT_EQ(trials.size(), 2U);
    const TrialSummaryInfo& first = trials[0];
    EXPECT_EQ(first.id, "trial-001");
    EXPECT_EQ(first.protocol, processing::Protocol::single_leg_hop);
    EXPECT_EQ(first.limb, processing::Limb::left);
    EXPECT_EQ(first.status, "complete");
    EXPECT_EQ(first.start_utc, "2026-11-23T01:32:00.000Z");
    EXPECT_EQ(first.stop_utc, "2026-11-23T01:32:05.500Z");
    EXPECT_EQ(first.notes, "first hop");
    EXPECT_EQ(first.start_sample_index, (std::vector<std::uint64_t>{1222, 350}));
    EXPECT_EQ(first.stop_sample_index, (std::vector<std::uint64_t>{1722, 850}));
    EXPECT_EQ(first.devices, (std::vector<std::string>{"left", "right"}));
    EXPECT_EQ(first.rate_hz, 1000.0);
    EXPECT_EQ(first.samples, 500U);
    ASSERT_EQ(first.events.size(), 3U);
    EXPECT_EQ(first.events[1].kind, "take-off");
    EXPECT_EQ(first.events[1].time_s, 0.4375);
    EXPECT_TRUE(first.has_analysis);

    const TrialSummaryInfo& second = trials[1];
    EXPECT_EQ(second.id, "trial-002");
    EXPECT_EQ(second.protocol, processing::Protocol::cmj);
    EXPECT_EQ(second.limb, processing::Limb::both);
    EXPECT_EQ(second.status, "aborted: athlete stepped off");
    // Not given: the writer took the index after the last raw sample received at begin and at end.
    // Device 0 had 13 blocks of 37 plus the 50-sample gap after sample 1000 when the trial began
    // (after block 12).
    EXPECT_EQ(second.start_sample_index,
              (std::vector<std::uint64_t>{1000 + 13 * 37 + 50, 13 * 50}));
    EXPECT_EQ(second.stop_sample_index, second.start_sample_index);
    EXPECT_TRUE(second.events.empty());
    EXPECT_FALSE(second.has_analysis);
    EXPECT_EQ(reader.trial("trial-002").samples, 300U);
}

TEST_F(RoundTripTest, TrialForceIsBitIdenticalAndCopFollowsTheCalibration) {
    const SessionReader reader(file_);
    const double threshold_n = WriterOptions{}.cop_threshold_n;
    for (std::size_t t = 0; t < 2; ++t) {
        const std::string id = t == 0 ? "trial-001" : "trial-002";
        for (std::size_t device = 0; device < 2; ++device) {
            const DeviceInfo info = make_devices()[device];
            const TrialForce force = reader.trial_force(id, info.name);
            const auto& expected = trials_[t].force.at(device);
            EXPECT_EQ(force.rate_hz, 1000.0);
            EXPECT_EQ(force.starting_time_s, 0.0);
            EXPECT_EQ(force.cop_threshold_n, threshold_n);
            ASSERT_EQ(force.samples.size(), expected.size());
            ASSERT_EQ(force.cop.size(), expected.size());
            std::size_t defined = 0;
            for (std::size_t k = 0; k < expected.size(); ++k) {
                const auto& a = force.samples[k];
                const auto& b = expected[k];
                ASSERT_TRUE(same_bits(a.fx_n, b.fx_n) && same_bits(a.fy_n, b.fy_n) &&
                            same_bits(a.fz_n, b.fz_n) && same_bits(a.mx_nm, b.mx_nm) &&
                            same_bits(a.my_nm, b.my_nm) && same_bits(a.mz_nm, b.mz_nm))
                    << id << " " << info.name << " sample " << k;
                const auto cop = info.calibration.centre_of_pressure(b, threshold_n);
                ASSERT_EQ(force.cop[k].has_value(), cop.has_value()) << k;
                if (cop) {
                    ++defined;
                    EXPECT_TRUE(same_bits(force.cop[k]->x_m, cop->x_m));
                    EXPECT_TRUE(same_bits(force.cop[k]->y_m, cop->y_m));
                    EXPECT_TRUE(same_bits(force.cop[k]->free_moment_nm, cop->free_moment_nm));
                }
            }
            // The trace spends part of the trial in the air: both defined and undefined COP must
            // occur.
            EXPECT_GT(defined, 0U);
            EXPECT_LT(defined, expected.size());
        }
    }
    // A sample range: rows 100..149 of trial-001, starting 0.1 s after the trial start.
    const TrialForce part = reader.trial_force("trial-001", "right", 100, 50);
    ASSERT_EQ(part.samples.size(), 50U);
    EXPECT_DOUBLE_EQ(part.starting_time_s, 0.1);
    EXPECT_TRUE(same_bits(part.samples[0].fz_n, trials_[0].force.at(1)[100].fz_n));
    EXPECT_THROW((void)reader.trial_force("trial-001", "right", 480, 21), std::out_of_range);
}

TEST_F(RoundTripTest, AnalysisJsonIsStoredVerbatim) {
    const SessionReader reader(file_);
    const auto json = reader.trial_analysis_json("trial-001");
    ASSERT_TRUE(json.has_value());
    // Compared as text: a NaN in the analysis is dumped as null on both sides.
    EXPECT_EQ(nlohmann::json::parse(*json).dump(), processing::to_json(analysis_).dump());
    EXPECT_FALSE(reader.trial_analysis_json("trial-002").has_value());
}

TEST_F(RoundTripTest, UnknownTrialOrDeviceNamesTheObject) {
    const SessionReader reader(file_);
    try {
        (void)reader.trial_force("trial-009", "left");
        FAIL() << "no error for a missing trial";
    } catch (const RecordingError& error) {
        EXPECT_EQ(error.object_path(), "/trials/trial-009");
        EXPECT_NE(std::string(error.what()).find("round-trip.h5"), std::string::npos);
    }
    EXPECT_THROW((void)reader.gaps("middle"), RecordingError);
}

TEST_F(RoundTripTest, VerticalForceAloneIsTheFzColumnBitForBit) {
    const SessionReader reader(file_);
    for (std::size_t t = 0; t < 2; ++t) {
        const std::string id = t == 0 ? "trial-001" : "trial-002";
        for (std::size_t device = 0; device < 2; ++device) {
            const auto vertical = reader.trial_vertical_force(id, make_devices()[device].name);
            const auto& expected = trials_[t].force.at(device);
            EXPECT_EQ(vertical.rate_hz, 1000.0);
            EXPECT_EQ(vertical.starting_time_s, 0.0);
            ASSERT_EQ(vertical.fz_n.size(), expected.size());
            for (std::size_t k = 0; k < expected.size(); ++k) {
                ASSERT_TRUE(same_bits(vertical.fz_n[k], expected[k].fz_n)) << id << " " << k;
            }
        }
    }
    EXPECT_THROW((void)reader.trial_vertical_force("trial-009", "left"), RecordingError);
}

TEST(FloatStreamTest, Float32SamplesAreBitIdentical) {
    ScratchDir scratch;
    const auto file = scratch.file("volts.h5");
    std::vector<float> written;
    {
        WriterOptions options;
        options.chunk_rows = 100;
        options.compress_raw = true;
        SessionWriter writer(file, make_session(), make_devices(RawFormat::float32_volts), options);
        for (std::uint64_t b = 0; b < 7; ++b) {
            const auto values = testing::raw_volts(0, b * 33, 33, 6);
            writer.append_raw(0, BlockRecord{b * 33, 33, 0, 0}, values);
            written.insert(written.end(), values.begin(), values.end());
        }
    }
    const SessionReader reader(file);
    const RawSamples raw = reader.raw_samples("left");
    EXPECT_EQ(raw.unit, "V");
    ASSERT_EQ(raw.values.size(), written.size());
    for (std::size_t k = 0; k < written.size(); ++k) {
        ASSERT_TRUE(same_bits(raw.values[k], static_cast<double>(written[k]))) << k;
    }
    EXPECT_EQ(reader.raw_sample_count("right"), 0U);
    EXPECT_FALSE(reader.clock_map("right").has_value());
}

// The daemon analyses a trial from what the writer reads back, not from a copy in memory: the read
// must return every appended row bit for bit, whether it is in a written chunk, a partly written
// chunk (after a flush) or still buffered.
TEST(OpenTrialReadBackTest, EveryAppendedRowComesBackBitForBit) {
    ScratchDir scratch;
    WriterOptions options;
    options.chunk_rows = 64;
    options.flush_interval = std::chrono::milliseconds(60'000);  // flushes only where called
    const auto devices = make_devices();
    SessionWriter writer(scratch.file("read-back.h5"), make_session(), devices, options);
    EXPECT_THROW((void)writer.trial_samples(0), std::invalid_argument);  // no trial open
    writer.begin_trial(TrialStart{"trial-001",
                                  processing::Protocol::single_leg_hop,
                                  processing::Limb::left,
                                  "2026-11-23T01:32:00.000Z",
                                  {},
                                  ""});
    std::vector<calibration::Wrench> appended;
    const auto check = [&](std::size_t rows) {
        ASSERT_EQ(writer.trial_samples(0), rows);
        const std::vector<double> fz = writer.trial_vertical_force(0);
        const processing::PlateSeries plate = writer.trial_plate(0);
        ASSERT_EQ(fz.size(), rows);
        ASSERT_EQ(plate.cop.size(), rows);
        std::size_t defined = 0;
        for (std::size_t k = 0; k < rows; ++k) {
            const auto& w = appended[k];
            ASSERT_TRUE(same_bits(fz[k], w.fz_n) && same_bits(plate.fz_n[k], w.fz_n) &&
                        same_bits(plate.fx_n[k], w.fx_n) && same_bits(plate.fy_n[k], w.fy_n))
                << "row " << k << " of " << rows;
            const auto cop = devices[0].calibration.centre_of_pressure(w, options.cop_threshold_n);
            ASSERT_EQ(plate.cop[k].has_value(), cop.has_value()) << k;
            if (cop) {
                ++defined;
                EXPECT_TRUE(same_bits(plate.cop[k]->x_m, cop->x_m) &&
                            same_bits(plate.cop[k]->y_m, cop->y_m));
            }
        }
        if (rows > 200) {
            EXPECT_GT(defined, 0U);  // the trace has stance and flight
            EXPECT_LT(defined, rows);
        }
    };
    check(0);
    // 37-row pieces: whole chunks written, a flush leaving a partial chunk, rows still buffered.
    for (std::uint64_t first = 0; first < 500; first += 37) {
        const auto samples = trial_wrenches(0, first, 37);
        writer.append_trial_force(0, samples);
        appended.insert(appended.end(), samples.begin(), samples.end());
        if (first == 148) {
            writer.flush();
        }
        check(appended.size());
    }
    EXPECT_EQ(writer.trial_samples(1), 0U);  // the other plate received nothing
    EXPECT_THROW((void)writer.trial_plate(2), std::invalid_argument);
    writer.end_trial(TrialEnd{"2026-11-23T01:32:05.000Z", {}, "complete", {}, std::nullopt});
    EXPECT_THROW((void)writer.trial_vertical_force(0), std::invalid_argument);
}

TEST(AnalysisOnlyFileTest, TrialsWithoutRawStreams) {
    ScratchDir scratch;
    const auto file = scratch.file("simulated.h5");
    const auto samples = trial_wrenches(0, 0, 2500);
    {
        WriterOptions options;
        options.raw_streams = false;
        options.swmr = false;
        auto devices = make_devices();
        devices.resize(1);
        SessionWriter writer(file, make_session(), devices, options);
        EXPECT_THROW(writer.append_raw(0, BlockRecord{0, 1, 0, 0}, std::vector<std::int32_t>(6)),
                     std::invalid_argument);
        writer.begin_trial(TrialStart{"sim-1",
                                      processing::Protocol::drop_jump,
                                      processing::Limb::left,
                                      "2026-11-23T02:00:00.000Z",
                                      {},
                                      "simulated"});
        writer.append_trial_force(0, samples);
        writer.end_trial(
            TrialEnd{"2026-11-23T02:00:02.500Z", {}, "", {{"touchdown", 0.5}}, std::nullopt});
    }
    const SessionReader reader(file);
    EXPECT_FALSE(reader.has_raw_streams());
    EXPECT_THROW((void)reader.raw_samples("left"), RecordingError);
    const auto trials = reader.trials();
    ASSERT_EQ(trials.size(), 1U);
    EXPECT_EQ(trials[0].status, "complete");  // empty status means complete
    EXPECT_EQ(trials[0].start_sample_index, (std::vector<std::uint64_t>{0}));
    EXPECT_EQ(trials[0].stop_sample_index, (std::vector<std::uint64_t>{2500}));
    const TrialForce force = reader.trial_force("sim-1", "left");
    ASSERT_EQ(force.samples.size(), samples.size());
    for (std::size_t k = 0; k < samples.size(); ++k) {
        ASSERT_TRUE(same_bits(force.samples[k].fz_n, samples[k].fz_n)) << k;
    }
}

}  // namespace
}  // namespace hoplab::recording
