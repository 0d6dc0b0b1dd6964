#pragma once

#include "chart_adapter.hpp"

#include <hoplab/viewer/live_messages.hpp>
#include <hoplab/viewer/live_trace_buffer.hpp>

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtWidgets/QWidget>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QNetworkAccessManager;
class QTableWidget;
class QTimer;
class QWebSocket;

namespace hoplab::viewer {

// Where hoplabd listens ("127.0.0.1:8750") and the bearer token, empty when none is needed.
struct DaemonEndpoint {
    QString host;
    std::uint16_t port = 0;
    QString token;
};

// "HOST:PORT" into an endpoint; throws std::invalid_argument naming the text when it is not one.
DaemonEndpoint parse_daemon_endpoint(const QString& text);

// Live mode: hoplabd's live force of every plate (GET /api/v1/live, a WebSocket) scrolling over
// the last 10 s, and the buttons of a trial (open a session, tare, start, stop) on its control
// API. The chart is redrawn by a coalescing timer (kRedrawInterval), never per message. Every
// refused request shows the daemon's {"error": …} verbatim; a trial's stop shows its analysis as
// a metrics table.
class LiveWindow : public QWidget {
  public:
    static constexpr double kWindowS = 10.0;
    // 35 ms: at most 28.6 redraws per second, within the 25–30 fps a scrolling trace needs.
    static constexpr int kRedrawIntervalMs = 35;

    explicit LiveWindow(DaemonEndpoint endpoint, QWidget* parent = nullptr);
    ~LiveWindow() override;

    // Reads the daemon's status (devices, rates) and opens the live feed.
    void connect_to_daemon();
    // The actions behind the buttons; each answer arrives later (see pending_requests()).
    void open_session(const QString& athlete_id, double mass_kg);
    void start_trial(const QString& protocol, const QString& limb);
    void stop_trial();
    void tare_all();

    // For tests and the screenshot: what the window holds now.
    bool live_open() const;
    int pending_requests() const { return pending_requests_; }
    std::size_t redraws() const { return redraws_; }
    std::size_t force_messages() const { return force_messages_; }
    const LiveTraceBuffer& buffer() const { return buffer_; }
    const std::vector<LiveDevice>& devices() const { return devices_; }
    QString error_text() const;
    QString status_text() const;
    QTableWidget* metrics_table() const { return metrics_; }
    // The last stop answer's or trial_stopped message's trial and metrics.
    const std::optional<LiveTrialStopped>& last_stop() const { return last_stop_; }
    // The body of the last 200 answer to POST /api/v1/trials/stop, as the daemon sent it.
    const QByteArray& last_stop_answer() const { return last_stop_answer_; }
    // The chart's newest drawn columns per device, for tests (in devices() order).
    const std::vector<LiveTrace>& drawn() const { return drawn_; }

  private:
    using Answer = std::function<void(const QByteArray& body)>;
    // Sends a request; `on_success` gets a 2xx body. A refused request or a connection failure
    // goes to show_error() with the daemon's message.
    void request(const QByteArray& method, const QString& path, const QByteArray& body,
                 Answer on_success);
    void poll_status();
    void on_live_message(const QString& text);
    void redraw();
    void show_stop(const LiveTrialStopped& stopped);
    void show_error(const QString& text);
    void show_info(const QString& text);

    DaemonEndpoint endpoint_;
    LiveTraceBuffer buffer_{kWindowS};
    std::vector<LiveDevice> devices_;
    QNetworkAccessManager* network_ = nullptr;
    QWebSocket* live_ = nullptr;
    QTimer* redraw_timer_ = nullptr;
    QTimer* status_timer_ = nullptr;
    LivePlot* plot_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* message_ = nullptr;
    QLineEdit* athlete_ = nullptr;
    QDoubleSpinBox* mass_ = nullptr;
    QComboBox* protocol_ = nullptr;
    QComboBox* limb_ = nullptr;
    QTableWidget* metrics_ = nullptr;
    bool dirty_ = false;
    int pending_requests_ = 0;
    std::size_t redraws_ = 0;
    std::size_t force_messages_ = 0;
    std::size_t malformed_messages_ = 0;
    std::optional<LiveTrialStopped> last_stop_;
    QByteArray last_stop_answer_;
    std::vector<LiveTrace> drawn_;
};

}  // namespace hoplab::viewer
