// hoplab-viewer: left against right for a session recording and a trace browser; headless PNG and
// PDF output.
#include "chart_adapter.hpp"
#include "comparison_window.hpp"
#include "pre_post_window.hpp"
#include "trace_window.hpp"

#include <hoplab/version.hpp>
#include <hoplab/viewer/comparison_model.hpp>

#include <QCommandLineParser>
#include <QtGui/QPageLayout>
#include <QtGui/QPageSize>
#include <QtGui/QPainter>
#include <QtGui/QPdfWriter>
#include <QtGui/QPixmap>
#include <QtWidgets/QApplication>
#include <QtWidgets/QTabWidget>

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
    parser.addOptions({compare, screenshot, report, trial, typical_error, swc});
    parser.process(app);
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
