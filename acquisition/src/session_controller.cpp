#include <hoplab/acquisition/device_link.hpp>
#include <hoplab/acquisition/session_controller.hpp>

#include <hoplab/calibration/procedures.hpp>
#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string_view>
#include <type_traits>

namespace hoplab::acquisition {
namespace {

using nlohmann::json;

std::string utc_now(const char* format = "%Y-%m-%dT%H:%M:%S") {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[64];
    std::strftime(text, sizeof text, format, &tm);
    if (std::string_view(format).find('T') != std::string_view::npos &&
        format[std::strlen(format) - 1] == 'S') {
        return fmt::format("{}.{:03d}Z", text, millis);
    }
    return text;
}

// Every request body is checked field by field: unknown fields are refused, not ignored.
std::optional<std::string> unknown_field(const json& request,
                                         std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : request.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            return fmt::format("unknown field '{}' (accepted: {})", key, fmt::join(known, ", "));
        }
    }
    return std::nullopt;
}

std::optional<std::string> optional_string(const json& request, const char* field,
                                           std::string& out) {
    if (!request.contains(field) || request[field].is_null()) {
        return std::nullopt;
    }
    if (!request[field].is_string()) {
        return fmt::format("field '{}' must be a string", field);
    }
    out = request[field].get<std::string>();
    if (out.size() > 4096) {
        return fmt::format("field '{}' is longer than 4096 characters", field);
    }
    return std::nullopt;
}

// Appends a number in its shortest decimal form that reads back as the same value (std::to_chars);
// null for a value JSON cannot hold (not finite).
template <class Number>
void append_json_number(std::string& out, Number value) {
    if constexpr (std::is_floating_point_v<Number>) {
        if (!std::isfinite(value)) {
            out += "null";
            return;
        }
    }
    // Room for any float, double or 64-bit integer: to_chars cannot run out of it.
    std::array<char, 32> text{};
    const auto written = std::to_chars(text.data(), text.data() + text.size(), value);
    out.append(text.data(), written.ptr);
}

// One device's entry of the live "forces" message (docs/daemon.md), written directly: it is
// built 100 times a second per device on the io thread, where a json object and its dump() cost a
// dozen allocations each. A bin is the float32 value in its shortest text, not the longer text
// of the double it converts to.
// `device_json`: the device's name as a JSON string (DeviceStream::name_json).
void append_device_bins(std::string& out, const std::string& device_json, const LiveBins& bins) {
    out += R"({"device":)";
    out += device_json;
    out += R"(,"first_sample_index":)";
    append_json_number(out, bins.first_sample_index);
    out += R"(,"rate_hz":)";
    append_json_number(out, bins.bin_rate_hz);
    const auto numbers = [&out](std::string_view key, const std::vector<float>& values) {
        out += key;
        for (std::size_t k = 0; k < values.size(); ++k) {
            if (k > 0) {
                out += ',';
            }
            append_json_number(out, values[k]);
        }
        out += ']';
    };
    numbers(R"(,"fz_min_n":[)", bins.fz_min_n);
    numbers(R"(,"fz_max_n":[)", bins.fz_max_n);
    out += '}';
}

}  // namespace

SessionController::SessionController(boost::asio::any_io_executor executor, DaemonConfig config,
                                     Recorder& recorder)
    : executor_(std::move(executor)), config_(std::move(config)), recorder_(recorder) {
    for (std::size_t i = 0; i < config_.devices.size(); ++i) {
        devices_.emplace_back(i, config_.devices[i]);
    }
    last_tare_.resize(devices_.size());
    pending_raw_.resize(devices_.size());
}

RecorderCompletion SessionController::on_executor(std::function<void(RecorderReply)> handler) {
    return [executor = executor_, handler = std::move(handler)](RecorderReply reply) {
        boost::asio::post(
            executor, [handler, reply = std::move(reply)]() mutable { handler(std::move(reply)); });
    };
}

bool SessionController::submit_control(Recorder::Command&& command, const ApiCallback& done) {
    if (submit(std::move(command))) {
        return true;
    }
    done(ApiResult::error(503, "the recorder is behind (queue full); retry in a moment"));
    return false;
}

