#pragma once

#include <hoplab/acquisition/spsc_ring.hpp>
#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace hoplab::acquisition {

// What the recorder thread answers to a control command (session open/close, trial begin/end).
// Delivered on the recorder thread: the caller's completion must only post back to its own
// executor.
struct RecorderReply {
    bool ok = true;
    std::string error;           // why it failed, when !ok
    std::filesystem::path file;  // the session file
    std::optional<processing::TrialAnalysis>
        analysis;                     // end of trial: the processing library's result
    std::string analysis_error;       // end of trial: why there is no analysis
    std::vector<std::string> losses;  // end of trial: samples lost or restarts inside it
};
using RecorderCompletion = std::function<void(RecorderReply)>;

// The only thread that touches HDF5 (Debian's HDF5 is not thread-safe). The io_context thread hands
// it whole blocks and commands through one bounded SPSC ring, so the network side never blocks on
// disk and the order of data, tares and trial boundaries is kept. While a trial records, only the
// raw streams are written; the recorder tells the writer which raw rows the trial spans. When the
// trial ends, the writer derives the trial's calibrated force from those rows (SessionWriter::
// extend_trial), the recorder reads it back, runs the processing library on it and writes the
// result with the trial.
class Recorder {
  public:
    struct SessionOpen {
        std::filesystem::path file;
        recording::SessionInfo session;
        std::vector<recording::DeviceInfo> devices;
        recording::WriterOptions options;
        RecorderCompletion done;
    };
    struct RawBlock {
        std::size_t device = 0;
        recording::BlockRecord block;
        std::vector<std::int32_t> counts;  // n_samples × channels, row-major
        std::vector<float> values;         // used instead of counts for float32 devices
    };
    struct Gap {
        std::size_t device = 0;
        recording::GapRecord gap;
    };
    struct Tare {
        std::size_t device = 0;
        recording::TareRecord record;
        calibration::PlateCalibration calibration;
    };
    // The trial's force holds, per device, the samples from trial.start_sample_index (aligned
    // across devices through their clock maps, so parts of the first blocks may fall before it) up
    // to the stop index a TrialStopAt sets.
    struct TrialBegin {
        recording::TrialStart trial;
        processing::AnalysisSettings settings;
        RecorderCompletion done;
    };
    // Sent when the stop is requested: samples at and after these indices stay out of the trial
    // while the io side waits for every device to deliver up to them; TrialEnd follows.
    struct TrialStopAt {
        std::vector<std::uint64_t> stop_sample_index;
    };
    struct TrialEnd {
        recording::TrialEnd end;
        RecorderCompletion done;
    };
    struct SessionClose {
        RecorderCompletion done;
    };
    struct FlushTick {};
    struct Stop {};
    using Command = std::variant<std::monostate, SessionOpen, RawBlock, Gap, Tare, TrialBegin,
                                 TrialStopAt, TrialEnd, SessionClose, FlushTick, Stop>;

    // The longest trial analysed when it stops: 2^20 samples per plate (8 min 44 s at 2 kHz), at
    // most ~40 MiB read back for one plate. The daemon holds no trial data while recording, so its
    // memory does not grow with a trial's length; a longer trial is recorded in full and analysed
    // offline.
    static constexpr std::uint64_t kMaxAnalysedTrialSamples = std::uint64_t{1} << 20;

    // `max_analysed_trial_samples`: trials longer than this (per plate) are recorded but not
    // analysed when they stop (see kMaxAnalysedTrialSamples).
    explicit Recorder(std::size_t ring_capacity = 8192,
                      std::uint64_t max_analysed_trial_samples = kMaxAnalysedTrialSamples);
    ~Recorder();  // stops and joins: an open trial is ended ("aborted: daemon stopped"), the file
                  // closed
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Producer side: the io_context thread only. False when the ring is full (the caller counts a
    // ring overrun; for control commands it answers the request with an error instead).
    bool submit(Command&& command);

    // Stop after draining what is queued; joins the thread. Idempotent.
    void stop();

    // Readable from any thread.
    std::uint64_t samples_written(std::size_t device) const;
    std::optional<std::string> failure()
        const;  // set when a write failed (disk full, unwritable folder)
    std::size_t queued() const { return ring_.size(); }

  private:
    void run();
    void handle(SessionOpen& command);
    void handle(RawBlock& command);
    void handle(Gap& command);
    void handle(Tare& command);
    void handle(TrialBegin& command);
    void handle(TrialEnd& command);
    void handle(SessionClose& command);
    void fail(const std::string& what);
    RecorderReply finish_trial(recording::TrialEnd end);
    // The processing library's result on the trial's force, read back from the session file.
    processing::TrialAnalysis analyse_trial(std::span<const std::size_t> analysed);

    struct OpenTrial {
        recording::TrialStart start;
        processing::AnalysisSettings settings;
        std::optional<std::vector<std::uint64_t>> stop_sample_index;
        // Losses inside the trial's sample range, as quality flags: the force is not contiguous
        // there, so times after a loss are not the device's times.
        std::vector<std::string> losses;
    };

    SpscRing<Command> ring_;
    // Ends the recorder's wait between drains early for an urgent command (submit()).
    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool urgent_ = false;  // guarded by wake_mutex_
    std::thread thread_;
    std::atomic<bool> stopped_{false};

    // Recorder-thread state.
    std::optional<recording::SessionWriter> writer_;
    std::vector<recording::DeviceInfo> devices_;
    std::optional<processing::Limb> involved_limb_;  // the session's, for left/right pairs
    std::optional<OpenTrial> trial_;
    std::uint64_t max_analysed_trial_samples_;

    static constexpr std::size_t kMaxDevices = 64;
    std::array<std::atomic<std::uint64_t>, kMaxDevices> samples_written_{};
    mutable std::mutex
        failure_mutex_;  // taken only on failure and by status readers, never per block
    std::optional<std::string> failure_;
};

}  // namespace hoplab::acquisition
