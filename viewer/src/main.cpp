// hoplab-viewer: left against right for a session recording and a trace browser; headless PNG and
// PDF output.
#include "chart_adapter.hpp"
#include "comparison_window.hpp"
#include "live_window.hpp"
#include "pre_post_window.hpp"
#include "trace_window.hpp"

#include <hoplab/version.hpp>
#include <hoplab/viewer/comparison_model.hpp>

#include <QCommandLineParser>
#include <QtCore/QFile>
#include <QtCore/QTimer>
#include <QtGui/QPageLayout>
#include <QtGui/QPageSize>
#include <QtGui/QPainter>
#include <QtGui/QPdfWriter>
#include <QtGui/QPixmap>
#include <QtWidgets/QApplication>
#include <QtWidgets/QInputDialog>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QTabWidget>
#include <QtWidgets/QToolButton>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace {

// "jump_height_m=0.012" pairs into thresholds per metric; a malformed pair throws
// std::invalid_argument naming it.
std::map<std::string, hoplab::viewer::ChangeThresholds> parse_thresholds(
    const QStringList& typical_errors, const QStringList& swcs) {
    std::map<std::string, hoplab::viewer::ChangeThresholds> out;
    const auto parse = [&](const QStringList& pairs,
                           std::optional<double> hoplab::viewer::ChangeThresholds::*field) {
        for (const auto& pair : pairs) {
            const auto parts = pair.split('=');
            bool number = false;
            const double value = parts.size() == 2 ? parts[1].toDouble(&number) : 0.0;
            if (!number || !(value > 0.0)) {
                throw std::invalid_argument("'" + pair.toStdString() +
                                            "' is not METRIC=VALUE with VALUE > 0");
            }
            out[parts[0].toStdString()].*field = value;
        }
    };
    parse(typical_errors, &hoplab::viewer::ChangeThresholds::typical_error);
    parse(swcs, &hoplab::viewer::ChangeThresholds::swc);
    return out;
}

// The token in FILE (surrounding white space dropped); throws std::runtime_error naming the file
// when it cannot be read or is empty.
QString read_token(const QString& file) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read the token file " + file.toStdString() + ": " +
                                 in.errorString().toStdString());
    const QString token = QString::fromUtf8(in.readAll()).trimmed();
    if (token.isEmpty())
        throw std::runtime_error("the token file " + file.toStdString() + " is empty");
    return token;
}