std::optional<std::size_t> SessionController::find_device(const std::string& name) const {
    for (const auto& device : devices_) {
        if (device.name() == name) {
            return device.index();
        }
    }
    return std::nullopt;
}

std::optional<std::string> SessionController::on_hello(std::size_t device, const wire::Hello& hello,
                                                       const std::string& peer) {
    auto refusal = devices_[device].on_hello(hello, peer);
    if (refusal) {
        spdlog::warn("{}: {}", peer, *refusal);
    } else {
        spdlog::info("device '{}' connected from {} ({} {}, {} Hz, {} channels)", hello.device_name,
                     peer, hello.model, hello.serial, hello.rate_hz, hello.channel_names.size());
    }
    return refusal;
}

void SessionController::on_disconnect(std::size_t device, const std::string& reason) {
    devices_[device].on_disconnect(reason);
    spdlog::warn("device '{}' disconnected: {}", devices_[device].name(), reason);
}

void SessionController::on_rejected_connection(const std::string& peer, const std::string& reason) {
    spdlog::warn("rejected device connection from {}: {}", peer, reason);
    rejected_connections_.push_back(json{{"peer", peer}, {"reason", reason}, {"utc", utc_now()}});
    if (rejected_connections_.size() > 20) {
        rejected_connections_.pop_front();
    }
}

void SessionController::on_status(std::size_t device, std::uint32_t seq,
                                  const wire::Status& status) {
    devices_[device].on_message(seq);
    if (status.lost_count > 0 && session_) {
        recording::GapRecord gap{status.first_lost_sample_index, status.lost_count,
                                 "device reported: " + status.reason};
        submit(Recorder::Gap{device, gap});
    }
}

void SessionController::on_data(std::size_t device, std::uint32_t seq, wire::DataBlock&& block,
                                std::int64_t received_ns) {
    auto& stream = devices_[device];
    auto verdict = stream.on_data(seq, block, received_ns);
    if (!session_) {
        ++blocks_without_session_;
        return;
    }
    for (auto& gap : verdict.new_gaps) {
        if (!submit(Recorder::Gap{
                device, recording::GapRecord{gap.first_missing_index, gap.count, gap.reason}})) {
            stream.count_ring_overrun(0);
        }
    }
    if (!verdict.accept) {
        return;
    }
    // Contiguous blocks of a device go to the recorder together: one command per tick (or
    // per kCoalesceSamples), not one per block, so small blocks do not swamp the recorder.
    auto& pending = pending_raw_[device];
    if (pending &&
        pending->block.first_sample_index + pending->block.n_samples == block.first_sample_index &&
        pending->block.n_samples + block.n_samples <= kCoalesceSamples) {
        // Room for a whole coalesced record at the first append: the later ones do not
        // reallocate, and a record of one block (a lab plate's frame per tick) allocates
        // nothing more.
        const std::size_t room = std::size_t{kCoalesceSamples} * block.n_channels;
        if (pending->values.empty()) {
            pending->counts.reserve(room);
        } else {
            pending->values.reserve(room);
        }
        pending->counts.insert(pending->counts.end(), block.counts.begin(), block.counts.end());
        pending->values.insert(pending->values.end(), block.values.begin(), block.values.end());
        pending->block.n_samples += block.n_samples;
        // The record's host time is when its last sample arrived, as for a block received whole:
        // the file's clock line pairs it with that sample's device time.
        pending->block.host_time_ns = received_ns;
    } else {
        if (pending) {
            submit_raw(std::move(*pending));
        }
        pending =
            Recorder::RawBlock{device,
                               recording::BlockRecord{block.first_sample_index, block.n_samples,
                                                      block.device_time_ns, received_ns},
                               std::move(block.counts), std::move(block.values)};
    }
    if (pending->block.n_samples >= kCoalesceSamples) {
        submit_raw(std::move(*pending));
        pending.reset();
    }
}

void SessionController::submit_raw(Recorder::RawBlock&& raw) {
    const std::size_t device = raw.device;
    const recording::BlockRecord block = raw.block;
    if (!recorder_.submit(std::move(raw))) {
        // Never silent: counted here and written into the gaps table as soon as the ring has room.
        devices_[device].count_ring_overrun(block.n_samples);
        recorder_.submit(
            Recorder::Gap{device, recording::GapRecord{block.first_sample_index, block.n_samples,
                                                       "recorder ring overrun"}});
    }
}

