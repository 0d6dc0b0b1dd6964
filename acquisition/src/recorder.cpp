#include <hoplab/acquisition/recorder.hpp>
#include <hoplab/processing/bilateral_contacts.hpp>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace hoplab::acquisition {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void reply(const RecorderCompletion& done, RecorderReply result) {
    if (done) {
        done(std::move(result));
    }
}

RecorderReply failure_reply(std::string error) {
    RecorderReply result;
    result.ok = false;
    result.error = std::move(error);
    return result;
}

}  // namespace

Recorder::Recorder(std::size_t ring_capacity, std::uint64_t max_analysed_trial_samples)
    : ring_(ring_capacity), max_analysed_trial_samples_(max_analysed_trial_samples) {
    thread_ = std::thread([this] { run(); });
}

Recorder::~Recorder() {
    stop();
}

bool Recorder::submit(Command&& command) {
    // Data waits for the next drain; a command someone waits for (an API answer, a flush that
    // bounds what a crash loses, the daemon's stop) wakes the recorder now.
    const bool data =
        std::holds_alternative<RawBlock>(command) || std::holds_alternative<Gap>(command) ||
        std::holds_alternative<Tare>(command) || std::holds_alternative<TrialStopAt>(command);
    if (!ring_.try_push(std::move(command))) {
        return false;
    }
    // Data wakes the recorder too once the ring is an eighth full (a fast stream between two
    // drains), so the ring never comes near full while the recorder sleeps.
    const bool urgent = !data || ring_.size() >= ring_.capacity() / 8;
    if (urgent) {
        {
            std::lock_guard lock(wake_mutex_);
            urgent_ = true;
        }
        wake_.notify_one();
    }
    return true;
}