// Live mode: the live window on hoplabd at `endpoint`; with a screenshot path it watches for
// `watch_s` seconds, saves the window as PNG and exits: 1 if the file cannot be written or the
// window ends with an error shown.
int run_live(hoplab::viewer::DaemonEndpoint endpoint, const QString& screenshot, double watch_s) {
    hoplab::viewer::LiveWindow window(std::move(endpoint));
    window.resize(1400, 900);
    if (screenshot.isEmpty()) {
        window.show();
        window.connect_to_daemon();
        return QApplication::exec();
    }
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    window.connect_to_daemon();
    int code = 0;
    QTimer::singleShot(static_cast<int>(watch_s * 1000.0), &window, [&] {
        if (!window.grab().save(screenshot, "PNG")) {
            std::cerr << "hoplab-viewer: cannot write " << screenshot.toStdString() << "\n";
            code = 1;
        }
        QApplication::quit();
    });
    QApplication::exec();
    if (!window.error_text().isEmpty()) {
        // The picture shows the error too, but a script must not take it for a good one.
        std::cerr << "hoplab-viewer: " << window.error_text().toStdString() << "\n";
        code = 1;
    }
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("hoplab-viewer");
    QApplication::setApplicationVersion(QString::fromUtf8(hoplab::kSoftwareVersion.data()));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "hoplab-viewer — browse session recordings (a tree of sessions and trials, the force trace "
        "with contacts and "
        "landings marked) and compare left against right (a single-leg trial of each limb).\n"
        "With --screenshot or --report it renders headless (set QT_QPA_PLATFORM=offscreen) and "
        "exits: the "
        "left/right comparison of the first FILE, or with --trial the trace of that trial.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("FILE.h5", "session recordings");
    const QCommandLineOption compare(
        "compare", "another session of the same athlete: adds pre against post (repeatable)",
        "FILE.h5");
    const QCommandLineOption screenshot("screenshot", "render the comparison to a PNG and exit",
                                        "OUT.png");
    const QCommandLineOption report("report", "write the comparison as a PDF report and exit",
                                    "OUT.pdf");
    const QCommandLineOption trial("trial", "show this trial's force trace (e.g. trial-001)", "ID");
    const QCommandLineOption typical_error(
        "typical-error",
        "the lab's between-session typical error of a metric, for the MDC95 band (repeatable)",
        "METRIC=VALUE");
    const QCommandLineOption swc("swc", "the smallest worthwhile change of a metric (repeatable)",
                                 "METRIC=VALUE");
    const QCommandLineOption live(
        "live", "live mode: the force of hoplabd's plates and its trial buttons", "HOST:PORT");
    const QCommandLineOption token_file("token-file",
                                        "with --live: the bearer token hoplabd asks for", "FILE");
    const QCommandLineOption watch(
        "watch", "with --live --screenshot: seconds to watch before the screenshot (default 12)",
        "S", "12");
    parser.addOptions(
        {compare, screenshot, report, trial, typical_error, swc, live, token_file, watch});
    parser.process(app);
    QString token;
    if (parser.isSet(token_file)) {
        try {
            token = read_token(parser.value(token_file));
        } catch (const std::exception& error) {
            std::cerr << "hoplab-viewer: " << error.what() << "\n";
            return 2;
        }
    }
    if (parser.isSet(live)) {
        bool number = false;
        const double watch_s = parser.value(watch).toDouble(&number);
        if (!number || !(watch_s > 0.0 && watch_s <= 3600.0)) {
            std::cerr << "hoplab-viewer: --watch must be 0 to 3600 s, not "
                      << parser.value(watch).toStdString() << "\n";
            return 2;
        }
        try {
            auto endpoint = hoplab::viewer::parse_daemon_endpoint(parser.value(live));
            endpoint.token = token;
            return run_live(std::move(endpoint), parser.value(screenshot), watch_s);
        } catch (const std::invalid_argument& error) {
            std::cerr << "hoplab-viewer: --live " << error.what() << "\n";
            return 2;
        }
    }
    const auto files = parser.positionalArguments();
    const bool headless = parser.isSet(screenshot) || parser.isSet(report);
    if (!headless) {
        // Interactive: the trace browser with every file, and the comparison of the first one when
        // it has a single-leg trial of each limb.
        QTabWidget tabs;
        tabs.setWindowTitle("hoplab-viewer");
        auto* browser = new hoplab::viewer::TraceWindow();
        tabs.addTab(browser, "Trials");
        for (const auto& file : files)
            browser->add_recording(file.toStdString());
        if (!files.isEmpty()) {
            if (parser.isSet(trial))
                browser->show_trial(files.front().toStdString(), parser.value(trial).toStdString());
            try {
                tabs.addTab(new hoplab::viewer::ComparisonWindow(
                                hoplab::viewer::load_limb_comparison(files.front().toStdString())),
                            "Left / right");
                if (parser.isSet(compare)) {
                    std::vector<std::filesystem::path> sessions;
                    for (const auto& file : files)
                        sessions.emplace_back(file.toStdString());
                    for (const auto& file : parser.values(compare))
                        sessions.emplace_back(file.toStdString());
                    tabs.addTab(
                        new hoplab::viewer::PrePostWindow(
                            hoplab::viewer::load_pre_post(sessions),
                            parse_thresholds(parser.values(typical_error), parser.values(swc))),
                        "Pre / post");
                }
            } catch (const std::exception& error) {
                // The trace browser stays usable; the message says why a comparison tab is missing.
                std::cerr << "hoplab-viewer: " << error.what() << "\n";
            }
        }
        // "Connect to hoplabd…" opens a live tab on the address asked for.
        auto* live_button = new QToolButton(&tabs);
        live_button->setText("Live");
        live_button->setPopupMode(QToolButton::InstantPopup);
        auto* live_menu = new QMenu(live_button);
        live_menu->addAction("Connect to hoplabd…", &tabs, [&tabs, token] {
            bool ok = false;
            const QString address =
                QInputDialog::getText(&tabs, "Connect to hoplabd", "hoplabd's HOST:PORT",
                                      QLineEdit::Normal, "127.0.0.1:8750", &ok);
            if (!ok)
                return;
            try {
                auto endpoint = hoplab::viewer::parse_daemon_endpoint(address);
                endpoint.token = token;
                auto* window = new hoplab::viewer::LiveWindow(std::move(endpoint));
                tabs.setCurrentIndex(tabs.addTab(window, "Live " + address));
                window->connect_to_daemon();
            } catch (const std::invalid_argument& error) {
                QMessageBox::warning(&tabs, "Connect to hoplabd", QString::fromUtf8(error.what()));
            }
        });
        live_button->setMenu(live_menu);
        tabs.setCornerWidget(live_button);
        tabs.resize(1500, 900);
        tabs.show();
        return QApplication::exec();
    }
    if (files.isEmpty()) {
        std::cerr << "hoplab-viewer: give a recording (FILE.h5) to render\n";
        return 2;
    }
    if (parser.isSet(trial)) {
        hoplab::viewer::TraceWindow browser;
        const bool read =
            browser.add_recording(files.front().toStdString()) &&
            browser.show_trial(files.front().toStdString(), parser.value(trial).toStdString());
        if (!read)
            return 1;
        browser.resize(1500, 800);
        browser.setAttribute(Qt::WA_DontShowOnScreen);
        browser.show();
        QApplication::processEvents();
        // The plot area is known only after layout: draw again at its real pixel width.
        browser.plot()->show_interval(browser.plot()->state().x_min_s,
                                      browser.plot()->state().x_max_s);
        QApplication::processEvents();
        if (parser.isSet(screenshot) && !browser.grab().save(parser.value(screenshot), "PNG")) {
            std::cerr << "hoplab-viewer: cannot write " << parser.value(screenshot).toStdString()
                      << "\n";
            return 1;
        }
        return 0;
    }
    // The pages: left against right of the first file; with --compare, pre against post of every
    // file given.
    std::vector<std::unique_ptr<QWidget>> pages;
    std::string athlete_id;
    try {
        auto comparison = hoplab::viewer::load_limb_comparison(files.front().toStdString());
        athlete_id = comparison.athlete_id;
        pages.push_back(std::make_unique<hoplab::viewer::ComparisonWindow>(comparison));
        if (parser.isSet(compare)) {
            std::vector<std::filesystem::path> sessions;
            for (const auto& file : files)
                sessions.emplace_back(file.toStdString());
            for (const auto& file : parser.values(compare))
                sessions.emplace_back(file.toStdString());
            pages.push_back(std::make_unique<hoplab::viewer::PrePostWindow>(
                hoplab::viewer::load_pre_post(sessions),
                parse_thresholds(parser.values(typical_error), parser.values(swc))));
        }
    } catch (const std::exception& error) {
        std::cerr << "hoplab-viewer: " << error.what() << "\n";
        return 1;
    }
    for (auto& page : pages) {
        page->resize(1500, 900);
        page->setAttribute(Qt::WA_DontShowOnScreen);
        page->show();
    }
    QApplication::processEvents();
    if (parser.isSet(screenshot)) {
        // The last page: pre against post when --compare is given, else left against right.
        const QString path = parser.value(screenshot);
        if (!pages.back()->grab().save(path, "PNG")) {
            std::cerr << "hoplab-viewer: cannot write " << path.toStdString() << "\n";
            return 1;
        }
    }
    if (parser.isSet(report)) {
        const QString path = parser.value(report);
        QPdfWriter pdf(path);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageOrientation(QPageLayout::Landscape);
        pdf.setResolution(300);
        pdf.setTitle(QString("hoplab report: %1").arg(QString::fromStdString(athlete_id)));
        pdf.setCreator(
            QString("hoplab %1").arg(QString::fromUtf8(hoplab::kSoftwareVersion.data())));
        QPainter painter;
        if (!painter.begin(&pdf)) {
            std::cerr << "hoplab-viewer: cannot write " << path.toStdString() << "\n";
            return 1;
        }
        for (std::size_t i = 0; i < pages.size(); ++i) {
            if (i > 0)
                pdf.newPage();
            // Each page is painted as on screen into an image at 300 dpi of the A4 page and that
            // image is placed on the page: painted straight onto the PDF device, Qt Charts drew
            // only the first entry of every legend (Qt 6.4).
            const QRect page_px = painter.viewport();
            const double scale = std::min(page_px.width() / double(pages[i]->width()),
                                          page_px.height() / double(pages[i]->height()));
            QPixmap image(pages[i]->size() * scale);
            image.setDevicePixelRatio(scale);
            image.fill(Qt::white);
            pages[i]->render(&image);
            image.setDevicePixelRatio(1.0);  // drawn at its pixel size: the page's width
            painter.drawPixmap(QPointF(0, 0), image);
        }
        painter.end();
    }
    return 0;
}