void SessionController::flush_raw() {
    for (auto& pending : pending_raw_) {
        if (pending) {
            submit_raw(std::move(*pending));
            pending.reset();
        }
    }
}

bool SessionController::submit(Recorder::Command&& command) {
    flush_raw();  // the recorder sees data and commands in the order they arrived
    return recorder_.submit(std::move(command));
}

void SessionController::open_session(const json& request, ApiCallback done) {
    if (auto problem = unknown_field(
            request, {"athlete_id", "mass_kg", "involved_limb", "operator", "notes"})) {
        return done(ApiResult::error(400, *problem));
    }
    if (!request.contains("athlete_id") || !request["athlete_id"].is_string()) {
        return done(ApiResult::error(400, "field 'athlete_id' is required and must be a string"));
    }
    const std::string athlete_id = request["athlete_id"].get<std::string>();
    if (!is_safe_identifier(athlete_id)) {
        return done(ApiResult::error(
            400,
            fmt::format(
                "athlete_id '{}' must be 1-64 characters of A-Z a-z 0-9 _ - (it names the file)",
                athlete_id)));
    }
    recording::SessionInfo info;
    info.athlete.id = athlete_id;
    if (request.contains("mass_kg") && !request["mass_kg"].is_null()) {
        const auto& mass = request["mass_kg"];
        if (!mass.is_number() || !(mass.get<double>() > 0.0) || mass.get<double>() > 500.0) {
            return done(
                ApiResult::error(400, "field 'mass_kg' must be a number between 0 and 500"));
        }
        info.athlete.mass_kg = mass.get<double>();
    }
    if (request.contains("involved_limb") && !request["involved_limb"].is_null()) {
        const auto& limb = request["involved_limb"];
        const auto parsed =
            limb.is_string() ? processing::parse_limb(limb.get<std::string>()) : std::nullopt;
        if (!parsed || *parsed == processing::Limb::both) {
            return done(
                ApiResult::error(400, "field 'involved_limb' must be \"left\", \"right\" or null"));
        }
        info.athlete.involved_limb = parsed;
    }
    for (auto [field, target] :
         {std::pair{"operator", &info.operator_name}, std::pair{"notes", &info.notes}}) {
        if (auto problem = optional_string(request, field, *target)) {
            return done(ApiResult::error(400, *problem));
        }
    }
    if (session_ || session_opening_) {
        return done(ApiResult::error(
            409, "a session is already open: DELETE /api/v1/sessions/current first"));
    }
    std::vector<recording::DeviceInfo> devices;
    for (const auto& stream : devices_) {
        if (!stream.hello()) {
            return done(ApiResult::error(
                409,
                fmt::format(
                    "device '{}' has not connected yet: no session without all configured plates",
                    stream.name())));
        }
        const auto& hello = *stream.hello();
        recording::DeviceInfo device;
        device.name = stream.name();
        device.model = hello.model;
        device.serial = hello.serial;
        device.transport = "tcp";
        device.rate_hz = hello.rate_hz;
        device.channel_names = hello.channel_names;
        device.raw_format = hello.sample_format == wire::SampleFormat::int32
                                ? recording::RawFormat::int32_counts
                                : recording::RawFormat::float32_volts;
        device.limb = stream.config().limb;
        device.calibration = stream.calibration();
        devices.push_back(std::move(device));
    }
    info.lab = config_.lab;
    info.created_utc = utc_now();
    const std::string stamp = utc_now("%Y%m%dT%H%M%SZ");
    std::filesystem::path file = config_.data_dir / fmt::format("{}_{}.h5", athlete_id, stamp);
    for (int n = 2; std::filesystem::exists(file); ++n) {
        file = config_.data_dir / fmt::format("{}_{}-{}.h5", athlete_id, stamp, n);
    }
    recording::WriterOptions options{config_.flush_interval};
    options.compress_raw = config_.compress_raw;
    // A chunk holds about one flush interval of the fastest device (at least 1024 rows): every
    // flush writes the partial last chunk, and a compressed chunk is deflated again at each of
    // those writes, so 4096-row chunks at 2 kHz and 250 ms would be deflated 8 times.
    double fastest_hz = 0;
    for (const auto& device : devices) {
        fastest_hz = std::max(fastest_hz, device.rate_hz);
    }
    const double rows_per_flush =
        fastest_hz * std::chrono::duration<double>(config_.flush_interval).count();
    options.chunk_rows = 1024;
    while (options.chunk_rows < 4096 && static_cast<double>(options.chunk_rows) < rows_per_flush) {
        options.chunk_rows *= 2;
    }
    Recorder::SessionOpen command{file, info, std::move(devices), options, {}};
    session_opening_ = true;
    command.done = on_executor([this, done, info](RecorderReply reply) {
        session_opening_ = false;
        if (!reply.ok) {
            return done(ApiResult::error(500, "cannot create the session file: " + reply.error));
        }
        session_ = Session{info.athlete.id, info.athlete.mass_kg, reply.file, 0,
                           std::chrono::steady_clock::now()};
        spdlog::info("session opened for athlete '{}': {}", info.athlete.id, reply.file.string());
        done(ApiResult{201, json{{"session",
                                  {{"athlete_id", info.athlete.id},
                                   {"file", reply.file.string()},
                                   {"created_utc", info.created_utc}}}}});
    });
    if (!submit_control(std::move(command), done)) {
        session_opening_ = false;
        return;
    }
    // The tare in effect (done before this session opened) is already in the stored calibration's
    // offsets; its record (time, offsets, noise) goes into the file's tares table too, right after
    // the file is created (the ring keeps the order), so every file names the zero it used.
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        if (last_tare_[i]) {
            submit(Recorder::Tare{i, *last_tare_[i], devices_[i].calibration()});
        }
    }
}

