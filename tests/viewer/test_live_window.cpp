// Live mode offscreen against a real hoplabd on loopback, its plates streamed by a real
// `hoplab device-sim` (the daemon's built-in --simulate plates only ever stream an empty plate; the
// device-sim's athlete can be cued to hop). Every wait is bounded in time.
#include <hoplab/cli/child_process.hpp>
#include <hoplab/viewer/live_messages.hpp>

#include "live_window.hpp"

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <QtNetwork/QTcpServer>
#include <QtWidgets/QApplication>
#include <QtWidgets/QTableWidget>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

namespace hoplab::viewer {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Runs the event loop until `done` or `timeout`; returns whether `done` became true.
bool pump(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 10);
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

void pump_for(std::chrono::milliseconds duration) {
    pump([] { return false; }, duration);
}

class LiveMode : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        static int argc = 1;
        static char name[] = "hoplab_viewer_tests";
        static char* argv[] = {name, nullptr};
        if (QApplication::instance() == nullptr)
            application_ = new QApplication(argc, argv);
    }
    static inline QApplication* application_ = nullptr;
};

// The row of the metrics table whose key column holds `metric`.
std::optional<int> metric_row(const QTableWidget& table, const QString& metric) {
    for (int r = 0; r < table.rowCount(); ++r) {
        if (table.item(r, 2) != nullptr && table.item(r, 2)->text() == metric)
            return r;
    }
    return std::nullopt;
}

TEST_F(LiveMode, ADeadPortSaysItCannotConnect) {
    // A port that was just free: listened on, then closed.
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    const auto port = static_cast<std::uint16_t>(server.serverPort());
    server.close();
    LiveWindow window({"127.0.0.1", port, {}});
    window.connect_to_daemon();
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0; }, 10s));
    const std::string prefix = "cannot connect to 127.0.0.1:" + std::to_string(port) + ": ";
    const std::string text = window.error_text().toStdString();
    EXPECT_EQ(text.substr(0, prefix.size()), prefix) << text;
    EXPECT_NE(text.find("refused"), std::string::npos) << text;  // Qt: "Connection refused"
    EXPECT_FALSE(window.live_open());
}

