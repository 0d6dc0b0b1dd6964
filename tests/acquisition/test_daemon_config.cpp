#include <hoplab/acquisition/daemon.hpp>
#include <hoplab/acquisition/daemon_config.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <fstream>

namespace hoplab::acquisition {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

TEST(DaemonConfig, ParsesEndpoints) {
    EXPECT_EQ(parse_endpoint("127.0.0.1:8750", "--listen").port, 8750);
    EXPECT_EQ(parse_endpoint("[::1]:0", "--listen").address, "::1");
    EXPECT_THROW(parse_endpoint("127.0.0.1", "--listen"), ConfigError);
    EXPECT_THROW(parse_endpoint("127.0.0.1:99999", "--listen"), ConfigError);
    EXPECT_THROW(parse_endpoint("127.0.0.1:80x", "--listen"), ConfigError);
}

TEST(DaemonConfig, SafeIdentifiersKeepPathsInside) {
    EXPECT_TRUE(is_safe_identifier("athlete_07-A"));
    for (const char* bad : {"", "../etc", "a/b", "..", "a b", "é", "x\n"}) {
        EXPECT_FALSE(is_safe_identifier(bad)) << bad;
    }
    EXPECT_FALSE(is_safe_identifier(std::string(65, 'a')));
}

TEST(DaemonConfig, RefusesExposureWithoutFlagAndToken) {
    DaemonConfig config = simulated_lab_config();
    config.http.address = "0.0.0.0";
    try {
        check_exposure(config);
        FAIL() << "a non-loopback address was accepted without --allow-remote";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("0.0.0.0"), std::string::npos) << error.what();
    }
    config.allow_remote = true;
    EXPECT_THROW(check_exposure(config), ConfigError);  // still no token
    config.token = "0123456789abcdef0123";
    EXPECT_NO_THROW(check_exposure(config));
}

TEST(DaemonConfig, NamesTheBadKeyAndValue) {
    const auto dir = testing::fresh_directory("config");
    write(dir / "lab.toml",
          "[daemon]\nlisten = \"127.0.0.1:8750\"\nlistne = 3\n[[device]]\nname = \"left\"\n");
    try {
        load_daemon_config(dir / "lab.toml");
        FAIL();
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("unknown key 'listne'"), std::string::npos)
            << error.what();
    }
    write(dir / "lab.toml",
          "[[device]]\nname = \"../left\"\ntransport = \"tcp\"\ncalibration = \"x.toml\"\n");
    try {
        load_daemon_config(dir / "lab.toml");
        FAIL();
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("'../left'"), std::string::npos) << error.what();
    }
    write(dir / "lab.toml",
          "[[device]]\nname = \"left\"\ntransport = \"tcp\"\ncalibration = \"missing.toml\"\n");
    try {
        load_daemon_config(dir / "lab.toml");
        FAIL();
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("missing.toml"), std::string::npos)
            << error.what();
    }
    write(dir / "lab.toml", "[[device]\nname = ");
    EXPECT_THROW(load_daemon_config(dir / "lab.toml"), ConfigError);
    std::filesystem::remove_all(dir);
}

// [daemon] compress_raw: on unless the file says false; anything but a boolean is refused by name.
TEST(DaemonConfig, CompressRawIsABooleanDefaultingToTrueAndTypesAreChecked) {
    const auto dir = testing::fresh_directory("config-compress");
    write(dir / "plate.toml", simulated_lab_config().devices.front().calibration.to_toml());
    const std::string device =
        "[[device]]\nname = \"a\"\ntransport = \"tcp\"\ncalibration = \"plate.toml\"\n";
    write(dir / "lab.toml", device);
    EXPECT_TRUE(load_daemon_config(dir / "lab.toml").compress_raw);
    write(dir / "lab.toml", "[daemon]\ncompress_raw = false\n" + device);
    EXPECT_FALSE(load_daemon_config(dir / "lab.toml").compress_raw);
    write(dir / "lab.toml", "[daemon]\ncompress_raw = true\n" + device);
    EXPECT_TRUE(load_daemon_config(dir / "lab.toml").compress_raw);
    // The same for every typed [daemon] key: a value of another type is refused, never read as a
    // default (allow_remote = 1 must not open the daemon to the network).
    const std::vector<std::pair<std::string, std::string>> refused{
        {"compress_raw = \"no\"", "[daemon] compress_raw: must be true or false"},
        {"compress_raw = 0", "[daemon] compress_raw: must be true or false"},
        {"compress_raw = 1", "[daemon] compress_raw: must be true or false"},
        {"allow_remote = 1", "[daemon] allow_remote: must be true or false"},
        {"allow_remote = \"true\"", "[daemon] allow_remote: must be true or false"},
        {"listen = 8750", "[daemon] listen: must be a string"},
        {"data_dir = 7", "[daemon] data_dir: must be a string"},
        {"lab = false", "[daemon] lab: must be a string"}};
    for (const auto& [line, message] : refused) {
        write(dir / "lab.toml", "[daemon]\n" + line + "\n" + device);
        try {
            load_daemon_config(dir / "lab.toml");
            ADD_FAILURE() << "accepted " << line;
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
        }
    }
    std::filesystem::remove_all(dir);
}