void SessionController::close_session(ApiCallback done) {
    if (!session_) {
        return done(ApiResult::error(404, "no session is open"));
    }
    if (trial_busy_) {
        return done(ApiResult::error(409, "a trial start or stop is in progress"));
    }
    const bool had_trial = trial_.has_value();
    Recorder::SessionClose command;
    command.done = on_executor([this, done, had_trial](RecorderReply reply) {
        const auto file = session_ ? session_->file : reply.file;
        session_.reset();
        trial_.reset();
        if (!reply.ok) {
            return done(
                ApiResult::error(500, "the session file did not close cleanly: " + reply.error));
        }
        spdlog::info("session closed: {}", file.string());
        done(ApiResult{200, json{{"file", file.string()}, {"aborted_trial", had_trial}}});
    });
    submit_control(std::move(command), done);
}

void SessionController::start_trial(const json& request, ApiCallback done) {
    if (auto problem = unknown_field(request, {"protocol", "limb", "notes"})) {
        return done(ApiResult::error(400, *problem));
    }
    if (!request.contains("protocol") || !request["protocol"].is_string()) {
        return done(ApiResult::error(400,
                                     "field 'protocol' is required (single-leg-hop, repeated-hops, "
                                     "drop-jump, cmj, landing, quiet-stance)"));
    }
    const auto protocol = processing::parse_protocol(request["protocol"].get<std::string>());
    if (!protocol) {
        return done(ApiResult::error(
            400, fmt::format("unknown protocol '{}'", request["protocol"].get<std::string>())));
    }
    processing::Limb limb = processing::Limb::both;
    if (request.contains("limb")) {
        const auto parsed = request["limb"].is_string()
                                ? processing::parse_limb(request["limb"].get<std::string>())
                                : std::nullopt;
        if (!parsed) {
            return done(
                ApiResult::error(400, "field 'limb' must be \"left\", \"right\" or \"both\""));
        }
        limb = *parsed;
    }
    std::string notes;
    if (auto problem = optional_string(request, "notes", notes)) {
        return done(ApiResult::error(400, *problem));
    }
    if (!session_) {
        return done(ApiResult::error(409, "no session is open: POST /api/v1/sessions first"));
    }
    if (trial_ || trial_busy_) {
        return done(
            ApiResult::error(409, "a trial is already recording: POST /api/v1/trials/stop first"));
    }
    if (limb != processing::Limb::both &&
        std::none_of(devices_.begin(), devices_.end(),
                     [&](const auto& d) { return d.config().limb == limb; })) {
        return done(ApiResult::error(
            409, fmt::format("no plate is assigned to the {} limb", processing::to_string(limb))));
    }
    Trial trial{
        fmt::format("trial-{:03d}", session_->trials_started + 1), *protocol, limb, utc_now(), {}};
    recording::TrialStart start;
    start.id = trial.id;
    start.protocol = trial.protocol;
    start.limb = trial.limb;
    start.start_utc = trial.start_utc;
    start.notes = notes;
    const auto boundary = aligned_boundary();
    start.start_sample_index = boundary.sample_index;
    trial.alignment = boundary.by_device_clocks ? "device clocks" : "arrival";
    processing::AnalysisSettings settings;
    settings.body_mass_kg = session_->mass_kg;
    trial_busy_ = true;
    Recorder::TrialBegin command{start, settings, {}};
    command.done = on_executor([this, done, trial](RecorderReply reply) {
        trial_busy_ = false;
        if (!reply.ok) {
            return done(ApiResult::error(500, "cannot start the trial: " + reply.error));
        }
        ++session_->trials_started;
        trial_ = trial;
        const json summary = {{"id", trial.id},
                              {"protocol", processing::to_string(trial.protocol)},
                              {"limb", processing::to_string(trial.limb)},
                              {"start_utc", trial.start_utc},
                              {"alignment", trial.alignment}};
        pending_live_events_.push_back(json{{"type", "trial_started"}, {"trial", summary}});
        spdlog::info("{} started: {} {}", trial.id, summary["protocol"].get<std::string>(),
                     summary["limb"].get<std::string>());
        done(ApiResult{201, json{{"trial", summary}}});
    });
    if (!submit_control(std::move(command), done)) {
        trial_busy_ = false;
    }
}

