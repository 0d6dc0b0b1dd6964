#pragma once

// Simulated 8-channel float32 amplifiers for the acquisition bench: HELLO once, then DATA frames of
// consecutive samples, over one TCP connection or one UDP socket each (docs/protocol.md).

#include <hoplab/acquisition/wire/messages.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hoplab::bench {

// When one frame left the sender: the device index one past its last sample, and the steady clock
// (ns) just before the frame was handed to the socket.
struct SentFrame {
    std::uint64_t end_sample_index = 0;
    std::int64_t send_ns = 0;
};

struct SendPlan {
    std::size_t samples_per_frame = 100;
    // Offered rate in samples per second; nullopt sends as fast as the socket takes frames (TCP:
    // the daemon's backpressure; UDP has none, so the plan must name a rate).
    std::optional<double> samples_per_s;
    std::chrono::steady_clock::duration duration = std::chrono::seconds(10);
    bool record_frames = false;  // keep a SentFrame per frame (latency runs)
    // DATA frames carry the sender's steady clock as device time; false sends 0 ("unknown"), for
    // which the daemon fits no clock map (a diagnostic of what the fit costs).
    bool device_time = true;
};

struct SendResult {
    std::uint64_t frames = 0;
    std::uint64_t samples = 0;
    std::uint64_t bytes = 0;  // encoded frames, protocol headers and CRCs included
    double elapsed_s = 0;
    std::vector<SentFrame> frames_sent;  // when the plan asked for them
};

// The float32 volts a loaded plate gives a ±2.5 V 24-bit amplifier: a slow sine per channel plus
// ±4 LSB of noise, which is what the recorder's shuffle+deflate sees from a real plate. Rows ×
// kPlateChannels, row-major; the same samples feed the HDF5 reference.
std::span<const float> bench_signal();
inline constexpr std::size_t kSignalRows = 64 * 4096;

enum class SenderTransport { tcp, udp };

// One device. Construction connects (TCP) or binds (UDP) and sends the HELLO; run() sends DATA
// frames and can be called again (the sample index and sequence number continue). Throws
// std::runtime_error naming the device when the socket fails.
class FrameSender {
  public:
    FrameSender(SenderTransport transport, std::uint16_t port, std::string device_name,
                double nominal_rate_hz);
    ~FrameSender();
    FrameSender(const FrameSender&) = delete;
    FrameSender& operator=(const FrameSender&) = delete;

    SendResult run(const SendPlan& plan);
    // A HEARTBEAT carrying the next sample index: over UDP it lets the daemon see a lost last
    // datagram as a gap.
    void send_heartbeat();
    // Encoded bytes of one DATA frame of this many samples (for converting bytes/s to samples/s).
    static std::size_t frame_bytes(std::size_t samples_per_frame);

  private:
    struct Socket;
    // The next DATA frame into `frame` (reused: same-size frames are patched in place).
    void encode_data(std::vector<std::uint8_t>& frame, std::size_t samples,
                     std::int64_t device_time_ns);

    std::unique_ptr<Socket> socket_;
    SenderTransport transport_;
    std::string device_name_;
    std::uint32_t seq_ = 0;
    std::uint64_t next_index_ = 0;
    bool patch_checked_ = false;
};

}  // namespace hoplab::bench