// The io thread's tick: 15 ms unless the [daemon] table says otherwise; outside 5 to 100 ms (or
// not an integer) it is refused with the key and the range.
TEST(DaemonConfig, LiveIntervalDefaultsTo15MsAndIsBounded) {
    const auto dir = testing::fresh_directory("config-live");
    write(dir / "plate.toml", simulated_lab_config().devices.front().calibration.to_toml());
    const std::string device =
        "[[device]]\nname = \"a\"\ntransport = \"tcp\"\ncalibration = \"plate.toml\"\n";
    write(dir / "lab.toml", device);
    EXPECT_EQ(load_daemon_config(dir / "lab.toml").live_interval, std::chrono::milliseconds(15));
    write(dir / "lab.toml", "[daemon]\nlive_interval_ms = 10\n" + device);
    EXPECT_EQ(load_daemon_config(dir / "lab.toml").live_interval, std::chrono::milliseconds(10));
    for (const char* bad : {"4", "101", "12.5", "\"15\""}) {
        write(dir / "lab.toml", std::string("[daemon]\nlive_interval_ms = ") + bad + "\n" + device);
        try {
            load_daemon_config(dir / "lab.toml");
            ADD_FAILURE() << "accepted live_interval_ms = " << bad;
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what())
                          .find("live_interval_ms: must be an integer from 5 to 100"),
                      std::string::npos)
                << error.what();
        }
    }
    std::filesystem::remove_all(dir);
}

// The transports' keys: what each device uses, and every misuse named with its key and value.
TEST(DaemonConfig, TransportsAndTheirKeys) {
    const auto dir = testing::fresh_directory("config-transports");
    write(dir / "plate.toml", simulated_lab_config().devices.front().calibration.to_toml());
    const std::string calibration = "calibration = \"plate.toml\"\n";
    write(dir / "lab.toml",
          "[daemon]\nudp_receive_buffer_kib = 4096\n"
          "[[device]]\nname = \"a\"\ntransport = \"udp\"\n" +
              calibration +
              "[[device]]\nname = \"b\"\ntransport = \"serial\"\n"
              "port = \"/dev/ttyACM0\"\nbaud = 921600\n" +
              calibration +
              "[[device]]\nname = \"c\"\ntransport = \"serial\"\n"
              "port = \"/dev/ttyUSB0\"\nframing = \"csv\"\nrate_hz = 80.0\n"
              "sample_format = \"float32\"\n" +
              calibration);
    const auto config = load_daemon_config(dir / "lab.toml");
    ASSERT_EQ(config.devices.size(), 3u);
    EXPECT_EQ(config.devices[0].transport, Transport::udp);
    ASSERT_TRUE(config.udp_listen.has_value());  // a UDP device implies the default listener
    EXPECT_EQ(config.udp_listen->port, 8752);
    EXPECT_EQ(config.udp_receive_buffer_bytes, 4096u * 1024u);
    EXPECT_EQ(config.devices[1].serial->port, "/dev/ttyACM0");
    EXPECT_EQ(config.devices[1].serial->baud, 921600u);
    EXPECT_EQ(config.devices[1].serial->framing, SerialFraming::cobs);
    EXPECT_EQ(config.devices[2].serial->framing, SerialFraming::csv);
    const auto hello = csv_device_hello(config.devices[2]);
    EXPECT_EQ(hello.device_name, "c");
    EXPECT_EQ(hello.rate_hz, 80.0);
    EXPECT_EQ(hello.sample_format, wire::SampleFormat::float32);
    EXPECT_EQ(hello.channel_names.size(), 6u);

    const auto refused = [&](const std::string& device, const std::string& expected) {
        write(dir / "bad.toml", "[[device]]\nname = \"x\"\n" + device + calibration);
        try {
            load_daemon_config(dir / "bad.toml");
            ADD_FAILURE() << "accepted: " << device;
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
        }
    };
    refused("transport = \"usb\"\n", "transport: 'usb' is not one of: tcp, udp, serial");
    refused("transport = \"serial\"\n", "missing key 'port'");
    refused("transport = \"serial\"\nport = \"ttyACM0\"\n",
            "port: 'ttyACM0' must be an absolute device path");
    refused("transport = \"serial\"\nport = \"/dev/ttyACM0\"\nbaud = 12\n",
            "baud: must be an integer from 300 to 4000000");
    refused("transport = \"serial\"\nport = \"/dev/ttyACM0\"\nframing = \"slip\"\n",
            "framing: 'slip' is not one of: cobs, csv");
    refused("transport = \"serial\"\nport = \"/dev/ttyACM0\"\nframing = \"csv\"\n",
            "rate_hz: a CSV board needs its sample rate");
    refused("transport = \"serial\"\nport = \"/dev/ttyACM0\"\nrate_hz = 80.0\n",
            "rate_hz: only for framing = \"csv\"");
    refused("transport = \"tcp\"\nport = \"/dev/ttyACM0\"\n",
            "port: only for transport = \"serial\"");
}

}  // namespace
}  // namespace hoplab::acquisition
