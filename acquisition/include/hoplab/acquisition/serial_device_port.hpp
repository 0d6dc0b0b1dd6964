#pragma once

#include <hoplab/acquisition/daemon_config.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace hoplab::acquisition {

class SessionController;

// One configured serial device (USB-CDC, UART, or a pseudo-terminal in tests), read with
// boost::asio::serial_port at the configured baud rate, 8N1, no flow control. COBS framing carries
// protocol frames with their HELLO; CSV lines come from boards that cannot say HELLO, so the
// device's configured HELLO is bound when the port opens (docs/protocol.md §4). The port is opened
// when the daemon starts and reopened every kRetryInterval after it disappears (a board unplugged
// and plugged back), each disconnect recorded like a TCP one.
class SerialDevicePort {
  public:
    static constexpr std::chrono::seconds kRetryInterval{1};

    SerialDevicePort(boost::asio::io_context& io, DeviceConfig device,
                     SessionController& controller);
    ~SerialDevicePort();
    void start();
    void close();

  private:
    struct PortSession;  // the link and decoder of one opening
    void open();
    void read_next();
    void drop(const std::string& reason);  // disconnects, closes, retries later
    void retry_later();

    DeviceConfig device_;
    SessionController& controller_;
    boost::asio::serial_port port_;
    boost::asio::steady_timer retry_timer_;
    std::array<std::uint8_t, 16 * 1024> buffer_{};
    std::unique_ptr<PortSession> session_;
    std::string last_open_error_;
    bool closing_ = false;
};

}  // namespace hoplab::acquisition
