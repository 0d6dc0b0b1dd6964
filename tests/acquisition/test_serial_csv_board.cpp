// A hobby load-cell board printing CSV lines on a serial port (here the slave side of a
// pseudo-terminal): the daemon opens the configured port, binds the board's configured HELLO,
// records every well-formed line as one sample — the very counts that were printed — and counts
// the damaged lines as malformed, never as samples (docs/protocol.md §4, CSV lines).
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/daemon_process.hpp"

namespace hoplab::acquisition {
namespace {

using namespace std::chrono_literals;

// Both ends of a pseudo-terminal in raw mode; the slave end stays open so the line stays up.
struct PseudoTerminal {
    PseudoTerminal() {
        master = ::posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
            throw std::runtime_error("no pseudo-terminal");
        }
        path = ::ptsname(master);
        slave = ::open(path.c_str(), O_RDWR | O_NOCTTY);
        termios raw{};
        ::tcgetattr(slave, &raw);
        ::cfmakeraw(&raw);
        ::tcsetattr(slave, TCSANOW, &raw);
    }
    ~PseudoTerminal() {
        ::close(slave);
        ::close(master);
    }
    void write_all(const std::string& text) const {
        std::size_t done = 0;
        while (done < text.size()) {
            const auto n = ::write(master, text.data() + done, text.size() - done);
            if (n <= 0) {
                throw std::runtime_error("write to the pseudo-terminal failed");
            }
            done += static_cast<std::size_t>(n);
        }
    }
    int master = -1, slave = -1;
    std::string path;
};

// The board's raw count of cell c (0-3) in line k: distinct in every line and cell, within int32.
std::int32_t count(int k, int c) {
    return 100'000 * (c + 1) + 37 * k - 5'000 * (k % 7);
}

TEST(SerialCsvBoard, EveryWellFormedLineIsOneRecordedSampleAndDamagedLinesAreCounted) {
    const auto dir = testing::fresh_directory("csv-board");
    PseudoTerminal line;
    std::ofstream(dir / "board.toml") << R"(format = "hoplab-calibration"
version = 1
model = "load_cells"
serial = "HX711-BOARD-1"
[channels]
gain = [0.01, 0.01, 0.01, 0.01]
offset = [0.0, 0.0, 0.0, 0.0]
[geometry]
cell_x_m = [0.2, -0.2, -0.2, 0.2]
cell_y_m = [0.15, 0.15, -0.15, -0.15]
)";
    std::ofstream(dir / "lab.toml") << "[[device]]\nname = \"board\"\ntransport = \"serial\"\n"
                                    << "port = \"" << line.path << "\"\nbaud = 115200\n"
                                    << "framing = \"csv\"\nrate_hz = 80.0\n"
                                    << "sample_format = \"int32\"\nlimb = \"left\"\n"
                                    << "calibration = \"board.toml\"\n";
    testing::DaemonProcess daemon(dir, {"--config", (dir / "lab.toml").string()});
    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "board"}}).status, 201u);

    constexpr int kLines = 400;
    std::string text = "# HX711 x4 board, firmware 1.2\r\n";
    for (int k = 0; k < kLines; ++k) {
        text += std::to_string(12'500 * k) + "," + std::to_string(count(k, 0)) + "," +
                std::to_string(count(k, 1)) + "," + std::to_string(count(k, 2)) + "," +
                std::to_string(count(k, 3)) + "\r\n";
        if (k == 100) {
            text += "1262500,12x,5,6,7\r\n";  // a garbled value
        }
        if (k == 200) {
            text += "2512500,1,2\r\n";  // a line cut short
        }
    }
    // In pieces that split lines, as a UART delivers them.
    for (std::size_t at = 0; at < text.size(); at += 997) {
        line.write_all(text.substr(at, 997));
        std::this_thread::sleep_for(5ms);
    }
    nlohmann::json board;
    for (int i = 0; i < 200; ++i) {
        const auto status = api.get("/api/v1/status").body;
        board = status["devices"][0];
        if (board["counters"]["samples_accepted"].get<int>() >= kLines) {
            break;
        }
        std::this_thread::sleep_for(25ms);
    }
    EXPECT_EQ(board["transport"], "serial");
    EXPECT_EQ(board["rate_hz"].get<double>(), 80.0);
    EXPECT_EQ(board["counters"]["samples_accepted"].get<int>(), kLines) << board.dump();
    EXPECT_EQ(board["counters"]["malformed"].get<int>(), 2) << board.dump();
    EXPECT_EQ(board["counters"]["samples_lost"].get<int>(), 0) << board.dump();
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();

    const recording::SessionReader reader(closed.body["file"].get<std::string>());
    const auto raw = reader.raw_samples("board");
    ASSERT_EQ(raw.channels, 4u);
    ASSERT_EQ(raw.values.size(), 4u * kLines);
    for (int k = 0; k < kLines; ++k) {
        for (int c = 0; c < 4; ++c) {
            ASSERT_EQ(raw.values[static_cast<std::size_t>(4 * k + c)], count(k, c))
                << "line " << k << " cell " << c;
        }
    }
    // Device time is the board's µs column: the blocks carry it.
    const auto blocks = reader.blocks("board");
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks.front().device_time_ns, 0);
    EXPECT_EQ(blocks.back().device_time_ns,
              static_cast<std::int64_t>(blocks.back().first_sample_index) * 12'500'000);
}

}  // namespace
}  // namespace hoplab::acquisition
