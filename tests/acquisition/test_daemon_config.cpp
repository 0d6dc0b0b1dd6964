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

}  // namespace
}  // namespace hoplab::acquisition