TEST_F(LiveMode, ASingleLegHopSeenLiveAndItsMetrics) {
    const auto dir = testing::fresh_directory("viewer-live");
    testing::DaemonProcess daemon(dir);
    cli::ChildProcess athlete(
        daemon.device_sim(HOPLAB_PATH, {"--plates", "2", "--mass", "75", "--seed", "7"}));
    daemon.wait_for_devices();
    const auto connected_at = std::chrono::steady_clock::now();

    LiveWindow window({"127.0.0.1", daemon.http_port(), {}});
    window.resize(1400, 900);
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    window.connect_to_daemon();
    ASSERT_TRUE(pump([&] { return window.live_open() && window.force_messages() > 0; }, 10s))
        << window.error_text().toStdString();
    ASSERT_EQ(window.devices().size(), 2u);

    // A start without a session: the daemon's 409 message, verbatim.
    window.start_trial("single-leg-hop", "left");
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0; }, 10s));
    const auto refused = daemon.client().post("/api/v1/trials/start",
                                              {{"protocol", "single-leg-hop"}, {"limb", "left"}});
    ASSERT_EQ(refused.status, 409u);
    const std::string daemon_message = refused.body["error"].get<std::string>();
    EXPECT_EQ(window.error_text().toStdString(),
              "POST /api/v1/trials/start: 409 " + daemon_message);

    // Tare: the daemon takes the last 2 s of an unloaded, quiet plate (the device-sim's athlete
    // stands off the plates until cued), so wait until 2.5 s have streamed.
    pump([] { return false; }, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   connected_at + 2500ms - std::chrono::steady_clock::now()));
    window.tare_all();
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0; }, 10s));
    const auto tared_at = std::chrono::steady_clock::now();
    EXPECT_EQ(window.error_text().toStdString(), "");

    window.open_session("viewer-live", 75.0);
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0; }, 10s));
    EXPECT_EQ(window.error_text().toStdString(), "");

    window.start_trial("single-leg-hop", "left");
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0; }, 10s));
    ASSERT_EQ(window.error_text().toStdString(), "");
    athlete.write_line("perform single-leg-hop left");
    const auto redraws_before = window.redraws();
    const auto started = std::chrono::steady_clock::now();
    json performed;
    ASSERT_TRUE(pump(
        [&] {
            // 5 ms: read_line() rounds what is left down to whole ms, so 1 ms would never poll.
            if (const auto line = athlete.read_line(5ms)) {
                const auto event = json::parse(*line, nullptr, false);
                if (!event.is_discarded() && event.value("event", "") == "performed")
                    performed = event;
            }
            return !performed.is_null();
        },
        30s));
    pump_for(300ms);  // the last blocks reach the daemon and the viewer
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double redraws_per_s = static_cast<double>(window.redraws() - redraws_before) / wall_s;
    const double body_weight_n = performed["truth"]["body_weight_n"].get<double>();

    // The live series over the last 10 s (1 000 columns of 10 ms). The hop's landing on the left
    // plate exceeds body weight. The right plate stays empty: before the tare it reads the
    // simulated amplifier's zero offset (4 000 counts × 0.05 N/count = 200 N), after it only noise
    // (≈ 1.5 N SD, so 50 N is far outside it). Columns within 50 ms of the tare are left out.
    const double since_tare_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - tared_at).count();
    const auto left = window.buffer().columns("left", 1000);
    const auto right = window.buffer().columns("right", 1000);
    ASSERT_FALSE(left.columns.empty());
    ASSERT_FALSE(right.columns.empty());
    double left_max_n = left.columns.front().max_n;
    for (const auto& column : left.columns)
        left_max_n = std::max(left_max_n, column.max_n);
    std::optional<double> right_before_max_n, right_after_max_n;
    for (const auto& column : right.columns) {
        const double from_tare_s = column.t_s + since_tare_s;  // > 0: after the tare
        if (std::abs(from_tare_s) <= 0.05)
            continue;
        auto& max_n = from_tare_s < 0.0 ? right_before_max_n : right_after_max_n;
        max_n = std::max(max_n.value_or(column.max_n), column.max_n);
    }
    // The hop takes ≈ 5.5 s, so ≈ 1 s before the tare is still in the window; on a machine slow
    // enough to push it out, only the part after the tare is checked.
    ASSERT_TRUE(right_after_max_n);
    std::printf(
        "live: %zu force messages, %.2f redraws/s over %.2f s; left Fz max %.1f N (body weight "
        "%.1f N); right Fz max %.1f N before the tare, %.1f N after; %zu gaps\n",
        window.force_messages(), redraws_per_s, wall_s, left_max_n, body_weight_n,
        right_before_max_n.value_or(0.0), *right_after_max_n,
        window.buffer().gap_count("left") + window.buffer().gap_count("right"));
    EXPECT_GT(left_max_n, body_weight_n);
    // A single-leg hop's landing peaks at 2–3 body weights in the simulator; 5 would be a unit or
    // calibration error.
    EXPECT_LT(left_max_n, 5.0 * body_weight_n);
    if (right_before_max_n) {
        EXPECT_GT(*right_before_max_n, 150.0);
        EXPECT_LT(*right_before_max_n, 250.0);
    }
    EXPECT_LT(*right_after_max_n, 50.0);
    EXPECT_EQ(window.buffer().gap_count("left"), 0u);
    // The coalescing timer (35 ms) bounds the redraw rate at 28.6/s; 31 leaves room for timer
    // jitter. At least 5/s: the chart did scroll while the messages came (≈ 100/s per plate).
    EXPECT_LE(redraws_per_s, 31.0);
    EXPECT_GE(redraws_per_s, 5.0);
    ASSERT_EQ(window.drawn().size(), 2u);

    window.stop_trial();
    ASSERT_TRUE(pump([&] { return window.pending_requests() == 0 && window.last_stop(); }, 30s))
        << window.error_text().toStdString();
    ASSERT_EQ(window.error_text().toStdString(), "");
    const auto answer = json::parse(window.last_stop_answer().toStdString());
    ASSERT_TRUE(answer["analysis"].is_object()) << answer.dump();
    const auto& summary = answer["analysis"]["summary"];
    const QTableWidget& table = *window.metrics_table();
    for (const auto& [metric, value, decimals] :
         {std::tuple{"contact_time_s", summary["mean_contact_time_s"], 3},
          std::tuple{"peak_force_N", summary["mean_peak_force_N"], 1}}) {
        ASSERT_TRUE(value.is_number()) << metric << ": " << summary.dump();
        const auto row = metric_row(table, metric);
        ASSERT_TRUE(row) << metric;
        const QTableWidgetItem* cell = table.item(*row, 1);
        EXPECT_EQ(cell->data(Qt::UserRole).toDouble(), value.get<double>()) << metric;
        EXPECT_EQ(cell->text(), QString::number(value.get<double>(), 'f', decimals)) << metric;
        std::printf("metrics table: %s = %s (answer %.17g)\n", metric,
                    cell->text().toStdString().c_str(), value.get<double>());
    }
    // The picture in docs/images/live.png comes from here (docs/viewer.md, Screenshots).
    if (const char* screenshot = std::getenv("HOPLAB_LIVE_SCREENSHOT")) {
        EXPECT_TRUE(window.grab().save(screenshot, "PNG"));
    }
    athlete.write_line("quit");
    athlete.wait(10s);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab::viewer
