// hoplab-viewer: left against right for a session recording; headless PNG and PDF output.
#include "comparison_window.hpp"

#include <hoplab/version.hpp>
#include <hoplab/viewer/comparison_model.hpp>

#include <QtGui/QPageLayout>
#include <QtGui/QPageSize>
#include <QtGui/QPainter>
#include <QtGui/QPdfWriter>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMessageBox>
#include <QCommandLineParser>

#include <iostream>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("hoplab-viewer");
    QApplication::setApplicationVersion(QString::fromUtf8(hoplab::kSoftwareVersion.data()));
    QCommandLineParser parser;
    parser.setApplicationDescription("hoplab-viewer — left against right for a session recording (a single-leg "
                                     "trial of each limb). Headless: set QT_QPA_PLATFORM=offscreen.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("FILE.h5", "session recordings");
    const QCommandLineOption compare("compare", "a second recording to compare with", "FILE.h5");
    const QCommandLineOption screenshot("screenshot", "render the comparison to a PNG and exit", "OUT.png");
    const QCommandLineOption report("report", "write the comparison as a PDF report and exit", "OUT.pdf");
    parser.addOptions({compare, screenshot, report});
    parser.process(app);
    const auto files = parser.positionalArguments();
    const bool headless = parser.isSet(screenshot) || parser.isSet(report);
    if (files.isEmpty()) {
        std::cerr << "hoplab-viewer: give a recording (FILE.h5)\n";
        return 2;
    }
    hoplab::viewer::LimbComparison comparison;
    try {
        comparison = hoplab::viewer::load_limb_comparison(files.front().toStdString());
    } catch (const std::exception& error) {
        std::cerr << "hoplab-viewer: " << error.what() << "\n";
        if (!headless) {
            QMessageBox::critical(nullptr, "hoplab-viewer", QString::fromStdString(error.what()));
        }
        return 1;
    }
    hoplab::viewer::ComparisonWindow window(comparison);
    window.resize(1500, 900);
    if (!headless) {
        window.show();
        return QApplication::exec();
    }
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    QApplication::processEvents();
    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        if (!window.grab().save(path, "PNG")) {
            std::cerr << "hoplab-viewer: cannot write " << path.toStdString() << "\n";
            return 1;
        }
    }
    if (parser.isSet(report)) {
        const QString path = parser.value(report);
        QPdfWriter pdf(path);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageOrientation(QPageLayout::Landscape);
        pdf.setTitle(QString("hoplab report: %1").arg(QString::fromStdString(comparison.athlete_id)));
        pdf.setCreator(QString("hoplab %1").arg(QString::fromUtf8(hoplab::kSoftwareVersion.data())));
        QPainter painter;
        if (!painter.begin(&pdf)) {
            std::cerr << "hoplab-viewer: cannot write " << path.toStdString() << "\n";
            return 1;
        }
        const double scale = std::min(painter.viewport().width() / double(window.width()),
                                      painter.viewport().height() / double(window.height()));
        painter.scale(scale, scale);
        window.render(&painter);
        painter.end();
    }
    return 0;
}
