#include "comparison_window.hpp"

#include "chart_adapter.hpp"

#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

namespace hoplab::viewer {
namespace {

QString number(const std::optional<double>& value, int decimals) {
    return value ? QString::number(*value, 'f', decimals) : QString::fromUtf8("—");
}

QColor flag_colour(const std::optional<processing::SymmetryFlag>& flag) {
    if (!flag)
        return QColor(Qt::white);
    switch (*flag) {
        case processing::SymmetryFlag::ok:
            return QColor(200, 235, 200);
        case processing::SymmetryFlag::attention:
            return QColor(255, 225, 140);
        case processing::SymmetryFlag::red:
            return QColor(250, 170, 170);
    }
    return QColor(Qt::white);
}

}  // namespace

ComparisonWindow::ComparisonWindow(const LimbComparison& comparison, QWidget* parent)
    : QWidget(parent) {
    setWindowTitle(QString("hoplab — %1: left against right")
                       .arg(QString::fromStdString(comparison.athlete_id)));
    auto* layout = new QVBoxLayout(this);
    QString weaker;
    for (const auto& row : comparison.metrics) {
        const auto side = weaker_side(row);
        if (row.metric == "jump_height_m" && side) {
            weaker = QString(" · weaker limb (jump height): <b>%1</b>")
                         .arg(QString::fromStdString(*side));
        }
    }
    auto* header = new QLabel(
        QString("<span style='font-size:15pt'><b>%1</b></span> &nbsp; session %2 · protocol %3 · "
                "involved limb: %4%5"
                "<br>asymmetry = (max − min) / max × 100 on each metric's better direction; LSI = "
                "involved / "
                "uninvolved × 100; flags: attention ≥ 10 %, red ≥ 20 %")
            .arg(QString::fromStdString(comparison.athlete_id),
                 QString::fromStdString(comparison.created_utc),
                 QString::fromStdString(comparison.protocol),
                 comparison.involved
                     ? QString::fromUtf8(processing::to_string(*comparison.involved).data())
                     : QString("not given"),
                 weaker),
        this);
    header->setTextFormat(Qt::RichText);
    layout->addWidget(header);
    auto* charts = new QHBoxLayout();
    charts->addWidget(make_contact_overlay_chart(comparison, this), 1);
    charts->addWidget(make_metric_bar_chart(comparison, this), 1);
    layout->addLayout(charts, 3);

    auto* table = new QTableWidget(static_cast<int>(comparison.metrics.size()), 7, this);
    table->setHorizontalHeaderLabels(
        {"metric", "left", "right", "LSI %", "asymmetry %", "weaker", "flag"});
    int r = 0;
    for (const auto& row : comparison.metrics) {
        const int decimals = row.metric == "peak_force_N" ? 0 : 3;
        const QStringList cells{
            QString::fromStdString(row.metric),
            number(row.left, decimals),
            number(row.right, decimals),
            number(row.lsi_pct, 1),
            number(row.asymmetry_pct, 1),
            weaker_side(row) ? QString::fromStdString(*weaker_side(row)) : "—",
            row.flag ? QString::fromUtf8(processing::to_string(*row.flag).data()) : "—"};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setBackground(flag_colour(row.flag));
            table->setItem(r, c, item);
        }
        ++r;
    }
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->verticalHeader()->setVisible(false);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(table, 1);
}

}  // namespace hoplab::viewer
