#pragma once

#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/stability.hpp>
#include <hoplab/recording/recording_error.hpp>
#include <hoplab/recording/session_info.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace hoplab::recording {

// Writes one session file (layout: docs/recording-format.md).
//
// Crash safety. With options.swmr (the default) the file is in HDF5 SWMR-write mode whenever no
// object has to be created: raw appends, gaps and tares between and during trials are all SWMR
// appends, so a kill -9 leaves a structurally valid file holding everything up to the last flush(),
// and recover() clears the superblock mark. Classic SWMR cannot create objects, so begin_trial,
// end_trial and close leave SWMR mode for a few milliseconds (close, reopen read-write, create the
// trial's groups and datasets, start SWMR again). Live SWMR readers keep their handles; they see a
// trial created after they opened only after reopening. The writer turns HDF5 file locking off
// because a live SWMR reader's shared lock would otherwise stop that reopen; the file is created
// exclusively (never overwritten) and the daemon's recorder thread is its only writer.
//
// Buffering. Every time series is buffered about one chunk (options.chunk_rows) in memory and
// written in whole chunks; flush() writes what is buffered and makes it durable and visible to SWMR
// readers (a compressed raw stream's partial last chunk is stored unfiltered at a flush and
// deflated once it is complete, at a trial boundary or at close: docs/recording-format.md §7).
// Appends call flush() by themselves once options.flush_interval has passed since the last one.
//
// Analysis-only files (hoplab simulate, hoplab import): options.raw_streams = false writes /devices
// and /trials with calibrated force but no /streams; append_raw and record_gap then throw
// std::invalid_argument.
//
// Not thread-safe: one thread (the daemon's recorder thread) owns a writer. Misuse (bad device
// index, unsafe names, wrong sample counts, trial calls out of order) throws std::invalid_argument;
// HDF5 failures (disk full, unwritable folder) throw RecordingError. After a RecordingError the
// file keeps what was flushed before it.
class SessionWriter {
  public:
    // Creates `file` (which must not exist). Throws std::invalid_argument for an invalid or
    // duplicate device name, a device without channels or with rate_hz <= 0, chunk_rows == 0;
    // RecordingError when the file cannot be created.
    SessionWriter(std::filesystem::path file, SessionInfo session, std::vector<DeviceInfo> devices,
                  WriterOptions options = {});
    ~SessionWriter();  // closes the file cleanly (aborting an open trial with status "aborted:
                       // writer closed")
    SessionWriter(const SessionWriter&) = delete;
    SessionWriter& operator=(const SessionWriter&) = delete;
    SessionWriter(SessionWriter&&) noexcept;
    SessionWriter& operator=(SessionWriter&&) noexcept;

    // One received block: block.n_samples rows × channel_names.size() values, channel-interleaved.
    // Blocks of a device arrive in ascending sample order: a block starting before the end of the
    // previous one throws std::invalid_argument (the daemon drops duplicates before this). The
    // int32 overload is for int32_counts devices, the float one for float32_volts /
    // float32_newtons.
    void append_raw(std::size_t device, const BlockRecord& block,
                    std::span<const std::int32_t> interleaved);
    void append_raw(std::size_t device, const BlockRecord& block,
                    std::span<const float> interleaved);
    void record_gap(std::size_t device, const GapRecord& gap);
    // tare.offsets (and noise_sd unless empty) hold one value per raw channel. `new_calibration` is
    // used from now on for this device's centre of pressure and is stored with every later trial.
    // Throws std::invalid_argument while a trial is open on a file with raw streams: a trial's
    // force is derived with the calibration stored at its start.
    void record_tare(std::size_t device, const TareRecord& tare,
                     const calibration::PlateCalibration& new_calibration);

    // Throws std::invalid_argument when a trial is open, the id is invalid or already used, or
    // start_sample_index is neither empty nor one per device.
    void begin_trial(const TrialStart& trial);
    // As begin_trial(trial), for a trial whose raw rows were appended before it (hoplab
    // recalibrate copies the raw streams first, then the trials): start_raw_row gives, per device
    // in device order, the row of /streams/<device>/raw the trial began at, stored as the trial's
    // start_raw_row attribute (docs/recording-format.md §2) instead of the rows written so far
    // (an empty start_raw_row is begin_trial(trial)).
    // Throws std::invalid_argument as begin_trial does, and when the file has no raw streams,
    // start_raw_row does not hold one row per device, or a row lies past the rows written.
    void begin_trial(const TrialStart& trial, std::span<const std::uint64_t> start_raw_row);
    // Calibrated samples of the open trial for one device: Fx,Fy,Fz (N), Mx,My,Mz (N·m) in the
    // plate's frame, for callers that calibrate themselves (analysis-only files, simulators). The
    // centre of pressure is computed here through the device's current calibration; it is stored
    // as NaN where Fz is below options.cop_threshold_n (undefined). Throws std::invalid_argument
    // when no trial is open or the device's trial force comes from extend_trial.
    void append_trial_force(std::size_t device, std::span<const calibration::Wrench> samples);
    // The open trial spans `rows` more raw rows of `device` from row `first_raw_row` of
    // /streams/<device>/raw (rows already appended; each call continues the previous one). Its
    // calibrated force is not written as the rows arrive: end_trial (or a read-back below) derives
    // it from those rows through the device's calibration, bit-identical to append_trial_force on
    // the same rows calibrated with PlateCalibration::to_wrenches; until then SWMR readers see the
    // trial's force datasets empty and follow the raw stream. Throws std::invalid_argument when no
    // trial is open, the file has no raw streams, the rows do not continue the trial's rows or are
    // not appended yet, or the device's trial force came from append_trial_force.
    void extend_trial(std::size_t device, std::uint64_t first_raw_row, std::uint64_t rows);
    // Derives the force of the rows given to extend_trial first. Throws std::invalid_argument when
    // no trial is open, the status is neither "complete" nor "aborted: <reason>", or
    // stop_sample_index is neither empty nor one per device; RecordingError when a write fails (the
    // raw rows stay as they were).
    void end_trial(const TrialEnd& end);
    bool trial_open() const;
    // The open trial's force so far (given to append_trial_force, or derived now from the rows
    // given to extend_trial), read back from the file and the rows still buffered, so the caller
    // need not hold a second copy of a trial in memory. Reading costs what the trial's length
    // does: the daemon reads only at the end of a trial. Throw std::invalid_argument for a bad
    // device index or when no trial is open; RecordingError when the file cannot be read or
    // written.
    std::uint64_t trial_samples(std::size_t device) const;  // rows derived or still to derive
    std::vector<double> trial_vertical_force(std::size_t device);  // Fz (N)
    // Fx, Fy, Fz (N) and the centre of pressure (undefined where Fz was below the threshold).
    processing::PlateSeries trial_plate(std::size_t device);

    // Make everything appended so far durable and visible to SWMR readers.
    void flush();
    // Ends an open trial as "aborted: writer closed", writes the closing attributes and closes.
    // Idempotent.
    void close();
    const std::filesystem::path& path() const;

    // Rows in /streams/<device>/raw so far, buffered rows included.
    std::uint64_t raw_samples_written(std::size_t device) const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hoplab::recording
