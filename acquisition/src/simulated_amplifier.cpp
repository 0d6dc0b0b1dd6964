#include <hoplab/acquisition/simulated_amplifier.hpp>
#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/acquisition/wire/codec.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace hoplab::acquisition {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

constexpr double kStandardGravity = 9.80665;  // m/s², what a known weight of m kg exerts per kg

calibration::PlateCalibration simulated_plate_calibration(const std::string& serial,
                                                          bool with_offsets,
                                                          std::optional<double> fz_gain_n_per_count,
                                                          std::optional<double> fz_offset_counts) {
    // Gains of a strain-gauge plate on a 24-bit amplifier: N (or N·m) per count for Fx Fy Fz Mx My
    // Mz.
    std::array<double, 6> gain{0.02, 0.02, 0.05, 0.001, 0.001, 0.0005};
    // Amplifier zero offsets in counts (what a tare must find).
    std::array<double, 6> offset{1500.0, -1200.0, 4000.0, 300.0, -250.0, 100.0};
    if (!with_offsets) {
        offset = {};
    }
    if (fz_gain_n_per_count) {
        if (!(*fz_gain_n_per_count > 0) || !std::isfinite(*fz_gain_n_per_count)) {
            throw std::invalid_argument(
                fmt::format("--plate-gain must be a positive number of N per count, not {}",
                            *fz_gain_n_per_count));
        }
        gain[2] = *fz_gain_n_per_count;
    }
    if (fz_offset_counts) {
        if (!std::isfinite(*fz_offset_counts)) {
            throw std::invalid_argument(
                fmt::format("--plate-offset must be a finite count, not {}", *fz_offset_counts));
        }
        offset[2] = *fz_offset_counts;
    }
    constexpr double kOriginZM = -0.040;  // transducer origin 40 mm below the surface
    return calibration::PlateCalibration::six_channel_diagonal(serial, gain, offset, kOriginZM);
}

namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json PerformanceReport::to_json() const {
    nlohmann::json contacts = nlohmann::json::array();
    for (const auto& c : truth.hop_contacts) {
        contacts.push_back({{"touchdown_s", c.touchdown_s},
                            {"take_off_s", c.take_off_s},
                            {"peak_force_n", c.peak_force_n},
                            {"impulse_ns", c.impulse_ns}});
    }
    return {{"event", "performed"},
            {"protocol", processing::to_string(protocol)},
            {"limb", processing::to_string(limb)},
            {"first_sample_index", first_sample_index},
            {"end_sample_index", end_sample_index},
            {"truth",
             {{"body_weight_n", truth.body_weight_n},
              {"hop_contacts", contacts},
              {"flight_times_s", truth.flight_times_s},
              {"jump_heights_m", truth.jump_heights_m},
              {"expected_jump_height_asymmetry_pct", truth.expected_jump_height_asymmetry_pct},
              // The stick landing's analytic horizontal time to stabilisation (s from touchdown);
              // null when the performance ends without a stick landing.
              {"landing_tts_ml_s", optional_number(truth.landing_tts_ml_s)},
              {"landing_tts_ap_s", optional_number(truth.landing_tts_ap_s)}}}};
}

