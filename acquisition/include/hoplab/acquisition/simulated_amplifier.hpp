#pragma once

#include <utility>  // before Asio's awaitable headers (Boost 1.74 with GCC 12)

#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace hoplab::acquisition {

// Damage the amplifier does to its own DATA messages on the wire, each a probability per message
// (drawn from `seed`), so tests can hold the daemon's accounting (docs/protocol.md §6) against
// summary()'s "damage": dropped (never sent), corrupted (one payload byte flipped: a CRC failure),
// duplicated (sent twice), reordered (held back and sent after the next message).
struct WireDamage {
    double drop = 0, corrupt = 0, duplicate = 0, reorder = 0;
    std::uint64_t seed = 1;
    bool any() const { return drop > 0 || corrupt > 0 || duplicate > 0 || reorder > 0; }
};

// How the amplifier reaches the daemon (docs/protocol.md §4): a TCP connection, one datagram per
// message, or COBS frames on the master side of a pseudo-terminal whose slave the daemon opens as
// a serial port.
enum class AmplifierLink { tcp, udp, pty };

struct AmplifierOptions {
    AmplifierLink link = AmplifierLink::tcp;
    std::string host = "127.0.0.1";  // tcp, udp
    std::uint16_t port = 8751;       // tcp, udp
    int plates = 2;                  // plate 0 is "left", plate 1 "right"
    double rate_hz = 1000.0;
    int block_samples = 20;  // samples per DATA message (20 ms at 1 kHz)
    simulation::AthleteModel athlete;
    simulation::PlateNoise noise;
    std::uint64_t seed = 1;
    // The simulated plates' true vertical gain (N per count) and offset (counts), when they
    // differ from the factory calibration (known-weight fit tests).
    std::optional<double> fz_gain_n_per_count;
    std::optional<double> fz_offset_counts;
    WireDamage damage;
    // The amplifier's crystal runs this much fast (negative: slow): samples and blocks come early
    // in host time while the device clock keeps its own time, so the daemon fits drift_ppm ≈ −P.
    double clock_drift_ppm = 0;
    // TCP only: drops the connection (no BYE) this long after each connect, then reconnects.
    std::optional<double> disconnect_after_s;
};

// A dead weight resting on every plate: mass and centre of pressure (plate frame, metres).
struct StaticLoad {
    double mass_kg = 0;
    double x_m = 0, y_m = 0;
};

// What one cued performance streamed: sample ranges (device sample indices) and the simulator's
// ground truth.
struct PerformanceReport {
    processing::Protocol protocol;
    processing::Limb limb;
    std::uint64_t first_sample_index = 0;
    std::uint64_t end_sample_index = 0;  // one past the last sample of the performance
    simulation::TrialTruth truth;
    nlohmann::json to_json() const;
};

// A simulated multi-plate amplifier: streams six raw channels per plate (counts with noise and
// offset, through the inverse of the simulated plate's calibration) in the wire protocol over TCP,
// UDP or a pseudo-terminal, in real time from absolute deadlines. Between cues the plates are
// unloaded; perform() cues the simulated athlete. Over TCP it reconnects after a dropped
// connection and on the pseudo-terminal streams while the daemon holds the line open (sampling
// pauses while disconnected); over UDP and the pseudo-terminal, where a receiver may start
// listening late or lose a message, it repeats its HELLOs every second.
class SimulatedAmplifier {
  public:
    // Throws std::invalid_argument for options out of range, std::runtime_error when no
    // pseudo-terminal can be created.
    SimulatedAmplifier(boost::asio::io_context& io, AmplifierOptions options);
    ~SimulatedAmplifier();
    SimulatedAmplifier(const SimulatedAmplifier&) = delete;
    SimulatedAmplifier& operator=(const SimulatedAmplifier&) = delete;
    void start();
    void stop();
    void perform(processing::Protocol protocol, processing::Limb limb,
                 std::function<void(const PerformanceReport&)> done);
    // Puts a dead weight on every plate from the next block (mass 0 takes it off). Throws
    // std::invalid_argument for a mass outside 0–2000 kg or a position beyond 1 m, and
    // std::logic_error while a performance is streaming.
    void load(const StaticLoad& load);
    bool connected() const { return connected_; }
    // The pseudo-terminal's slave device (e.g. /dev/pts/7) the daemon opens, for
    // AmplifierLink::pty.
    const std::string& serial_path() const { return pty_path_; }
    nlohmann::json summary() const;

  private:
    struct DamageCounts {
        std::uint64_t dropped_messages = 0, dropped_samples = 0;
        std::uint64_t corrupted_messages = 0, corrupted_samples = 0;
        std::uint64_t duplicated_messages = 0;
        std::uint64_t reordered_messages = 0, reordered_samples = 0;
    };
    struct Plate {
        std::string name;
        calibration::PlateCalibration calibration;
        std::deque<calibration::Wrench> script;  // what the plate will read next
        std::uint64_t next_sample_index = 0;
        std::uint32_t seq = 0;
        std::uint64_t samples_sent = 0;
        std::uint64_t messages_sent = 0;
        std::optional<std::vector<std::uint8_t>> held;  // a reordered message, sent after the next
        std::uint64_t held_samples = 0;
        DamageCounts damage;          // what the daemon can see: followed by an intact message
        DamageCounts damage_pending;  // drops and corruptions not yet followed by one
    };
    struct PendingPerformance {
        PerformanceReport report;
        std::function<void(const PerformanceReport&)> done;
    };

    using Messages = std::vector<std::vector<std::uint8_t>>;
    boost::asio::awaitable<void> run();
    // Streams until stop() (false) or a lost connection (true: connect again).
    boost::asio::awaitable<bool> stream_until_disconnected();
    Messages hellos();
    // Puts messages on the link: one write on TCP, one datagram each on UDP, COBS frames on the
    // pseudo-terminal. False when the link failed.
    boost::asio::awaitable<bool> send(const Messages& messages);
    void say_goodbye();
    void open_pty();
    bool pty_line_up();  // a receiver has the pseudo-terminal's slave open
    void refill(Plate& plate, std::size_t needed);
    std::vector<std::uint8_t> next_block(std::size_t plate_index);
    // What goes on the wire for the plate's next message, after the configured damage.
    void damaged(std::size_t plate_index, std::vector<std::uint8_t> message, std::uint64_t samples,
                 Messages& out);
    void complete_performances();

    boost::asio::io_context& io_;
    AmplifierOptions options_;
    std::vector<Plate> plates_;
    std::optional<PendingPerformance> performing_;
    std::optional<StaticLoad> static_load_;
    std::uint64_t noise_seed_;
    std::mt19937_64 damage_random_;
    std::uint64_t performances_ = 0;
    bool stopping_ = false;
    bool connected_ = false;
    std::uint64_t connections_ = 0;
    std::uint64_t disconnects_ = 0;  // by disconnect_after_s
    // The device clock: device time of the first sample streamed since the last (re)connection.
    std::chrono::steady_clock::time_point clock_start_;
    std::uint64_t segment_first_index_ = 0;
    std::int64_t segment_device_origin_ns_ = 1'000'000'000;
    boost::asio::steady_timer timer_;
    std::optional<boost::asio::ip::tcp::socket> socket_;
    std::optional<boost::asio::ip::udp::socket> udp_socket_;
    std::optional<boost::asio::posix::stream_descriptor> pty_master_;
    std::string pty_path_;
    std::vector<std::uint8_t> wire_bytes_;  // scratch for one write
};

}  // namespace hoplab::acquisition