void Recorder::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    // The Stop command queues behind everything already submitted; if the ring is full, retry until
    // it drains.
    while (!submit(Command{Stop{}})) {
        std::this_thread::yield();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::uint64_t Recorder::samples_written(std::size_t device) const {
    return device < kMaxDevices ? samples_written_[device].load(std::memory_order_relaxed) : 0;
}

std::optional<std::string> Recorder::failure() const {
    std::lock_guard lock(failure_mutex_);
    return failure_;
}

void Recorder::run() {
    // The io thread hands blocks over on its tick (DaemonConfig::live_interval, 15 ms). While data
    // flows, the recorder drains the ring every kDrainPeriod (250 ms, the default flush interval),
    // whatever the number of blocks, or sooner when woken: by a command someone waits for (API
    // answers, the flush ticks, so what a crash can lose and what SWMR readers see are unchanged)
    // or by the ring filling to an eighth (submit()). Four 2 kHz plates in 10 ms frames wake it
    // about 4 times a second (each flush tick), not 400; the fastest ingest measured (1.4·10^7
    // samples/s in 1024-sample hand-overs, 1.4·10^4 commands/s) every 75 ms. The recorder sleeps on
    // the ring only after a drain found it empty.
    constexpr std::chrono::milliseconds kDrainPeriod{250};
    constexpr std::chrono::milliseconds kHandOver{5};  // a third of the io thread's tick
    std::chrono::steady_clock::time_point next_drain;
    bool drained = false;
    for (;;) {
        if (drained) {
            next_drain += kDrainPeriod;
            const auto now = std::chrono::steady_clock::now();
            if (next_drain <= now) {
                next_drain = now;  // behind (a long write): drain again at once
            } else {
                std::unique_lock lock(wake_mutex_);
                if (wake_.wait_until(lock, next_drain, [this] { return urgent_; })) {
                    next_drain = std::chrono::steady_clock::now();
                }
                urgent_ = false;
            }
        } else {
            ring_.wait_for_data();
            std::this_thread::sleep_for(kHandOver);  // the rest of the hand-over arrives
            next_drain = std::chrono::steady_clock::now();
        }
        drained = false;
        while (auto command = ring_.try_pop()) {
            drained = true;
            bool stop_now = false;
            std::visit(
                Overloaded{[](std::monostate&) {}, [this](SessionOpen& c) { handle(c); },
                           [this](RawBlock& c) { handle(c); }, [this](Gap& c) { handle(c); },
                           [this](Tare& c) { handle(c); }, [this](TrialBegin& c) { handle(c); },
                           [this](TrialStopAt& c) {
                               if (trial_) {
                                   trial_->stop_sample_index = std::move(c.stop_sample_index);
                               }
                           },
                           [this](TrialEnd& c) { handle(c); },
                           [this](SessionClose& c) { handle(c); },
                           [this](FlushTick&) {
                               if (writer_) {
                                   try {
                                       writer_->flush();
                                   } catch (const std::exception& error) {
                                       fail(error.what());
                                   }
                               }
                           },
                           [&stop_now](Stop&) { stop_now = true; }},
                *command);
            if (stop_now) {
                if (writer_) {
                    SessionClose close;
                    handle(close);
                }
                return;
            }
        }
    }
}

void Recorder::fail(const std::string& what) {
    spdlog::error("recorder: {}", what);
    {
        std::lock_guard lock(failure_mutex_);
        failure_ = what;
    }
    // The writer's destructor closes what it can; trials already ended are on disk.
    try {
        writer_.reset();
    } catch (const std::exception& error) {
        spdlog::error("recorder: closing after failure: {}", error.what());
    }
    trial_.reset();
}

void Recorder::handle(SessionOpen& command) {
    if (writer_) {
        reply(command.done, failure_reply("a session file is already open"));
        return;
    }
    {
        std::lock_guard lock(failure_mutex_);
        failure_.reset();
    }
    try {
        std::filesystem::create_directories(command.file.parent_path());
        writer_.emplace(command.file, command.session, command.devices, command.options);
    } catch (const std::exception& error) {
        writer_.reset();
        spdlog::error("recorder: cannot open {}: {}", command.file.string(), error.what());
        reply(command.done, failure_reply(error.what()));
        return;
    }
    devices_ = command.devices;
    involved_limb_ = command.session.athlete.involved_limb;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        samples_written_[i].store(0, std::memory_order_relaxed);
    }
    RecorderReply result;
    result.file = command.file;
    reply(command.done, std::move(result));
}

void Recorder::handle(RawBlock& command) {
    if (!writer_ || command.device >= devices_.size()) {
        return;  // no session open (or it failed): the io side counts blocks it could not hand over
    }
    const std::size_t n = command.block.n_samples;
    try {
        if (!command.values.empty()) {
            writer_->append_raw(command.device, command.block,
                                std::span<const float>(command.values));
        } else {
            writer_->append_raw(command.device, command.block,
                                std::span<const std::int32_t>(command.counts));
        }
        samples_written_[command.device].fetch_add(n, std::memory_order_relaxed);
        if (!trial_) {
            return;
        }
        // The part of the block inside the trial's sample range.
        const std::uint64_t first = command.block.first_sample_index;
        const auto& starts = trial_->start.start_sample_index;
        const std::uint64_t start = command.device < starts.size() ? starts[command.device] : 0;
        const std::uint64_t stop =
            trial_->stop_sample_index ? (*trial_->stop_sample_index)[command.device] : first + n;
        const std::uint64_t from = std::max(first, start);
        const std::uint64_t to = std::min(first + n, stop);
        if (to <= from) {
            return;
        }
        // The trial spans these rows of the raw stream; the writer derives their calibrated force
        // when the trial ends (the raw stream is the primary record).
        const std::uint64_t block_row = writer_->raw_samples_written(command.device) - n;
        writer_->extend_trial(command.device, block_row + (from - first), to - from);
    } catch (const std::exception& error) {
        fail(error.what());
    }
}

