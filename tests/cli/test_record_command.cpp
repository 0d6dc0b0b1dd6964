// `hoplab record` against a real hoplabd with simulated plates: a scripted session from the shell.
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/hoplab_run.hpp"

namespace hoplab::cli {
namespace {

using testing::run_hoplab;

TEST(RecordCommand, OpenTrialCloseGivesARecordingWithTheTrial) {
    const auto dir = testing::fresh_directory("record");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    daemon.wait_for_devices();
    const std::string address = "127.0.0.1:" + std::to_string(daemon.http_port());

    const auto opened = run_hoplab({"record", "open", "--daemon", address, "--athlete", "rec-01",
                                    "--mass", "72.5", "--involved", "right"},
                                   dir);
    ASSERT_EQ(opened.exit_code, 0) << opened.err;
    EXPECT_NE(opened.out.find("session open: " + (dir / "data").string() + "/rec-01_"),
              std::string::npos)
        << opened.out;

    const auto trial = run_hoplab({"record", "trial", "--daemon", address, "--protocol",
                                   "quiet-stance", "--limb", "both", "--seconds", "1.5"},
                                  dir);
    ASSERT_EQ(trial.exit_code, 0) << trial.err;
    EXPECT_NE(trial.out.find("trial-001 quiet-stance both: complete"), std::string::npos)
        << trial.out;
    EXPECT_NE(trial.out.find("body weight "), std::string::npos) << trial.out;

    // start and stop as separate commands; a stop with nothing recording names the problem.
    const auto started =
        run_hoplab({"record", "start", "--daemon", address, "--protocol", "cmj"}, dir);
    ASSERT_EQ(started.exit_code, 0) << started.err;
    EXPECT_EQ(started.out, "trial-002 recording\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    const auto stop_json = run_hoplab({"record", "stop", "--daemon", address, "--json"}, dir);
    ASSERT_EQ(stop_json.exit_code, 0) << stop_json.err;
    const auto body = nlohmann::json::parse(stop_json.out);
    EXPECT_EQ(body["trial"]["id"], "trial-002");
    ASSERT_TRUE(body["analysis"].is_object()) << body.dump();
    EXPECT_EQ(body["analysis"]["protocol"], "cmj");
    const auto again = run_hoplab({"record", "stop", "--daemon", address}, dir);
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("stop the trial: hoplabd answered 409"), std::string::npos)
        << again.err;
    // --timeout-s replaces the wait computed from the daemon's status; the answer is the same.
    const auto again_timed =
        run_hoplab({"record", "stop", "--daemon", address, "--timeout-s", "20"}, dir);
    EXPECT_NE(again_timed.exit_code, 0);
    EXPECT_NE(again_timed.err.find("stop the trial: hoplabd answered 409"), std::string::npos)
        << again_timed.err;

    const auto closed = run_hoplab({"record", "close", "--daemon", address}, dir);
    ASSERT_EQ(closed.exit_code, 0) << closed.err;
    const auto prefix = std::string("session closed: ");
    const auto at = closed.out.find(prefix);
    ASSERT_NE(at, std::string::npos) << closed.out;
    const std::filesystem::path file =
        closed.out.substr(at + prefix.size(), closed.out.find('\n', at) - at - prefix.size());
    const recording::SessionReader reader(file);
    EXPECT_EQ(reader.session().athlete.id, "rec-01");
    EXPECT_EQ(reader.session().athlete.mass_kg, 72.5);
    EXPECT_EQ(reader.session().athlete.involved_limb, processing::Limb::right);
    ASSERT_EQ(reader.trials().size(), 2u);
    EXPECT_EQ(reader.trials()[0].protocol, processing::Protocol::quiet_stance);
    // 1.5 s at 1 kHz, give or take the HTTP round trips.
    EXPECT_NEAR(static_cast<double>(reader.trials()[0].samples), 1500.0, 150.0);
}

TEST(RecordCommand, ABadDaemonAddressOrNoDaemonIsAClearError) {
    const auto dir = testing::fresh_directory("record-bad");
    const auto malformed = run_hoplab({"record", "status", "--daemon", "localhost"}, dir);
    EXPECT_NE(malformed.exit_code, 0);
    EXPECT_NE(malformed.err.find("--daemon 'localhost': expected HOST:PORT"), std::string::npos)
        << malformed.err;
    const auto absent = run_hoplab({"record", "status", "--daemon", "127.0.0.1:1"}, dir);
    EXPECT_NE(absent.exit_code, 0);
    EXPECT_FALSE(absent.err.empty());
    // A stop's wait is at least a second (refused before any connection).
    const auto too_short =
        run_hoplab({"record", "stop", "--daemon", "127.0.0.1:1", "--timeout-s", "0.5"}, dir);
    EXPECT_NE(too_short.exit_code, 0);
    EXPECT_NE(too_short.err.find("--timeout-s: Value 0.5 not in range 1.000000 to 86400.000000"),
              std::string::npos)
        << too_short.err;
}

// A daemon that accepts the connection and never answers (hung, or another program on the port):
// the stop gives up after its --timeout-s and says how long it waited. Before the control client's
// requests were asynchronous, its expiry bounded nothing and the command waited for ever.
TEST(RecordCommand, AStopWithoutAnAnswerSaysHowLongItWaited) {
    const auto dir = testing::fresh_directory("record-silent");
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, {boost::asio::ip::make_address("127.0.0.1"), std::uint16_t{0}});
    std::vector<boost::asio::ip::tcp::socket> held;  // accepted, never read or answered
    std::function<void()> accept_next = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
            if (!ec) {
                held.push_back(std::move(s));
                accept_next();
            }
        });
    };
    accept_next();
    std::thread server([&io] { io.run(); });
    const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    const auto started = std::chrono::steady_clock::now();
    const auto stop = run_hoplab({"record", "stop", "--daemon", address, "--timeout-s", "1"}, dir);
    const double waited_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    boost::asio::post(io, [&] {
        acceptor.close();
        held.clear();
    });
    server.join();
    std::printf("stop against a silent daemon: exit %d after %.2f s: %s", stop.exit_code, waited_s,
                stop.err.c_str());
    EXPECT_NE(stop.exit_code, 0);
    EXPECT_NE(stop.err.find("stop the trial (wait 1 s)"), std::string::npos) << stop.err;
    EXPECT_NE(stop.err.find("no answer within 1000 ms (timeout)"), std::string::npos) << stop.err;
    // At least the 1 s asked for; well under run_hoplab's 60 s bound (a process start and a
    // connection on loopback take milliseconds).
    EXPECT_GE(waited_s, 1.0);
    EXPECT_LT(waited_s, 10.0);
}

}  // namespace
}  // namespace hoplab::cli