SessionController::Boundary SessionController::aligned_boundary() const {
    // The boundary instant: now, or later if a connected device's next sample maps later, so that
    // no device's boundary falls among samples already handed to the recorder.
    std::int64_t instant = steady_now_ns();
    bool by_clocks = true;
    for (const auto& device : devices_) {
        if (!device.connected()) {
            continue;
        }
        const auto next = device.host_ns_of(device.next_sample_index());
        if (!next) {
            by_clocks = false;
            break;
        }
        instant = std::max(instant, *next);
    }
    Boundary boundary{{}, by_clocks};
    for (const auto& device : devices_) {
        std::uint64_t index = device.next_sample_index();
        if (by_clocks && device.connected()) {
            index = std::max(index, device.sample_index_at(instant).value_or(index));
        }
        boundary.sample_index.push_back(index);
    }
    return boundary;
}

void SessionController::stop_trial(ApiCallback done) {
    if (!trial_ || trial_busy_) {
        return done(ApiResult::error(409, "no trial is recording"));
    }
    trial_busy_ = true;
    auto stop = aligned_boundary().sample_index;
    // Nothing at or after the stop indices enters the trial while the devices catch up to them.
    if (!submit(Recorder::TrialStopAt{stop})) {
        trial_busy_ = false;
        return done(ApiResult::error(503, "the recorder is overloaded; try the stop again"));
    }
    const std::string stop_utc = utc_now();
    const std::string trial_id = trial_->id;
    auto timer = std::make_shared<boost::asio::steady_timer>(executor_);
    const auto deadline = std::chrono::steady_clock::now() + kStopCatchUp;
    auto wait = std::make_shared<std::function<void()>>();
    *wait = [this, timer, deadline, wait, stop, stop_utc, trial_id, done]() mutable {
        bool behind = false;
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            behind =
                behind || (devices_[i].connected() && devices_[i].next_sample_index() < stop[i]);
        }
        if (behind && std::chrono::steady_clock::now() < deadline) {
            timer->expires_after(std::chrono::milliseconds(2));
            timer->async_wait([wait](boost::system::error_code ec) {
                if (!ec) {
                    (*wait)();
                }
            });
            return;
        }
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            if (devices_[i].next_sample_index() < stop[i]) {
                spdlog::warn("{}: device '{}' delivered up to sample {} of {} by the stop",
                             trial_id, devices_[i].name(), devices_[i].next_sample_index(),
                             stop[i]);
                stop[i] = devices_[i].next_sample_index();
            }
        }
        finish_stop(std::move(stop), stop_utc, done);
        *wait = nullptr;  // releases the closure's hold on itself
    };
    (*wait)();
}

