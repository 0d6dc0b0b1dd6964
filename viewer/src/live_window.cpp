// Qt 6.4's QtWebSockets and QtNetwork: the live feed and the control API of hoplabd.
#include "live_window.hpp"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkRequest>
#include <QtWebSockets/QWebSocket>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

#include <stdexcept>

namespace hoplab::viewer {
namespace {

// Decimals a metric is shown with: forces to 0.1 N, times and heights to 1 ms and 1 mm.
int decimals_of(const std::string& metric) {
    if (metric.ends_with("_N"))
        return 1;
    if (metric == "contacts")
        return 0;
    return 3;
}

std::optional<processing::Limb> limb_of(const std::optional<std::string>& limb) {
    return limb ? processing::parse_limb(*limb) : std::nullopt;
}

}  // namespace

DaemonEndpoint parse_daemon_endpoint(const QString& text) {
    const auto colon = text.lastIndexOf(':');
    bool number = false;
    const uint port = colon > 0 ? text.mid(colon + 1).toUInt(&number) : 0;
    if (!number || port == 0 || port > 65535) {
        throw std::invalid_argument("'" + text.toStdString() +
                                    "' is not HOST:PORT with a port from 1 to 65535");
    }
    return {text.left(colon), static_cast<std::uint16_t>(port), QString()};
}

LiveWindow::LiveWindow(DaemonEndpoint endpoint, QWidget* parent)
    : QWidget(parent), endpoint_(std::move(endpoint)) {
    setWindowTitle(QString("hoplab — live: %1:%2").arg(endpoint_.host).arg(endpoint_.port));
    network_ = new QNetworkAccessManager(this);
    live_ = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);

    auto* layout = new QVBoxLayout(this);
    status_ = new QLabel(
        QString("hoplabd at %1:%2: not connected").arg(endpoint_.host).arg(endpoint_.port), this);
    layout->addWidget(status_);

    auto* session_row = new QHBoxLayout();
    athlete_ = new QLineEdit(this);
    athlete_->setPlaceholderText("athlete id");
    mass_ = new QDoubleSpinBox(this);
    mass_->setRange(20.0, 250.0);
    mass_->setDecimals(1);
    mass_->setValue(75.0);
    mass_->setSuffix(" kg");
    auto* open = new QPushButton("Open session", this);
    auto* tare = new QPushButton("Tare plates", this);
    session_row->addWidget(new QLabel("athlete", this));
    session_row->addWidget(athlete_);
    session_row->addWidget(new QLabel("mass", this));
    session_row->addWidget(mass_);
    session_row->addWidget(open);
    session_row->addSpacing(20);
    session_row->addWidget(tare);
    session_row->addStretch(1);
    layout->addLayout(session_row);

    auto* trial_row = new QHBoxLayout();
    protocol_ = new QComboBox(this);
    for (const auto protocol :
         {processing::Protocol::single_leg_hop, processing::Protocol::repeated_hops,
          processing::Protocol::drop_jump, processing::Protocol::cmj, processing::Protocol::landing,
          processing::Protocol::quiet_stance}) {
        protocol_->addItem(QString::fromUtf8(processing::to_string(protocol).data()));
    }
    limb_ = new QComboBox(this);
    limb_->addItems({"left", "right", "both"});
    auto* start = new QPushButton("Start", this);
    auto* stop = new QPushButton("Stop", this);
    trial_row->addWidget(new QLabel("protocol", this));
    trial_row->addWidget(protocol_);
    trial_row->addWidget(new QLabel("limb", this));
    trial_row->addWidget(limb_);
    trial_row->addWidget(start);
    trial_row->addWidget(stop);
    trial_row->addStretch(1);
    layout->addLayout(trial_row);

    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(message_);

    plot_ = make_live_plot(kWindowS, this);
    layout->addWidget(plot_->widget(), 3);

    metrics_ = new QTableWidget(0, 3, this);
    metrics_->setHorizontalHeaderLabels({"metric", "value", "key (unit)"});
    metrics_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    metrics_->verticalHeader()->setVisible(false);
    metrics_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(metrics_, 2);  // its nine rows without a scroll bar at 900 px

    connect(open, &QPushButton::clicked, this,
            [this] { open_session(athlete_->text(), mass_->value()); });
    connect(tare, &QPushButton::clicked, this, [this] { tare_all(); });
    connect(start, &QPushButton::clicked, this,
            [this] { start_trial(protocol_->currentText(), limb_->currentText()); });
    connect(stop, &QPushButton::clicked, this, [this] { stop_trial(); });

