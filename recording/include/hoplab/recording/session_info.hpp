#pragma once

// The data model of a session file, shared by SessionWriter and SessionReader.
// docs/recording-format.md says where each field lives in the HDF5 file.

#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::recording {

struct AthleteInfo {
    std::string id;
    std::optional<double> mass_kg;
    std::optional<processing::Limb> involved_limb;
    std::string notes;
};

struct SessionInfo {
    AthleteInfo athlete;
    std::string operator_name;
    std::string lab;
    std::string notes;
    std::string
        created_utc;  // ISO 8601, e.g. "2026-11-23T01:30:00.000Z"; the writer fills it when empty
};

// How a device's raw channels are stored: int32 ADC counts (unit "count"), float32 volts ("V") or
// float32 newtons already scaled by the device ("N").
enum class RawFormat { int32_counts, float32_volts, float32_newtons };

struct DeviceInfo {
    std::string name;  // validated: [A-Za-z0-9_-]{1,64} — it becomes an HDF5 path component
    std::string model, serial, transport;
    double rate_hz = 0;                      // > 0
    std::vector<std::string> channel_names;  // raw channels, e.g. {"fx","fy","fz","mx","my","mz"}
    RawFormat raw_format = RawFormat::int32_counts;
    std::optional<processing::Limb> limb;  // which limb stands on this plate in single-leg work
    calibration::PlateCalibration calibration;  // the calibration in effect when the session opened
};

// Samples [first_missing_index, first_missing_index + count) of a device never reached the file.
struct GapRecord {
    std::uint64_t first_missing_index = 0;
    std::uint64_t count = 0;
    std::string reason;  // stored in at most 63 bytes
};

// One received block of raw samples: the input of the device-to-host clock map.
struct BlockRecord {
    std::uint64_t first_sample_index =
        0;  // the device's sample counter of the block's first sample
    std::uint32_t n_samples = 0;
    std::int64_t device_time_ns = 0;  // device clock at the first sample
    std::int64_t host_time_ns = 0;    // host steady clock when the block was received
};

// A zeroing of a plate with nobody on it: per raw channel, the mean (offsets) and SD (noise_sd) of
// the unloaded signal, in the raw unit of the stream.
struct TareRecord {
    std::string utc;
    std::vector<double> offsets;   // one per raw channel
    std::vector<double> noise_sd;  // one per raw channel, or empty when not measured
};

struct TrialStart {
    std::string id;  // validated like a device name
    processing::Protocol protocol;
    processing::Limb limb;
    std::string start_utc;
    // Per device, in device order: the device sample index at which the trial starts. Empty: the
    // writer uses the index after the last raw sample it has received (0 for a file without raw
    // streams).
    std::vector<std::uint64_t> start_sample_index;
    std::string notes;
};

struct TrialEvent {
    std::string kind;  // "touchdown", "take-off", ...; stored in at most 31 bytes
    double time_s;     // seconds from trial start
};

struct TrialEnd {
    std::string stop_utc;
    // Per device, as in TrialStart. Empty: the writer uses the index after the last raw sample
    // received, or for a file without raw streams start index + calibrated samples written.
    std::vector<std::uint64_t> stop_sample_index;
    std::string status;  // "complete" or "aborted: <reason>"; empty means "complete"
    std::vector<TrialEvent> events;
    std::optional<processing::TrialAnalysis> analysis;
};

struct WriterOptions {
    // The caller (the daemon's recorder thread) calls flush() on this cadence; appends also flush
    // by themselves when this much time has passed since the last flush, so at most this interval
    // is lost to a kill -9.
    std::chrono::milliseconds flush_interval{250};
    // shuffle + deflate level 1 on /streams/<name>/raw. On by default: measured at 1.4 M samples/s
    // (8 channels, float32), about 350× what two 2 kHz plates need, for files a third smaller
    // (docs/recording-format.md §10).
    bool compress_raw = true;
    // Rows per chunk of every time-series dataset; also the rows buffered in memory per dataset
    // before a write.
    std::size_t chunk_rows = 4096;
    // False writes an analysis-only file (hoplab simulate / import): devices and trials, no
    // /streams.
    bool raw_streams = true;
    // SWMR writing (crash safety, live readers). Needs HDF5 >= 1.10 to read; false writes the
    // oldest format that can hold the file, for analysis-only files that must open in older tools.
    bool swmr = true;
    // Centre of pressure is stored only where Fz >= this (METHODS §6.5: the contact threshold, at
    // least 20 N).
    double cop_threshold_n = 20.0;
};

struct TrialSummaryInfo {
    std::string id;
    processing::Protocol protocol;
    processing::Limb limb;
    std::string
        status;  // "recording" while the writer has it open (or after a crash, before recover())
    std::string start_utc, stop_utc;  // stop_utc empty while recording
    double rate_hz;                   // of the first device with calibrated force
    std::size_t samples;              // calibrated rows of the first device with calibrated force
    std::string notes;
    std::vector<std::string> devices;  // devices with calibrated force in this trial
    std::vector<std::uint64_t> start_sample_index;
    std::vector<std::uint64_t> stop_sample_index;  // empty while recording
    // Per device: the rows of /streams/<device>/raw when the trial began. Absent from files
    // without raw streams and from files written before the attribute existed (session 7).
    std::optional<std::vector<std::uint64_t>> start_raw_row;
    std::vector<TrialEvent> events;
    bool has_analysis = false;
};

// A trial's vertical force alone (for displays and vertical-force analysis: a third of the bytes
// of TrialForce's force dataset and none of the rest).
struct TrialVerticalForce {
    double rate_hz;
    double starting_time_s;  // of the first sample, seconds from trial start
    std::vector<double> fz_n;
};

struct TrialForce {
    double rate_hz;
    double starting_time_s;  // of the first returned sample, seconds from trial start
    std::vector<calibration::Wrench> samples;
    // Per sample; nullopt where Fz was below cop_threshold_n (COP undefined).
    std::vector<std::optional<calibration::CentreOfPressure>> cop;
    double cop_threshold_n;
};

}  // namespace hoplab::recording