void SessionController::finish_stop(std::vector<std::uint64_t> stop, const std::string& stop_utc,
                                    ApiCallback done) {
    recording::TrialEnd end;
    end.stop_utc = stop_utc;
    end.stop_sample_index = std::move(stop);
    end.status = "complete";
    Recorder::TrialEnd command{end, {}};
    command.done = on_executor([this, done](RecorderReply reply) {
        trial_busy_ = false;
        const Trial trial = *trial_;
        trial_.reset();
        if (!reply.ok) {
            return done(ApiResult::error(500, "the trial could not be written: " + reply.error));
        }
        json summary = {{"id", trial.id},
                        {"protocol", processing::to_string(trial.protocol)},
                        {"limb", processing::to_string(trial.limb)},
                        {"start_utc", trial.start_utc},
                        {"status", "complete"}};
        json body = {{"trial", summary}, {"file", reply.file.string()}};
        body["analysis"] = reply.analysis ? processing::to_json(*reply.analysis) : json(nullptr);
        if (!reply.analysis_error.empty()) {
            body["analysis_error"] = reply.analysis_error;
        }
        body["losses"] = reply.losses;
        pending_live_events_.push_back(
            json{{"type", "trial_stopped"}, {"trial", summary}, {"analysis", body["analysis"]}});
        spdlog::info("{} stopped", trial.id);
        done(ApiResult{200, std::move(body)});
    });
    if (!submit_control(std::move(command), done)) {
        trial_busy_ = false;
    }
}

ApiResult SessionController::tare(const std::string& device_name) {
    const auto index = find_device(device_name);
    if (!index) {
        return ApiResult::error(404, fmt::format("no device named '{}'", device_name));
    }
    if (trial_ || trial_busy_) {
        return ApiResult::error(409, "cannot tare while a trial is recording");
    }
    auto& device = devices_[*index];
    constexpr double kTareWindowS = 2.0;  // METHODS §7: at least 2 s unloaded
    const auto raw = device.recent_raw(kTareWindowS);
    if (!raw) {
        return ApiResult::error(409, fmt::format("device '{}' has not streamed {} s of data yet",
                                                 device_name, kTareWindowS));
    }
    const auto outcome =
        calibration::tare(device.calibration(), *raw, device.rate_hz(), calibration::TareLimits{});
    if (outcome.refusal) {
        return ApiResult::error(
            409, fmt::format("tare refused for '{}': {}", device_name, *outcome.refusal));
    }
    device.set_calibration(*outcome.calibration);
    recording::TareRecord record{utc_now(), outcome.offsets, outcome.noise_sd};
    last_tare_[*index] = record;
    submit(Recorder::Tare{*index, record, *outcome.calibration});
    spdlog::info("device '{}' tared", device_name);
    return ApiResult{200, json{{"device", device_name},
                               {"utc", record.utc},
                               {"offsets", record.offsets},
                               {"noise_sd", record.noise_sd},
                               {"window_s", kTareWindowS}}};
}

void SessionController::capture(const std::string& device_name, const json& request,
                                ApiCallback done) {
    const auto index = find_device(device_name);
    if (!index) {
        return done(ApiResult::error(404, fmt::format("no device named '{}'", device_name)));
    }
    if (auto unknown = unknown_field(request, {"seconds"})) {
        return done(ApiResult::error(400, *unknown));
    }
    constexpr double kMinS = 0.2, kMaxS = DeviceStream::kRawHistoryS;
    if (!request.contains("seconds") || !request["seconds"].is_number()) {
        return done(ApiResult::error(400, "'seconds' (a number) is required"));
    }
    const double seconds = request["seconds"].get<double>();
    if (!(seconds >= kMinS && seconds <= kMaxS)) {
        return done(ApiResult::error(
            400, fmt::format("'seconds' must be {} to {}, not {}", kMinS, kMaxS, seconds)));
    }
    const auto& device = devices_[*index];
    if (!device.connected() || !device.hello()) {
        return done(ApiResult::error(
            409, fmt::format("device '{}' is not streaming: nothing to capture", device_name)));
    }
    const std::uint64_t received_before = device.history_samples_received();
    const auto wanted = static_cast<std::uint64_t>(std::llround(seconds * device.hello()->rate_hz));
    auto capture = std::make_shared<PendingCapture>(
        PendingCapture{boost::asio::steady_timer(executor_), *index, device_name, seconds, wanted,
                       received_before, std::move(done)});
    // Wait for the window, then poll briefly for the blocks still in flight.
    capture->timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds)));
    capture->timer.async_wait(
        [this, capture](boost::system::error_code) { finish_capture(capture, 50); });
}