    connect(live_, &QWebSocket::textMessageReceived, this,
            [this](const QString& text) { on_live_message(text); });
    connect(live_, &QWebSocket::connected, this, [this] { show_info("live feed connected"); });
    // Qt 6.4 names the signal error(); errorOccurred() came with 6.5.
    connect(live_, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) {
                show_error(QString("live feed: cannot connect to %1:%2: %3")
                               .arg(endpoint_.host)
                               .arg(endpoint_.port)
                               .arg(live_->errorString()));
            });

    // Messages only mark the chart dirty; this timer draws at most once per interval.
    redraw_timer_ = new QTimer(this);
    redraw_timer_->setTimerType(Qt::PreciseTimer);
    connect(redraw_timer_, &QTimer::timeout, this, [this] { redraw(); });
    redraw_timer_->start(kRedrawIntervalMs);
    // Devices connect and say HELLO (their rate) at any time; the status shows it within 1 s.
    status_timer_ = new QTimer(this);
    connect(status_timer_, &QTimer::timeout, this, [this] { poll_status(); });
}

LiveWindow::~LiveWindow() {
    // Closed before the members go, so no signal reaches a half-destroyed window.
    live_->disconnect(this);
    live_->abort();
}

void LiveWindow::connect_to_daemon() {
    request("GET", "/api/v1/status", {}, [this](const QByteArray& body) {
        try {
            devices_ = parse_status_devices(body.toStdString());
        } catch (const LiveProtocolError& error) {
            show_error(QString("GET /api/v1/status: %1").arg(error.what()));
            return;
        }
        for (const auto& device : devices_) {
            if (device.sample_rate_hz)
                buffer_.set_sample_rate_hz(device.name, *device.sample_rate_hz);
        }
        QNetworkRequest live_request(
            QUrl(QString("ws://%1:%2/api/v1/live").arg(endpoint_.host).arg(endpoint_.port)));
        if (!endpoint_.token.isEmpty())
            live_request.setRawHeader("Authorization", "Bearer " + endpoint_.token.toUtf8());
        live_->open(live_request);
        status_timer_->start(1000);
        poll_status();
    });
}

void LiveWindow::poll_status() {
    request("GET", "/api/v1/status", {}, [this](const QByteArray& body) {
        std::vector<LiveDevice> devices;
        try {
            devices = parse_status_devices(body.toStdString());
        } catch (const LiveProtocolError& error) {
            show_error(QString("GET /api/v1/status: %1").arg(error.what()));
            return;
        }
        for (const auto& device : devices) {
            if (device.sample_rate_hz)
                buffer_.set_sample_rate_hz(device.name, *device.sample_rate_hz);
        }
        devices_ = std::move(devices);
        const auto status = QJsonDocument::fromJson(body).object();
        QStringList plates;
        for (const auto& device : devices_) {
            plates << QString("%1 %2").arg(QString::fromStdString(device.name),
                                           device.connected ? "connected" : "not connected");
        }
        const auto session = status["session"].toObject();
        const auto trial = status["trial"].toObject();
        status_->setText(
            QString("hoplabd %1 at %2:%3 · %4 · session: %5 · trial: %6")
                .arg(status["software"].toObject()["version"].toString(), endpoint_.host)
                .arg(endpoint_.port)
                .arg(plates.join(", "),
                     session.isEmpty() ? QString("none") : session["athlete_id"].toString(),
                     trial.isEmpty()
                         ? QString("none")
                         : QString("%1 (%2, %3)")
                               .arg(trial["id"].toString(), trial["protocol"].toString(),
                                    trial["limb"].toString())));
    });
}

void LiveWindow::open_session(const QString& athlete_id, double mass_kg) {
    const QJsonObject body{{"athlete_id", athlete_id}, {"mass_kg", mass_kg}};
    request("POST", "/api/v1/sessions", QJsonDocument(body).toJson(QJsonDocument::Compact),
            [this](const QByteArray& answer) {
                const auto session = QJsonDocument::fromJson(answer).object()["session"].toObject();
                show_info(QString("session open for %1: %2")
                              .arg(session["athlete_id"].toString(), session["file"].toString()));
            });
}

void LiveWindow::start_trial(const QString& protocol, const QString& limb) {
    const QJsonObject body{{"protocol", protocol}, {"limb", limb}};
    request("POST", "/api/v1/trials/start", QJsonDocument(body).toJson(QJsonDocument::Compact),
            [this](const QByteArray& answer) {
                const auto trial = QJsonDocument::fromJson(answer).object()["trial"].toObject();
                show_info(QString("%1 recording: %2, %3 limb")
                              .arg(trial["id"].toString(), trial["protocol"].toString(),
                                   trial["limb"].toString()));
            });
}

void LiveWindow::stop_trial() {
    request("POST", "/api/v1/trials/stop", {}, [this](const QByteArray& answer) {
        last_stop_answer_ = answer;
        try {
            show_stop(parse_trial_stopped(answer.toStdString()));
        } catch (const LiveProtocolError& error) {
            show_error(QString("POST /api/v1/trials/stop: %1").arg(error.what()));
        }
    });
}

void LiveWindow::tare_all() {
    if (devices_.empty()) {
        show_error("tare: no plates known yet (not connected to hoplabd)");
        return;
    }
    for (const auto& device : devices_) {
        const QString name = QString::fromStdString(device.name);
        request("POST", QString("/api/v1/devices/%1/tare").arg(name), {},
                [this, name](const QByteArray&) { show_info(QString("%1 tared").arg(name)); });
    }
}

