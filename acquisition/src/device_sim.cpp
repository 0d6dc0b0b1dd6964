#include <hoplab/acquisition/device_sim.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <unistd.h>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <istream>
#include <ostream>
#include <sstream>

namespace hoplab::acquisition {

namespace asio = boost::asio;

void parse_connect_url(const std::string& url, AmplifierOptions& amplifier) {
    const std::string expected =
        fmt::format("--connect '{}': expected tcp://HOST:PORT, udp://HOST:PORT or pty", url);
    if (url == "pty") {
        amplifier.link = AmplifierLink::pty;
        return;
    }
    if (url.starts_with("tcp://")) {
        amplifier.link = AmplifierLink::tcp;
    } else if (url.starts_with("udp://")) {
        amplifier.link = AmplifierLink::udp;
    } else {
        throw std::invalid_argument(expected);
    }
    const std::string rest = url.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw std::invalid_argument(expected);
    }
    amplifier.host = rest.substr(0, colon);
    if (amplifier.host == "localhost") {
        amplifier.host = "127.0.0.1";
    }
    const std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    const unsigned long value = std::strtoul(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || value == 0 || value > 65535) {
        throw std::invalid_argument(
            fmt::format("--connect '{}': port '{}' is not 1-65535", url, port));
    }
    amplifier.port = static_cast<std::uint16_t>(value);
}

namespace {

class CueReader {
  public:
    CueReader(asio::io_context& io, SimulatedAmplifier& amplifier, const DeviceSimOptions& options,
              std::ostream& events, std::function<void()> quit)
        : input_(io, ::dup(STDIN_FILENO)),
          amplifier_(amplifier),
          options_(options),
          events_(events),
          quit_(std::move(quit)) {}

    void start() {
        asio::async_read_until(
            input_, buffer_, '\n', [this](boost::system::error_code ec, std::size_t) {
                if (ec) {
                    return;  // end of input: keep streaming until --duration, quit or a signal
                }
                std::istream in(&buffer_);
                std::string line;
                std::getline(in, line);
                handle(line);
                start();
            });
    }

    // Closing our duplicate of stdin cancels the pending read; the process' stdin stays open.
    void stop() {
        boost::system::error_code ignored;
        input_.close(ignored);
    }

    void handle(const std::string& line) {
        std::istringstream words(line);
        std::string verb;
        words >> verb;
        if (verb.empty()) {
            return;
        }
        if (verb == "quit") {
            return quit_();
        }
        if (verb == "status") {
            events_ << amplifier_.summary().dump() << std::endl;
            return;
        }
        if (verb == "load" || verb == "unload") {
            return handle_load(verb, words);
        }
        if (verb != "perform") {
            events_ << nlohmann::json{{"event", "error"},
                                      {"error", fmt::format("unknown cue '{}'", verb)}}
                           .dump()
                    << std::endl;
            return;
        }
        processing::Limb limb = options_.limb;
        processing::Protocol protocol = options_.protocol;
        for (std::string word; words >> word;) {
            if (auto l = processing::parse_limb(word)) {
                limb = *l;
            } else if (auto p = processing::parse_protocol(word)) {
                protocol = *p;
            } else {
                events_ << nlohmann::json{{"event", "error"},
                                          {"error",
                                           fmt::format(
                                               "cue 'perform': '{}' is neither a limb nor a "
                                               "protocol",
                                               word)}}
                               .dump()
                        << std::endl;
                return;
            }
        }
        amplifier_.perform(protocol, limb, [this](const PerformanceReport& report) {
            events_ << report.to_json().dump() << std::endl;
        });
    }

  private:
    void error(const std::string& message) {
        events_ << nlohmann::json{{"event", "error"}, {"error", message}}.dump() << std::endl;
    }

    // "load KG [X_M Y_M]" puts a dead weight on every plate; "unload" takes it off.
    void handle_load(const std::string& verb, std::istringstream& words) {
        StaticLoad load;
        if (verb == "load") {
            std::vector<double> numbers;
            for (std::string word; words >> word;) {
                char* end = nullptr;
                const double value = std::strtod(word.c_str(), &end);
                if (end == word.c_str() || *end != '\0' || !std::isfinite(value)) {
                    return error(fmt::format("cue 'load': '{}' is not a number", word));
                }
                numbers.push_back(value);
            }
            if (numbers.size() != 1 && numbers.size() != 3) {
                return error("cue 'load' takes KG or KG X_M Y_M");
            }
            load.mass_kg = numbers[0];
            if (numbers.size() == 3) {
                load.x_m = numbers[1];
                load.y_m = numbers[2];
            }
        }
        try {
            amplifier_.load(load);
        } catch (const std::exception& e) {
            return error(fmt::format("cue '{}': {}", verb, e.what()));
        }
        events_ << nlohmann::json{{"event", "load"},
                                  {"kg", load.mass_kg},
                                  {"x_m", load.x_m},
                                  {"y_m", load.y_m}}
                       .dump()
                << std::endl;
    }

    asio::posix::stream_descriptor input_;
    asio::streambuf buffer_;
    SimulatedAmplifier& amplifier_;
    const DeviceSimOptions& options_;
    std::ostream& events_;
    std::function<void()> quit_;
};

}  // namespace

int run_device_sim(const DeviceSimOptions& options, std::ostream& events) {
    asio::io_context io;
    SimulatedAmplifier amplifier(io, options.amplifier);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer duration(io);
    std::optional<CueReader> cues;
    const auto quit = [&] {
        signals.cancel();
        duration.cancel();
        amplifier.stop();
        if (cues) {
            cues->stop();
        }
    };
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (!ec) {
            quit();
        }
    });
    if (options.duration_s) {
        duration.expires_after(
            std::chrono::milliseconds(static_cast<std::int64_t>(*options.duration_s * 1000.0)));
        duration.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                quit();
            }
        });
    }
    if (!amplifier.serial_path().empty()) {
        // The daemon's [[device]] port for this run.
        events << nlohmann::json{{"event", "serial"}, {"path", amplifier.serial_path()}}.dump()
               << std::endl;
    }
    cues.emplace(io, amplifier, options, events, quit);
    cues->start();
    amplifier.start();
    if (options.perform_at_start) {
        amplifier.perform(options.protocol, options.limb,
                          [&events](const PerformanceReport& report) {
                              events << report.to_json().dump() << std::endl;
                          });
    }
    io.run();
    events << amplifier.summary().dump() << std::endl;
    return 0;
}

}  // namespace hoplab::acquisition