void SessionController::finish_capture(const std::shared_ptr<PendingCapture>& capture,
                                       int polls_left) {
    const auto& stream = devices_[capture->device];
    const bool arrived = stream.connected() && stream.history_samples_received() >=
                                                   capture->received_before + capture->wanted;
    if (!arrived && polls_left > 0 && stream.connected()) {
        capture->timer.expires_after(std::chrono::milliseconds(20));
        capture->timer.async_wait([this, capture, polls_left](boost::system::error_code) {
            finish_capture(capture, polls_left - 1);
        });
        return;
    }
    const auto raw = arrived ? stream.recent_raw(capture->seconds) : std::nullopt;
    if (!raw) {
        return capture->done(ApiResult::error(
            409, fmt::format("device '{}' stopped streaming during the {} s capture",
                             capture->device_name, capture->seconds)));
    }
    const auto& hello = *stream.hello();
    const std::size_t channels = hello.channel_names.size();
    const std::size_t samples = raw->size() / channels;
    std::vector<double> mean(channels, 0.0), sd(channels, 0.0), low(channels), high(channels);
    for (std::size_t c = 0; c < channels; ++c) {
        low[c] = high[c] = (*raw)[c];
    }
    for (std::size_t s = 0; s < samples; ++s) {
        for (std::size_t c = 0; c < channels; ++c) {
            const double v = (*raw)[s * channels + c];
            mean[c] += v;
            low[c] = std::min(low[c], v);
            high[c] = std::max(high[c], v);
        }
    }
    for (auto& m : mean) {
        m /= static_cast<double>(samples);
    }
    for (std::size_t s = 0; s < samples; ++s) {
        for (std::size_t c = 0; c < channels; ++c) {
            const double d = (*raw)[s * channels + c] - mean[c];
            sd[c] += d * d;
        }
    }
    for (auto& v : sd) {
        v = samples > 1 ? std::sqrt(v / static_cast<double>(samples - 1)) : 0.0;
    }
    capture->done(ApiResult{
        200, json{{"device", capture->device_name},
                  {"samples", samples},
                  {"seconds", capture->seconds},
                  {"rate_hz", hello.rate_hz},
                  {"channels", hello.channel_names},
                  {"unit", hello.sample_format == wire::SampleFormat::int32 ? std::string("count")
                           : hello.channel_units.empty()                    ? std::string()
                                                         : hello.channel_units.front()},
                  {"utc", utc_now()},
                  {"mean_raw", mean},
                  {"sd_raw", sd},
                  {"min_raw", low},
                  {"max_raw", high}}});
}

json SessionController::status() const {
    json devices = json::array();
    for (const auto& device : devices_) {
        devices.push_back(device.status_json(recorder_.samples_written(device.index())));
    }
    json session = nullptr;
    if (session_) {
        session = {{"athlete_id", session_->athlete_id},
                   {"file", session_->file.string()},
                   {"trials", session_->trials_started}};
    }
    json trial = nullptr;
    if (trial_) {
        trial = {{"id", trial_->id},
                 {"protocol", processing::to_string(trial_->protocol)},
                 {"limb", processing::to_string(trial_->limb)},
                 {"start_utc", trial_->start_utc}};
    }
    const auto failure = recorder_.failure();
    return json{
        {"software", {{"name", kSoftwareName}, {"version", kSoftwareVersion}}},
        {"session", session},
        {"trial", trial},
        {"devices", devices},
        {"recorder",
         {{"queued", recorder_.queued()}, {"error", failure ? json(*failure) : json(nullptr)}}},
        {"blocks_without_session", blocks_without_session_},
        {"listeners", listener_status_ ? listener_status_() : json(nullptr)},
        {"rejected_connections", json(rejected_connections_)}};
}

