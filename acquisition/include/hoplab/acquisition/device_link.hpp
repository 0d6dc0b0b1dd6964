#pragma once

#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/wire/codec.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace hoplab::acquisition {

class SessionController;

// The daemon's steady clock in ns: the time base of receipt times and clock maps.
inline std::int64_t steady_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// One peer's protocol conversation, whatever carries it (a TCP connection, a UDP sender address, a
// serial port): binds each stream to a configured device by its HELLO and routes the stream's
// messages and decode errors to the controller. Transports feed it decoded frames and close the
// peer when handle() gives a reason. A device is accepted only over the transport its
// configuration names.
class DeviceLink {
  public:
    // A peer that sends more than this many bytes of garbage without a valid message between is
    // dropped: another protocol must not keep the daemon busy.
    static constexpr std::size_t kGarbageBudgetBytes = 64 * 1024;

    DeviceLink(SessionController& controller, std::string peer, Transport transport);

    // One decoded frame or decode error, with the steady-clock time its last byte was received
    // (steady_now_ns() when the transport knows no better). Returns why the peer must be dropped,
    // or nullopt.
    std::optional<std::string> handle(wire::DecodeResult&& result, std::int64_t received_ns);

    // A stream bound without a HELLO on the wire (CSV boards cannot say HELLO): the configured
    // device's synthesised HELLO. Returns the refusal, if any.
    std::optional<std::string> bind(std::uint32_t stream_id, const wire::Hello& hello);

    // Tells every bound device that the peer is gone.
    void disconnect(const std::string& reason);

    const std::string& peer() const { return peer_; }
    bool bound() const { return !streams_.empty(); }
    // UDP and serial: messages that arrived before their stream's HELLO (ignored, not charged to
    // any device: which device sent them is not known yet).
    std::uint64_t messages_before_hello() const { return messages_before_hello_; }

  private:
    std::optional<std::string> on_hello(std::uint32_t stream_id, std::uint32_t seq,
                                        const wire::Hello& hello);

    struct Binding {
        std::size_t device;
        wire::Hello hello;
    };
    SessionController& controller_;
    std::string peer_;
    Transport transport_;
    std::map<std::uint32_t, Binding> streams_;
    std::size_t garbage_bytes_ = 0;
    std::uint64_t messages_before_hello_ = 0;
};

}  // namespace hoplab::acquisition