SimulatedAmplifier::SimulatedAmplifier(asio::io_context& io, AmplifierOptions options)
    : io_(io),
      options_(std::move(options)),
      noise_seed_(options_.seed * 1'000'003ULL),
      damage_random_(options_.damage.seed),
      timer_(io) {
    for (const auto& [name, p] :
         {std::pair{"drop", options_.damage.drop}, std::pair{"corrupt", options_.damage.corrupt},
          std::pair{"duplicate", options_.damage.duplicate},
          std::pair{"reorder", options_.damage.reorder}}) {
        if (!(p >= 0 && p <= 0.5)) {
            throw std::invalid_argument(
                fmt::format("--{} must be a probability from 0 to 0.5, not {}", name, p));
        }
    }
    if (options_.plates < 1 || options_.plates > 2) {
        throw std::invalid_argument(
            fmt::format("--plates must be 1 or 2, not {}", options_.plates));
    }
    if (!(options_.rate_hz >= 10.0 && options_.rate_hz <= 20'000.0)) {
        throw std::invalid_argument(
            fmt::format("--rate must be 10 to 20000 Hz, not {}", options_.rate_hz));
    }
    if (!(std::abs(options_.clock_drift_ppm) <= 10'000.0)) {
        throw std::invalid_argument(fmt::format(
            "--clock-drift-ppm must be within ±10000 ppm, not {}", options_.clock_drift_ppm));
    }
    if (options_.disconnect_after_s &&
        (options_.link != AmplifierLink::tcp || !(*options_.disconnect_after_s > 0))) {
        throw std::invalid_argument(
            "--disconnect-after needs a positive number of seconds and a tcp:// connection");
    }
    if (options_.block_samples < 1 || options_.block_samples > 1000) {
        throw std::invalid_argument(
            fmt::format("block size must be 1 to 1000 samples, not {}", options_.block_samples));
    }
    for (int p = 0; p < options_.plates; ++p) {
        const std::string name = p == 0 ? "left" : "right";
        Plate plate;
        plate.name = name;
        plate.calibration = simulated_plate_calibration(
            "SIM-" + name, true, options_.fz_gain_n_per_count, options_.fz_offset_counts);
        plates_.push_back(std::move(plate));
    }
    if (options_.link == AmplifierLink::pty) {
        open_pty();
    }
}

SimulatedAmplifier::~SimulatedAmplifier() = default;

void SimulatedAmplifier::open_pty() {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
        const std::string why = std::strerror(errno);
        if (master >= 0) {
            ::close(master);
        }
        throw std::runtime_error("cannot create a pseudo-terminal: " + why);
    }
    pty_path_ = ::ptsname(master);
    pty_master_.emplace(io_, master);
    // Raw mode before the daemon opens it (a cooked line discipline would echo and rewrite bytes).
    // Closing the slave again leaves the line hung up until the daemon opens it: that is how
    // the amplifier sees the cable plugged in (pty_line_up()).
    const int slave = ::open(pty_path_.c_str(), O_RDWR | O_NOCTTY);
    termios raw{};
    if (slave < 0 || ::tcgetattr(slave, &raw) != 0) {
        const std::string why = std::strerror(errno);
        if (slave >= 0) {
            ::close(slave);
        }
        throw std::runtime_error(pty_path_ + ": " + why);
    }
    ::cfmakeraw(&raw);
    ::tcsetattr(slave, TCSANOW, &raw);
    ::close(slave);
}

bool SimulatedAmplifier::pty_line_up() {
    pollfd line{pty_master_->native_handle(), POLLOUT, 0};
    return ::poll(&line, 1, 0) >= 0 && (line.revents & POLLHUP) == 0;
}

void SimulatedAmplifier::start() {
    clock_start_ = std::chrono::steady_clock::now();
    asio::co_spawn(io_, run(), asio::detached);
}

void SimulatedAmplifier::stop() {
    stopping_ = true;
    timer_.cancel();
    // While streaming, the loop notices `stopping_` at its next block and says goodbye; a pending
    // connect is aborted.
    boost::system::error_code ignored;
    if (socket_ && !connected_) {
        socket_->close(ignored);
    }
    if (pty_master_) {
        pty_master_->cancel(ignored);  // a write waiting for a reader that never comes
    }
}

void SimulatedAmplifier::perform(processing::Protocol protocol, processing::Limb limb,
                                 std::function<void(const PerformanceReport&)> done) {
    static_load_.reset();  // the athlete steps on instead of the weight
    simulation::TrialScript script;
    script.protocol = protocol;
    script.limb = limb;
    const auto trial =
        simulation::simulate_trial(options_.athlete, script, options_.noise, options_.rate_hz,
                                   options_.seed + 7919 * (++performances_));
    std::size_t samples = 0;
    for (auto& plate : plates_) {
        const processing::Limb plate_limb =
            plate.name == "left" ? processing::Limb::left : processing::Limb::right;
        plate.script.clear();
        for (const auto& trace : trial.plates) {
            if (trace.limb == plate_limb) {
                plate.script.assign(trace.samples.begin(), trace.samples.end());
                samples = std::max(samples, trace.samples.size());
            }
        }
    }
    PendingPerformance pending;
    pending.report.protocol = protocol;
    pending.report.limb = limb;
    pending.report.first_sample_index = plates_.front().next_sample_index;
    pending.report.end_sample_index = pending.report.first_sample_index + samples;
    pending.report.truth = trial.truth;
    pending.done = std::move(done);
    performing_ = std::move(pending);
}

void SimulatedAmplifier::load(const StaticLoad& load) {
    if (performing_) {
        throw std::logic_error("a performance is streaming; wait for its 'performed' line");
    }
    if (!(load.mass_kg >= 0 && load.mass_kg <= 2000) || !(std::abs(load.x_m) <= 1.0) ||
        !(std::abs(load.y_m) <= 1.0)) {
        throw std::invalid_argument(fmt::format(
            "load {} kg at ({} m, {} m): the mass must be 0 to 2000 kg and the position within "
            "1 m of the plate centre",
            load.mass_kg, load.x_m, load.y_m));
    }
    static_load_ = load.mass_kg > 0 ? std::optional<StaticLoad>(load) : std::nullopt;
    for (auto& plate : plates_) {
        plate.script.clear();  // the new load starts with the next block
    }
}

void SimulatedAmplifier::refill(Plate& plate, std::size_t needed) {
    while (plate.script.size() < needed) {
        auto quiet =
            simulation::simulate_unloaded(1.0, options_.rate_hz, options_.noise, ++noise_seed_);
        if (static_load_) {
            // A dead weight: no shear, moments about the origin from the centre of pressure
            // (Mx = y·Fz, My = −x·Fz, the simulator's convention).
            const double fz = static_load_->mass_kg * kStandardGravity;
            for (auto& w : quiet) {
                w.fz_n += fz;
                w.mx_nm += static_load_->y_m * fz;
                w.my_nm -= static_load_->x_m * fz;
            }
        }
        plate.script.insert(plate.script.end(), quiet.begin(), quiet.end());
    }
}

std::vector<std::uint8_t> SimulatedAmplifier::next_block(std::size_t plate_index) {
    auto& plate = plates_[plate_index];
    const auto n = static_cast<std::size_t>(options_.block_samples);
    refill(plate, n);
    wire::DataBlock block;
    block.first_sample_index = plate.next_sample_index;
    block.device_time_ns = segment_device_origin_ns_ +
                           static_cast<std::int64_t>(std::llround(
                               static_cast<double>(plate.next_sample_index - segment_first_index_) *
                               1e9 / options_.rate_hz));
    block.n_samples = static_cast<std::uint16_t>(n);
    block.n_channels = 6;
    block.sample_format = wire::SampleFormat::int32;
    block.counts.reserve(n * 6);
    for (std::size_t s = 0; s < n; ++s) {
        const auto raw = plate.calibration.to_raw(plate.script.front());
        plate.script.pop_front();
        for (double value : raw) {
            // A 24-bit converter: counts are whole numbers within ±2^23.
            block.counts.push_back(
                static_cast<std::int32_t>(std::clamp(std::round(value), -8388608.0, 8388607.0)));
        }
    }
    plate.next_sample_index += n;
    plate.samples_sent += n;
    ++plate.messages_sent;
    wire::Message message;
    message.stream_id = static_cast<std::uint32_t>(plate_index + 1);
    message.seq = plate.seq++;
    message.body = std::move(block);
    return wire::encode(message);
}

void SimulatedAmplifier::complete_performances() {
    if (performing_ && plates_.front().next_sample_index >= performing_->report.end_sample_index) {
        auto finished = std::move(*performing_);
        performing_.reset();
        if (finished.done) {
            finished.done(finished.report);
        }
    }
}

asio::awaitable<void> SimulatedAmplifier::run() {
    boost::system::error_code ec;
    if (options_.link == AmplifierLink::udp) {
        udp_socket_.emplace(io_);
        udp_socket_->connect(udp::endpoint(asio::ip::make_address(options_.host), options_.port),
                             ec);
        if (ec) {
            spdlog::error("simulated amplifier: udp://{}:{}: {}", options_.host, options_.port,
                          ec.message());
            co_return;
        }
    }
    if (options_.link == AmplifierLink::udp) {
        connected_ = true;
        ++connections_;
        co_await stream_until_disconnected();
        say_goodbye();
        connected_ = false;
        co_return;
    }
    if (options_.link == AmplifierLink::pty) {
        // Like a board on a UART: it streams while a receiver holds the line open and pauses
        // (sampling nothing) while nobody does, saying HELLO again when the line comes back.
        while (!stopping_) {
            if (!pty_line_up()) {
                timer_.expires_after(std::chrono::milliseconds(20));
                co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            connected_ = true;
            ++connections_;
            const bool keep_going = co_await stream_until_disconnected();
            connected_ = false;
            if (!keep_going) {
                say_goodbye();
                break;
            }
        }
        co_return;
    }
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    while (!stopping_) {
        socket_.emplace(io_);
        co_await socket_->async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            timer_.expires_after(std::chrono::milliseconds(200));
            co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        socket_->set_option(tcp::no_delay(true), ec);
        connected_ = true;
        ++connections_;
        const bool keep_going = co_await stream_until_disconnected();
        connected_ = false;
        if (!keep_going) {
            break;
        }
    }
    if (socket_ && socket_->is_open()) {
        say_goodbye();
        socket_->close(ec);
    }
}

// The daemon logs a clean disconnect rather than a reset or a timeout.
void SimulatedAmplifier::say_goodbye() {
    Messages byes;
    for (std::size_t p = 0; p < plates_.size(); ++p) {
        wire::Message bye;
        bye.stream_id = static_cast<std::uint32_t>(p + 1);
        bye.seq = plates_[p].seq++;
        bye.body = wire::Bye{};
        byes.push_back(wire::encode(bye));
    }
    boost::system::error_code ec;
    for (const auto& bytes : byes) {
        if (socket_ && socket_->is_open()) {
            asio::write(*socket_, asio::buffer(bytes), ec);
        } else if (udp_socket_) {
            udp_socket_->send(asio::buffer(bytes), 0, ec);
        } else if (pty_master_) {
            // Never blocks: with nobody reading a full line, the goodbye is simply not sent.
            auto framed = wire::cobs_encode(bytes);
            framed.push_back(0);
            pty_master_->non_blocking(true, ec);
            pty_master_->write_some(asio::buffer(framed), ec);
        }
    }
}

SimulatedAmplifier::Messages SimulatedAmplifier::hellos() {
    Messages messages;
    for (std::size_t p = 0; p < plates_.size(); ++p) {
        wire::Hello hello;
        hello.device_name = plates_[p].name;
        hello.model = "hoplab simulated 6-channel plate";
        hello.serial = "SIM-" + plates_[p].name;
        hello.layout = "fxyz_mxyz";
        hello.rate_hz = options_.rate_hz;
        hello.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
        hello.channel_units = {"count", "count", "count", "count", "count", "count"};
        hello.sample_format = wire::SampleFormat::int32;
        wire::Message message;
        message.stream_id = static_cast<std::uint32_t>(p + 1);
        message.seq = plates_[p].seq++;
        message.body = hello;
        messages.push_back(wire::encode(message));
    }
    return messages;
}

asio::awaitable<bool> SimulatedAmplifier::send(const Messages& messages) {
    boost::system::error_code ec;
    wire_bytes_.clear();
    switch (options_.link) {
        case AmplifierLink::tcp:
            for (const auto& m : messages) {
                wire_bytes_.insert(wire_bytes_.end(), m.begin(), m.end());
            }
            co_await asio::async_write(*socket_, asio::buffer(wire_bytes_),
                                       asio::redirect_error(asio::use_awaitable, ec));
            break;
        case AmplifierLink::udp:
            for (const auto& m : messages) {
                // Nobody listening yet (ICMP port unreachable) loses the datagram, as on a LAN.
                udp_socket_->send(asio::buffer(m), 0, ec);
                if (ec == asio::error::connection_refused) {
                    ec.clear();
                }
                if (ec) {
                    break;
                }
            }
            break;
        case AmplifierLink::pty:
            for (const auto& m : messages) {
                const auto framed = wire::cobs_encode(m);
                wire_bytes_.insert(wire_bytes_.end(), framed.begin(), framed.end());
                wire_bytes_.push_back(0);
            }
            co_await asio::async_write(*pty_master_, asio::buffer(wire_bytes_),
                                       asio::redirect_error(asio::use_awaitable, ec));
            break;
    }
    if (ec) {
        spdlog::warn("simulated amplifier: link lost: {}", ec.message());
    }
    co_return !ec;
}

asio::awaitable<bool> SimulatedAmplifier::stream_until_disconnected() {
    if (!co_await send(hellos())) {
        co_return !stopping_;
    }
    // A crystal P ppm fast delivers its nominal rate P ppm early in host time; the device clock
    // (device_time_ns) runs on the same crystal, so it keeps nominal time.
    const auto period = std::chrono::nanoseconds(
        static_cast<std::int64_t>(std::llround(1e9 * options_.block_samples / options_.rate_hz /
                                               (1.0 + options_.clock_drift_ppm * 1e-6))));
    const auto connected_at = std::chrono::steady_clock::now();
    // The device clock runs on (1 s at the first connection, on the crystal's time) whether or not
    // a receiver is there; sampling resumes at the next index when one is.
    segment_first_index_ = plates_.front().next_sample_index;
    segment_device_origin_ns_ =
        1'000'000'000 +
        static_cast<std::int64_t>(
            std::llround(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 connected_at - clock_start_)
                                                 .count()) *
                         (1.0 + options_.clock_drift_ppm * 1e-6)));
    const auto blocks_per_second = static_cast<std::uint64_t>(
        std::max(1.0, std::round(options_.rate_hz / options_.block_samples)));
    auto deadline = std::chrono::steady_clock::now();
    Messages batch;
    boost::system::error_code ec;
    for (std::uint64_t block = 1; !stopping_; ++block) {
        deadline += period;
        batch.clear();
        if (options_.link != AmplifierLink::tcp && block % blocks_per_second == 0) {
            batch = hellos();
        }
        for (std::size_t p = 0; p < plates_.size(); ++p) {
            const auto samples = static_cast<std::uint64_t>(options_.block_samples);
            damaged(p, next_block(p), samples, batch);
        }
        if (!co_await send(batch)) {
            co_return !stopping_;
        }
        complete_performances();
        if (options_.link == AmplifierLink::pty && !pty_line_up()) {
            co_return !stopping_;  // the receiver closed the line
        }
        if (options_.disconnect_after_s &&
            std::chrono::steady_clock::now() - connected_at >=
                std::chrono::duration<double>(*options_.disconnect_after_s)) {
            // A cable pulled without a goodbye; sampling pauses until the connection is back.
            ++disconnects_;
            socket_->close(ec);
            co_return !stopping_;
        }
        timer_.expires_at(deadline);
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return false;
}

void SimulatedAmplifier::damaged(std::size_t plate_index, std::vector<std::uint8_t> message,
                                 std::uint64_t samples, Messages& out) {
    auto& plate = plates_[plate_index];
    const auto put = [&out](const std::vector<std::uint8_t>& bytes) { out.push_back(bytes); };
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const auto& d = options_.damage;
    // The message after a reordered one goes intact, then the held one (which arrives late).
    if (plate.held) {
        put(message);
        put(*plate.held);
        plate.held.reset();
        auto& seen = plate.damage;
        seen.reordered_messages += 1;
        seen.reordered_samples += plate.held_samples;
        const auto& pending = plate.damage_pending;
        seen.dropped_messages += pending.dropped_messages;
        seen.dropped_samples += pending.dropped_samples;
        seen.corrupted_samples += pending.corrupted_samples;
        plate.damage_pending = DamageCounts{};
        return;
    }
    // The first message sets the receiver's expectations (docs/protocol.md §6): it goes intact.
    if (!d.any() || plate.messages_sent <= 1) {
        put(message);
        return;
    }
    const double r = uniform(damage_random_);
    if (r < d.drop) {
        plate.damage_pending.dropped_messages += 1;
        plate.damage_pending.dropped_samples += samples;
        return;
    }
    if (r < d.drop + d.corrupt) {
        // A payload byte: the header is intact, so the receiver stays in step and counts a CRC
        // failure; the samples are lost.
        message.at(24) ^= 0x5a;
        put(message);
        plate.damage.corrupted_messages += 1;
        plate.damage_pending.corrupted_samples += samples;
        return;
    }
    if (r < d.drop + d.corrupt + d.reorder) {
        plate.held = std::move(message);
        plate.held_samples = samples;
        return;
    }
    put(message);
    // An intact message in order: every earlier drop and corruption is now visible as a gap.
    auto& seen = plate.damage;
    const auto& pending = plate.damage_pending;
    seen.dropped_messages += pending.dropped_messages;
    seen.dropped_samples += pending.dropped_samples;
    seen.corrupted_samples += pending.corrupted_samples;
    plate.damage_pending = DamageCounts{};
    if (r < d.drop + d.corrupt + d.reorder + d.duplicate) {
        put(message);
        seen.duplicated_messages += 1;
    }
}

nlohmann::json SimulatedAmplifier::summary() const {
    nlohmann::json plates = nlohmann::json::array();
    for (const auto& plate : plates_) {
        const auto& d = plate.damage;
        const auto& unseen = plate.damage_pending;
        plates.push_back(
            {{"name", plate.name},
             {"samples_sent", plate.samples_sent},
             {"messages_sent", plate.messages_sent},
             {"next_sample_index", plate.next_sample_index},
             // Damage the daemon can account for; drops, corruptions and a held message after the
             // last intact message are invisible to it (nothing followed them) and listed apart.
             {"damage",
              {{"dropped_messages", d.dropped_messages},
               {"dropped_samples", d.dropped_samples},
               {"corrupted_messages", d.corrupted_messages},
               {"corrupted_samples", d.corrupted_samples},
               {"duplicated_messages", d.duplicated_messages},
               {"reordered_messages", d.reordered_messages},
               {"reordered_samples", d.reordered_samples}}},
             {"damage_after_last_intact_message",
              {{"dropped_messages", unseen.dropped_messages},
               {"dropped_samples", unseen.dropped_samples},
               {"corrupted_samples", unseen.corrupted_samples},
               {"held_samples", plate.held ? plate.held_samples : 0}}}});
    }
    return {{"event", "summary"},
            {"rate_hz", options_.rate_hz},
            {"link", options_.link == AmplifierLink::tcp   ? "tcp"
                     : options_.link == AmplifierLink::udp ? "udp"
                                                           : "pty"},
            {"connections", connections_},
            {"disconnects", disconnects_},
            {"clock_drift_ppm", options_.clock_drift_ppm},
            {"performances", performances_},
            {"plates", plates}};
}

}  // namespace hoplab::acquisition