void Recorder::handle(Gap& command) {
    if (!writer_ || command.device >= devices_.size()) {
        return;
    }
    if (trial_) {
        const auto& starts = trial_->start.start_sample_index;
        const std::uint64_t start = command.device < starts.size() ? starts[command.device] : 0;
        const bool before_stop =
            !trial_->stop_sample_index ||
            command.gap.first_missing_index < (*trial_->stop_sample_index)[command.device];
        if (command.gap.first_missing_index + command.gap.count >= start && before_stop) {
            const auto& name = devices_[command.device].name;
            trial_->losses.push_back(
                command.gap.count == 0
                    ? fmt::format("device '{}' restarted during the trial ({})", name,
                                  command.gap.reason)
                    : fmt::format("device '{}' lost {} samples from sample {} during the trial "
                                  "({}): its force is not contiguous there",
                                  name, command.gap.count, command.gap.first_missing_index,
                                  command.gap.reason));
        }
    }
    try {
        writer_->record_gap(command.device, command.gap);
    } catch (const std::exception& error) {
        fail(error.what());
    }
}

void Recorder::handle(Tare& command) {
    if (!writer_) {
        return;
    }
    try {
        writer_->record_tare(command.device, command.record, command.calibration);
    } catch (const std::exception& error) {
        fail(error.what());
    }
}

void Recorder::handle(TrialBegin& command) {
    if (!writer_) {
        reply(command.done, failure_reply(failure().value_or("no session file is open")));
        return;
    }
    if (trial_) {
        reply(command.done, failure_reply("trial " + trial_->start.id + " is still recording"));
        return;
    }
    try {
        writer_->begin_trial(command.trial);
    } catch (const std::exception& error) {
        const std::string message = error.what();
        fail(message);
        reply(command.done, failure_reply(message));
        return;
    }
    trial_.emplace(OpenTrial{command.trial, command.settings, std::nullopt, {}});
    RecorderReply result;
    result.file = writer_->path();
    reply(command.done, std::move(result));
}

RecorderReply Recorder::finish_trial(recording::TrialEnd end) {
    RecorderReply result;
    const processing::Limb limb = trial_->start.limb;
    // The analysed force is the plate under the tested limb, or the sum of the plates for bilateral
    // work.
    std::vector<std::size_t> analysed;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        if (limb == processing::Limb::both ? devices_[i].limb.has_value()
                                           : devices_[i].limb == limb) {
            analysed.push_back(i);
        }
    }
    std::uint64_t longest = 0;
    for (const std::size_t i : analysed) {
        longest = std::max(longest, writer_->trial_samples(i));
    }
    if (analysed.empty()) {
        result.analysis_error =
            "no plate is assigned to limb " + std::string(processing::to_string(limb));
    } else if (longest > max_analysed_trial_samples_) {
        const double rate_hz = devices_.front().rate_hz;
        result.analysis_error = fmt::format(
            "trial {} has {} samples per plate ({:.1f} s); the daemon analyses trials of at most "
            "{} samples ({:.1f} s at {:g} Hz) when they stop, so that its memory does not grow "
            "with a trial's length: the trial is recorded in full, analyse it with hoplab "
            "analyze {}",
            trial_->start.id, longest, static_cast<double>(longest) / rate_hz,
            max_analysed_trial_samples_, static_cast<double>(max_analysed_trial_samples_) / rate_hz,
            rate_hz, writer_->path().filename().string());
    } else {
        try {
            result.analysis = analyse_trial(analysed);
            for (const auto& contact : result.analysis->contacts) {
                end.events.push_back({"touchdown", contact.start_s});
                end.events.push_back({"take-off", contact.end_s});
            }
            if (result.analysis->landing) {
                end.events.push_back({"landing", result.analysis->landing->start_s});
            }
            end.analysis = result.analysis;
        } catch (const std::invalid_argument& error) {
            result.analysis_error = error.what();
        }
    }
    result.losses = trial_->losses;
    if (end.status.empty()) {
        end.status = "complete";
    }
    writer_->end_trial(end);
    result.file = writer_->path();
    return result;
}

