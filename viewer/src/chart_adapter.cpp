#include "chart_adapter.hpp"

#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <QtGui/QPainter>

#include <algorithm>

namespace hoplab::viewer {
namespace {

const QColor kLeft(31, 119, 180);
const QColor kRight(255, 127, 14);
const QColor kAttention(230, 170, 0);
const QColor kRed(214, 39, 40);

QChartView* view_of(QChart* chart, QWidget* parent) {
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    return view;
}

}  // namespace

QWidget* make_contact_overlay_chart(const LimbComparison& comparison, QWidget* parent) {
    auto* chart = new QChart();
    chart->setTitle("Vertical force of every hop contact, aligned at touchdown");
    auto* x = new QValueAxis();
    x->setTitleText("time since touchdown (s)");
    x->setRange(-0.05, std::max(0.1, comparison.max_time_s));
    auto* y = new QValueAxis();
    y->setTitleText("vertical force (N)");
    y->setRange(0.0, comparison.max_force_n * 1.08);
    y->applyNiceNumbers();
    x->applyNiceNumbers();
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    bool legend_left = false, legend_right = false;
    for (const auto& curve : comparison.curves) {
        auto* series = new QLineSeries();
        const bool left = curve.limb == processing::Limb::left;
        QPen pen(left ? kLeft : kRight);
        pen.setWidthF(1.4);
        series->setPen(pen);
        for (const auto& p : curve.points) {
            series->append(p.x, p.y);
        }
        series->setName(left ? "left" : "right");
        chart->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
        // One legend entry per limb.
        bool& shown = left ? legend_left : legend_right;
        chart->legend()->markers(series).front()->setVisible(!shown);
        shown = true;
    }
    return view_of(chart, parent);
}

QWidget* make_metric_bar_chart(const LimbComparison& comparison, QWidget* parent) {
    auto* chart = new QChart();
    chart->setTitle("Left, right (% of the better limb) and limb symmetry index");
    auto* left = new QBarSet("left");
    auto* right = new QBarSet("right");
    auto* lsi = new QBarSet("LSI");
    left->setColor(kLeft);
    right->setColor(kRight);
    lsi->setColor(QColor(90, 90, 90));
    QStringList categories;
    for (const auto& row : comparison.metrics) {
        if (!row.left || !row.right) continue;
        const double better = row.direction == processing::MetricDirection::lower_is_better
                                  ? std::min(*row.left, *row.right)
                                  : std::max(*row.left, *row.right);
        // Lower-is-better metrics are shown as better/value so that 100 % is always the better limb.
        const auto relative = [&](double v) {
            return row.direction == processing::MetricDirection::lower_is_better ? better / v * 100.0
                                                                                : v / better * 100.0;
        };
        *left << relative(*row.left);
        *right << relative(*row.right);
        *lsi << row.lsi_pct.value_or(0.0);
        categories << QString::fromStdString(metric_label(row)).section('\n', 0, 0);
    }
    auto* bars = new QBarSeries();
    bars->append(left);
    bars->append(right);
    bars->append(lsi);
    bars->setLabelsVisible(true);
    bars->setLabelsFormat("@value");
    bars->setLabelsPrecision(3);
    bars->setLabelsAngle(-90);
    bars->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    chart->addSeries(bars);
    auto* x = new QBarCategoryAxis();
    x->append(categories);
    auto* y = new QValueAxis();
    y->setRange(0.0, 120.0);
    y->setTickCount(7);
    y->setLabelFormat("%.0f");
    y->setTitleText("%");
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    bars->attachAxis(x);
    bars->attachAxis(y);
    // The bands: LSI 90 % (asymmetry 10 %, attention) and 80 % (20 %, red), drawn across the whole plot.
    auto* band_x = new QValueAxis();
    band_x->setRange(0.0, 1.0);
    band_x->setVisible(false);
    chart->addAxis(band_x, Qt::AlignTop);
    for (const auto& [level, color, name] : {std::tuple{90.0, kAttention, "LSI 90 % (10 % asymmetry: attention)"},
                                             std::tuple{80.0, kRed, "LSI 80 % (20 % asymmetry: red)"}}) {
        auto* line = new QLineSeries();
        line->append(0.0, level);
        line->append(1.0, level);
        QPen pen(color);
        pen.setWidthF(2.0);
        pen.setStyle(Qt::DashLine);
        line->setPen(pen);
        line->setName(name);
        chart->addSeries(line);
        line->attachAxis(band_x);
        line->attachAxis(y);
    }
    return view_of(chart, parent);
}

}  // namespace hoplab::viewer
