#pragma once

#include <hoplab/recording/recording_error.hpp>
#include <hoplab/recording/session_info.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::recording {

// Raw samples of one device, rows × channels, row-major, converted to double (exact for int32
// counts and float32).
struct RawSamples {
    std::uint64_t first_row =
        0;  // row of /streams/<device>/raw; the blocks table maps rows to sample indices
    std::size_t channels = 0;
    std::vector<double> values;
    std::string unit;  // "count", "V" or "N"
    std::vector<std::string> channel_names;
};

// host_time_ns ≈ host_at_reference_ns + slope × (device_time_ns − device_reference_ns), fitted by
// the writer over the block table of a stream: one point per block, its last sample's device time
// against the host time it arrived (docs/recording-format.md §4).
struct ClockMap {
    std::int64_t device_reference_ns = 0;
    double host_at_reference_ns = 0;
    double slope = 1;
    double residual_sd_ns = 0;
    std::uint64_t blocks = 0;
};

// Reads a session file: a finished one, one a writer is still appending to (opened in SWMR-read
// mode), or one left by a killed writer (also SWMR-read; recover() makes it an ordinary file
// again).
//
// Every failure is a RecordingError naming the file and the problem: no such file; not an HDF5
// file; truncated or corrupt; an HDF5 file from another program (no `format` attribute, or another
// value); a newer format_version
// ("written by hoplab X, format N; this reader reads up to M"); a missing trial, device or dataset.
//
// A live reader sees samples the writer has flushed since, on every call; trials begun after it
// opened need a new SessionReader. Not thread-safe: use a reader from one thread (the HDF5 library
// is not built thread-safe).
class SessionReader {
  public:
    explicit SessionReader(std::filesystem::path file);
    ~SessionReader();
    SessionReader(SessionReader&&) noexcept;
    SessionReader& operator=(SessionReader&&) noexcept;
    SessionReader(const SessionReader&) = delete;
    SessionReader& operator=(const SessionReader&) = delete;

    const std::filesystem::path& path() const;
    std::int64_t format_version() const;
    const std::string& software_version() const;
    // True when the file was open for writing (a live session, or a writer that was killed) when it
    // was opened.
    bool opened_while_writing() const;
    // When the writer closed the file; nullopt while it is written or after a killed writer.
    const std::optional<std::string>& closed_utc() const;
    // When recover() repaired the file; nullopt otherwise.
    const std::optional<std::string>& recovered_utc() const;

    const SessionInfo& session() const;
    const std::vector<DeviceInfo>& devices() const;
    bool has_raw_streams() const;

    std::vector<TrialSummaryInfo> trials() const;
    TrialSummaryInfo trial(const std::string& trial_id) const;
    // All calibrated rows of a trial for one device, or `count` rows from `first_sample` (0 = trial
    // start). A range beyond the rows stored throws std::out_of_range.
    // Fz of /trials/<id>/force/<device>/force (column 2) only, every stored row.
    TrialVerticalForce trial_vertical_force(const std::string& trial_id,
                                            const std::string& device) const;
    TrialForce trial_force(const std::string& trial_id, const std::string& device) const;
    TrialForce trial_force(const std::string& trial_id, const std::string& device,
                           std::uint64_t first_sample, std::uint64_t count) const;
    // The processing result written when the trial ended; nullopt when the trial has none (aborted,
    // no analysis).
    std::optional<std::string> trial_analysis_json(const std::string& trial_id) const;

    // Raw streams. A device without a stream (analysis-only file) throws RecordingError.
    std::uint64_t raw_sample_count(const std::string& device) const;
    RawSamples raw_samples(const std::string& device) const;
    RawSamples raw_samples(const std::string& device, std::uint64_t first_row,
                           std::uint64_t count) const;
    std::vector<BlockRecord> blocks(const std::string& device) const;
    std::vector<GapRecord> gaps(const std::string& device) const;
    std::optional<ClockMap> clock_map(
        const std::string& device) const;  // nullopt before the first block
    std::vector<TareRecord> tares(const std::string& device) const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hoplab::recording