processing::TrialAnalysis Recorder::analyse_trial(std::span<const std::size_t> analysed) {
    const processing::Limb limb = trial_->start.limb;
    const double rate_hz = devices_.front().rate_hz;
    processing::TrialAnalysis analysis;
    // Bilateral work on one left and one right plate also pairs every contact left against right.
    std::vector<std::size_t> lefts, rights;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        if (devices_[i].limb == processing::Limb::left) {
            lefts.push_back(i);
        } else if (devices_[i].limb == processing::Limb::right) {
            rights.push_back(i);
        }
    }
    if (analysed.size() == 1) {
        // One plate under the tested limb: its full vector gives DPSI and COP paths too.
        const processing::PlateSeries plate = writer_->trial_plate(analysed.front());
        analysis = processing::analyze_trial(plate.fz_n, rate_hz, trial_->start.protocol, limb,
                                             trial_->settings, plate.view());
    } else if (limb == processing::Limb::both && lefts.size() == 1 && rights.size() == 1) {
        std::vector<double> left = writer_->trial_vertical_force(lefts.front());
        std::vector<double> right = writer_->trial_vertical_force(rights.front());
        const std::size_t n = std::min(left.size(), right.size());
        left.resize(n);
        right.resize(n);
        analysis = processing::analyze_bilateral_trial(left, right, rate_hz, trial_->start.protocol,
                                                       trial_->settings, involved_limb_);
    } else {
        std::vector<double> fz = writer_->trial_vertical_force(analysed.front());
        for (const std::size_t i : analysed.subspan(1)) {
            const std::vector<double> trace = writer_->trial_vertical_force(i);
            fz.resize(std::min(fz.size(), trace.size()));
            for (std::size_t k = 0; k < fz.size(); ++k) {
                fz[k] += trace[k];
            }
        }
        analysis = processing::analyze_trial(fz, rate_hz, trial_->start.protocol, limb,
                                             trial_->settings, std::nullopt);
    }
    analysis.id = trial_->start.id;
    analysis.quality_flags.insert(analysis.quality_flags.end(), trial_->losses.begin(),
                                  trial_->losses.end());
    analysis.source = writer_->path().filename().string();
    return analysis;
}

void Recorder::handle(TrialEnd& command) {
    if (!writer_ || !trial_) {
        reply(command.done, failure_reply(failure().value_or("no trial is recording")));
        return;
    }
    try {
        // The trial's force is derived from the raw rows here (its cost grows with the trial's
        // length, docs/performance.md): logged so that a slow stop can be told from a stuck one.
        const auto began = std::chrono::steady_clock::now();
        std::uint64_t samples = 0;
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            samples += writer_->trial_samples(i);
        }
        RecorderReply result = finish_trial(std::move(command.end));
        writer_->flush();
        spdlog::info(
            "trial {} ended: force of {} samples (all devices) derived and analysed in "
            "{:.3f} s",
            trial_->start.id, samples,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
        trial_.reset();
        reply(command.done, std::move(result));
    } catch (const std::exception& error) {
        const std::string message = error.what();
        fail(message);
        reply(command.done, failure_reply(message));
    }
}

void Recorder::handle(SessionClose& command) {
    if (!writer_) {
        reply(command.done, failure_reply(failure().value_or("no session file is open")));
        return;
    }
    RecorderReply result;
    result.file = writer_->path();
    try {
        if (trial_) {
            recording::TrialEnd end;
            end.status = "aborted: session closed while recording";
            writer_->end_trial(end);
            trial_.reset();
        }
        writer_->close();
        writer_.reset();
    } catch (const std::exception& error) {
        fail(error.what());
        reply(command.done, failure_reply(error.what()));
        return;
    }
    reply(command.done, std::move(result));
}

}  // namespace hoplab::acquisition