std::string SessionController::prometheus_metrics() const {
    std::string out;
    const auto metric = [&out](std::string_view name, std::string_view help, auto value_of) {
        out += fmt::format("# HELP hoplab_{} {}\n# TYPE hoplab_{} counter\n", name, help, name);
        return value_of;
    };
    struct Row {
        std::string_view name, help;
        std::uint64_t wire::StreamCounters::*field;
    };
    const Row rows[] = {
        {"messages_total", "Messages received", &wire::StreamCounters::messages},
        {"samples_received_total", "Samples received", &wire::StreamCounters::samples_received},
        {"samples_accepted_total", "Samples accepted in order",
         &wire::StreamCounters::samples_accepted},
        {"samples_lost_total", "Samples missing from the sequence",
         &wire::StreamCounters::samples_lost},
        {"sequence_gaps_total", "Sequence gaps", &wire::StreamCounters::sequence_gaps},
        {"duplicates_total", "Duplicate messages", &wire::StreamCounters::duplicates},
        {"out_of_order_total", "Late (out-of-order) messages", &wire::StreamCounters::out_of_order},
        {"crc_failures_total", "Frames with a CRC mismatch", &wire::StreamCounters::crc_failures},
        {"malformed_total", "Malformed frames", &wire::StreamCounters::malformed},
        {"device_reported_lost_total", "Samples the device reported lost",
         &wire::StreamCounters::device_reported_lost},
    };
    for (const auto& row : rows) {
        metric(row.name, row.help, 0);
        for (const auto& device : devices_) {
            out += fmt::format("hoplab_{}{{device=\"{}\"}} {}\n", row.name, device.name(),
                               device.counters().*row.field);
        }
    }
    metric("samples_written_total", "Samples written to the recording", 0);
    for (const auto& device : devices_) {
        out += fmt::format("hoplab_samples_written_total{{device=\"{}\"}} {}\n", device.name(),
                           recorder_.samples_written(device.index()));
    }
    metric("ring_overrun_samples_total", "Samples dropped because the recorder ring was full", 0);
    for (const auto& device : devices_) {
        out += fmt::format("hoplab_ring_overrun_samples_total{{device=\"{}\"}} {}\n", device.name(),
                           device.ring_overrun_samples());
    }
    out +=
        "# HELP hoplab_device_connected Whether the device is connected\n# TYPE "
        "hoplab_device_connected gauge\n";
    for (const auto& device : devices_) {
        out += fmt::format("hoplab_device_connected{{device=\"{}\"}} {}\n", device.name(),
                           device.connected() ? 1 : 0);
    }
    out += fmt::format(
        "# HELP hoplab_recorder_queue Commands queued for the recorder\n# TYPE "
        "hoplab_recorder_queue "
        "gauge\nhoplab_recorder_queue {}\n",
        recorder_.queued());
    return out;
}

void SessionController::flush_tick() {
    if (session_) {
        submit(Recorder::FlushTick{});
    }
}

void SessionController::publish_live(const LivePublisher& publish) {
    // Every device's bins of this tick in one message: one WebSocket write and one TCP segment
    // per tick and viewer, not one per device (docs/performance.md, session 8).
    std::string message;
    for (auto& device : devices_) {
        if (const auto* bins = device.live_bins()) {
            message += message.empty() ? R"({"type":"forces","devices":[)" : ",";
            append_device_bins(message, device.name_json(), *bins);
            device.clear_live_bins();
        }
    }
    if (!message.empty()) {
        message += "]}";
        publish(message);
    }
    for (auto& event : pending_live_events_) {
        publish(event.dump());
    }
    pending_live_events_.clear();
}

void SessionController::discard_live() {
    for (auto& device : devices_) {
        device.clear_live_bins();
    }
    pending_live_events_.clear();
}

void SessionController::shutdown(std::function<void()> done) {
    auto close = [this, done](ApiResult) {
        if (!session_) {
            return done();
        }
        close_session([done](ApiResult) { done(); });
    };
    if (trial_ && !trial_busy_) {
        stop_trial(close);
    } else {
        close(ApiResult{});
    }
}

}  // namespace hoplab::acquisition