bool LiveWindow::live_open() const {
    return live_->state() == QAbstractSocket::ConnectedState;
}

QString LiveWindow::error_text() const {
    return message_->property("error").toBool() ? message_->text() : QString();
}

QString LiveWindow::status_text() const {
    return status_->text();
}

void LiveWindow::request(const QByteArray& method, const QString& path, const QByteArray& body,
                         Answer on_success) {
    QNetworkRequest http(
        QUrl(QString("http://%1:%2%3").arg(endpoint_.host).arg(endpoint_.port).arg(path)));
    http.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    if (!endpoint_.token.isEmpty())
        http.setRawHeader("Authorization", "Bearer " + endpoint_.token.toUtf8());
    // The daemon answers on loopback within milliseconds; 5 s means it is not answering.
    http.setTransferTimeout(5000);
    QNetworkReply* reply = network_->sendCustomRequest(http, method, body);
    ++pending_requests_;
    const QString what = QString::fromUtf8(method) + " " + path;
    connect(reply, &QNetworkReply::finished, this, [this, reply, what, on_success] {
        reply->deleteLater();
        --pending_requests_;
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        const QByteArray answer = reply->readAll();
        if (!status.isValid()) {
            show_error(QString("cannot connect to %1:%2: %3")
                           .arg(endpoint_.host)
                           .arg(endpoint_.port)
                           .arg(reply->errorString()));
            return;
        }
        const int code = status.toInt();
        if (code < 200 || code >= 300) {
            show_error(QString::fromStdString(
                api_error_text(what.toStdString(), code, answer.toStdString())));
            return;
        }
        on_success(answer);
    });
}

void LiveWindow::on_live_message(const QString& text) {
    try {
        const auto message = parse_live_message(text.toStdString());
        if (!message)
            return;  // a newer daemon's message type
        if (const auto* forces = std::get_if<LiveForces>(&*message)) {
            ++force_messages_;
            for (const auto& bins : forces->devices) {
                buffer_.add(bins);
            }
            dirty_ = true;
        } else if (const auto* started = std::get_if<LiveTrialStarted>(&*message)) {
            metrics_->setRowCount(0);
            show_info(QString("%1 recording: %2, %3 limb")
                          .arg(QString::fromStdString(started->trial_id),
                               QString::fromStdString(started->protocol),
                               QString::fromStdString(started->limb)));
        } else if (const auto* stopped = std::get_if<LiveTrialStopped>(&*message)) {
            show_stop(*stopped);
        }
    } catch (const std::exception& error) {
        // A malformed message is counted and named once in a while, never fatal to the view.
        if (++malformed_messages_ == 1)
            show_error(QString("live feed: %1").arg(error.what()));
    }
}

void LiveWindow::redraw() {
    if (!dirty_)
        return;
    dirty_ = false;
    const std::size_t columns = plot_->columns();
    drawn_.clear();
    for (const auto& device : devices_) {
        const auto limb = limb_of(device.limb);
        drawn_.push_back({device.name + (device.limb ? " (" + *device.limb + " limb)" : ""), limb,
                          buffer_.columns(device.name, columns)});
    }
    plot_->draw(drawn_);
    ++redraws_;
}

void LiveWindow::show_stop(const LiveTrialStopped& stopped) {
    last_stop_ = stopped;
    metrics_->setRowCount(static_cast<int>(stopped.metrics.size()));
    int r = 0;
    for (const auto& row : stopped.metrics) {
        auto* value = new QTableWidgetItem(
            row.value ? QString::number(*row.value, 'f', decimals_of(row.metric))
                      : QString::fromUtf8("—"));
        if (row.value)
            value->setData(Qt::UserRole, *row.value);
        metrics_->setItem(r, 0, new QTableWidgetItem(QString::fromStdString(row.name)));
        metrics_->setItem(r, 1, value);
        metrics_->setItem(r, 2, new QTableWidgetItem(QString::fromStdString(row.metric)));
        ++r;
    }
    show_info(stopped.metrics.empty() ? QString("%1 stopped; the daemon could not analyse it")
                                            .arg(QString::fromStdString(stopped.trial_id))
                                      : QString("%1 stopped: %2, %3 limb")
                                            .arg(QString::fromStdString(stopped.trial_id),
                                                 QString::fromStdString(stopped.protocol),
                                                 QString::fromStdString(stopped.limb)));
}

void LiveWindow::show_error(const QString& text) {
    message_->setText(text);
    message_->setProperty("error", true);
    message_->setStyleSheet("color: #b00000; font-weight: bold");
}

void LiveWindow::show_info(const QString& text) {
    message_->setText(text);
    message_->setProperty("error", false);
    message_->setStyleSheet(QString());
}

}  // namespace hoplab::viewer
