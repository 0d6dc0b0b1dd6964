#include "pre_post_window.hpp"

#include "chart_adapter.hpp"

#include <QtWidgets/QGridLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

#include <array>

namespace hoplab::viewer {
namespace {

const std::array<std::string, 3> kMetrics{"jump_height_m", "contact_time_s", "rsi"};

QString yes_no(const std::optional<bool>& value) {
    return value ? (*value ? QString("yes") : QString("no"))
                 : QString::fromUtf8("— (no reliability data)");
}

}  // namespace

PrePostWindow::PrePostWindow(const PrePostComparison& comparison,
                             const std::map<std::string, ChangeThresholds>& thresholds,
                             QWidget* parent)
    : QWidget(parent) {
    setWindowTitle(QString("hoplab — %1: pre against post")
                       .arg(QString::fromStdString(comparison.athlete_id)));
    auto* layout = new QVBoxLayout(this);
    QStringList sessions;
    for (std::size_t i = 0; i < comparison.sessions.size(); ++i) {
        sessions << QString("%1: %2 (%3)")
                        .arg(i + 1)
                        .arg(QString::fromStdString(comparison.sessions[i].created_utc).left(10),
                             QString::fromStdString(comparison.file_names[i]));
    }
    auto* header = new QLabel(
        QString("<span style='font-size:15pt'><b>%1</b></span> &nbsp; pre against post · "
                "sessions %2<br>change = later − first session; MDC95 = 1.96·√2·TE "
                "(dotted), SWC (shaded) around the first session's value; LSI = involved / "
                "uninvolved × 100")
            .arg(QString::fromStdString(comparison.athlete_id), sessions.join(" · ")),
        this);
    header->setTextFormat(Qt::RichText);
    header->setWordWrap(true);
    layout->addWidget(header);
    auto* grid = new QGridLayout();
    const auto thresholds_of = [&](const std::string& metric) {
        const auto found = thresholds.find(metric);
        return found == thresholds.end() ? ChangeThresholds{} : found->second;
    };
    grid->addWidget(make_lsi_trend_chart(comparison, this), 0, 0);
    grid->addWidget(make_pre_post_chart(comparison, kMetrics[0], thresholds_of(kMetrics[0]), this),
                    0, 1);
    grid->addWidget(make_pre_post_chart(comparison, kMetrics[1], thresholds_of(kMetrics[1]), this),
                    1, 0);
    grid->addWidget(make_pre_post_chart(comparison, kMetrics[2], thresholds_of(kMetrics[2]), this),
                    1, 1);
    layout->addLayout(grid, 5);

    auto* table = new QTableWidget(0, 8, this);
    table->setHorizontalHeaderLabels(
        {"metric", "limb", "first", "last", "change", "SWC", "MDC95", "beyond MDC95 / worthwhile"});
    const std::size_t last = comparison.sessions.size() - 1;
    for (const auto& metric : kMetrics) {
        for (const auto limb : {processing::Limb::left, processing::Limb::right}) {
            const auto change =
                change_from_first(comparison, last, metric, limb, thresholds_of(metric));
            if (!change)
                continue;
            const int row = table->rowCount();
            table->insertRow(row);
            const auto number = [](const std::optional<double>& v) {
                return v ? QString::number(*v, 'g', 4) : QString::fromUtf8("—");
            };
            const QStringList cells{
                QString::fromStdString(metric_name(metric)),
                QString::fromUtf8(processing::to_string(limb).data()),
                number(change->pre_mean),
                number(change->post_mean),
                number(change->change),
                number(change->swc),
                number(change->mdc95),
                yes_no(change->beyond_mdc) + " / " + yes_no(change->worthwhile)};
            for (int c = 0; c < cells.size(); ++c)
                table->setItem(row, c, new QTableWidgetItem(cells[c]));
        }
    }
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->verticalHeader()->setVisible(false);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(table, 2);
}

}  // namespace hoplab::viewer
