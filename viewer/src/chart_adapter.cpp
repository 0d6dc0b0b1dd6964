#include "chart_adapter.hpp"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <QtGui/QMouseEvent>
#include <QtGui/QPainter>
#include <QtGui/QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

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

QColor limb_colour(const std::optional<processing::Limb>& limb) {
    if (limb == processing::Limb::left)
        return kLeft;
    if (limb == processing::Limb::right)
        return kRight;
    return QColor(90, 90, 90);
}

class TraceChartView final : public QChartView, public TracePlot {
  public:
    TraceChartView(std::shared_ptr<const TrialTrace> trace, QWidget* parent)
        : QChartView(new QChart(), parent), trace_(std::move(trace)) {
        QChart* plot = chart();
        plot->setAnimationOptions(QChart::NoAnimation);
        plot->legend()->setAlignment(Qt::AlignBottom);
        plot->setTitle(QString("%1 · %2 · %3 · %4 limb · %5")
                           .arg(QString::fromStdString(trace_->athlete_id),
                                QString::fromStdString(trace_->trial_id),
                                QString::fromStdString(trace_->protocol),
                                QString::fromStdString(trace_->limb),
                                QString::fromStdString(trace_->status)));
        // Aliased: the force line is one min/max pair per pixel column, which antialiasing only
        // blurs, and antialiased stroking of ~3 000 points per plate was most of a zoom's paint.
        setRenderHint(QPainter::Antialiasing, false);
        x_ = new QValueAxis();
        x_->setTitleText("time from trial start (s)");
        y_ = new QValueAxis();
        y_->setTitleText("vertical force (N)");
        plot->addAxis(x_, Qt::AlignBottom);
        plot->addAxis(y_, Qt::AlignLeft);
        for (const auto& plate : trace_->plates) {
            end_s_ = std::max(end_s_, plate.fz_n.end_s());
            start_s_ = std::min(start_s_, plate.fz_n.start_s());
            auto* line = new QLineSeries();
            line->setName(QString("%1 (%2)").arg(
                QString::fromStdString(plate.device),
                plate.limb ? QString::fromUtf8(processing::to_string(*plate.limb).data())
                           : QString("no limb")));
            QPen pen(limb_colour(plate.limb));
            pen.setWidthF(1.2);
            line->setPen(pen);
            line->setUseOpenGL(false);
            plot->addSeries(line);
            line->attachAxis(x_);
            line->attachAxis(y_);
            lines_.push_back(line);
        }
        if (start_s_ > end_s_)
            start_s_ = end_s_ = 0.0;
        make_markers();
        show_interval(start_s_, end_s_);
    }

    QWidget* widget() override { return this; }

    void show_interval(double t0_s, double t1_s) override {
        const double span = std::clamp(t1_s - t0_s, 1e-3, std::max(1e-3, end_s_ - start_s_));
        t0_s = std::clamp(t0_s, start_s_, std::max(start_s_, end_s_ - span));
        t1_s = t0_s + span;
        const auto columns = static_cast<std::size_t>(std::max(100.0, chart()->plotArea().width()));
        double y_min = 0.0, y_max = 100.0;  // N: an empty or flat view still has a readable axis
        std::size_t plate_index = 0;
        state_ = {};
        for (const auto& plate : trace_->plates) {
            const auto points = plate.fz_n.view(t0_s, t1_s, columns);
            QList<QPointF> qt_points;
            qt_points.reserve(static_cast<qsizetype>(points.size()));
            for (const auto& p : points)
                qt_points.append(QPointF(p.x, p.y));
            lines_[plate_index++]->replace(qt_points);
            state_.points_per_plate.push_back(points.size());
            if (const auto extremes = plate.fz_n.extremes(t0_s, t1_s)) {
                y_min = std::min(y_min, extremes->min);
                y_max = std::max(y_max, extremes->max);
            }
        }
        const double margin_n = 0.05 * (y_max - y_min);
        x_->setRange(t0_s, t1_s);
        y_->setRange(y_min - margin_n, y_max + margin_n);
        draw_markers(t0_s, t1_s, y_->min(), y_->max());
        state_.x_min_s = t0_s;
        state_.x_max_s = t1_s;
        state_.y_min_n = y_->min();
        state_.y_max_n = y_->max();
    }

    TracePlotState state() const override { return state_; }

  protected:
    void wheelEvent(QWheelEvent* event) override {
        const double factor = std::pow(0.8, event->angleDelta().y() / 120.0);
        const double at_s = chart()->mapToValue(event->position()).x();
        show_interval(at_s - (at_s - x_->min()) * factor, at_s + (x_->max() - at_s) * factor);
        event->accept();
    }
    void mousePressEvent(QMouseEvent* event) override {
        drag_from_ = event->position();
        event->accept();
    }
    void mouseMoveEvent(QMouseEvent* event) override {
        if (!(event->buttons() & Qt::LeftButton))
            return;
        const double dx_s =
            chart()->mapToValue(drag_from_).x() - chart()->mapToValue(event->position()).x();
        drag_from_ = event->position();
        show_interval(x_->min() + dx_s, x_->max() + dx_s);
        event->accept();
    }
    void mouseDoubleClickEvent(QMouseEvent* event) override {
        show_interval(start_s_, end_s_);
        event->accept();
    }

  private:
    // One contact area and one landing line per plate, made once and re-filled on every view change
    // (adding and removing series makes Qt Charts lay the whole chart out again: measured 10+ ms
    // per zoom step).
    void make_markers() {
        for (const auto& plate : trace_->plates) {
            auto* upper = new QLineSeries();
            auto* lower = new QLineSeries();
            auto* area = new QAreaSeries(upper, lower);
            upper->setParent(area);
            lower->setParent(area);
            QColor fill = limb_colour(plate.limb);
            fill.setAlpha(40);
            area->setBrush(fill);
            area->setPen(Qt::NoPen);
            add_marker(area);
            contact_areas_.push_back({area, upper, lower});
        }
        for (std::size_t i = 0; i < trace_->plates.size(); ++i) {
            auto* line = new QLineSeries();
            QPen pen(kRed);
            pen.setStyle(Qt::DashLine);
            pen.setWidthF(1.5);
            line->setPen(pen);
            add_marker(line);
            landing_lines_.push_back(line);
        }
    }

    // Contacts as translucent areas from the plot's bottom to its top, the landing as a dashed
    // line; only those in view are drawn.
    void draw_markers(double t0_s, double t1_s, double bottom_n, double top_n) {
        for (std::size_t i = 0; i < trace_->plates.size(); ++i) {
            const auto& plate = trace_->plates[i];
            // All of a plate's visible contacts are one area (a step outline: bottom between
            // contacts, top during them), so a view of thousands of contacts is still one series to
            // draw.
            const auto visible =
                std::count_if(plate.contacts.begin(), plate.contacts.end(),
                              [&](const auto& c) { return c.end_s >= t0_s && c.start_s <= t1_s; });
            // Qt Charts fills an area in time that grows steeply with its points (measured: 24 000
            // points took seconds); beyond kMostShadedContacts the contacts are thinner than a few
            // pixels anyway.
            constexpr std::ptrdiff_t kMostShadedContacts = 60;
            const ContactArea& shade = contact_areas_[i];
            if (visible == 0 || visible > kMostShadedContacts) {
                shade.area->setVisible(false);
            } else {
                QList<QPointF> upper{{t0_s, bottom_n}};
                for (const auto& contact : plate.contacts) {
                    if (contact.end_s < t0_s || contact.start_s > t1_s)
                        continue;
                    ++state_.contact_markers;
                    const double start_s = std::max(contact.start_s, t0_s);
                    const double end_s = std::min(contact.end_s, t1_s);
                    upper.append(
                        {{start_s, bottom_n}, {start_s, top_n}, {end_s, top_n}, {end_s, bottom_n}});
                }
                upper.append({t1_s, bottom_n});
                shade.upper->replace(upper);
                shade.lower->replace(QList<QPointF>{{t0_s, bottom_n}, {t1_s, bottom_n}});
                shade.area->setVisible(true);
            }
            QLineSeries* landing = landing_lines_[i];
            if (plate.landing_s && *plate.landing_s >= t0_s && *plate.landing_s <= t1_s) {
                landing->replace(
                    QList<QPointF>{{*plate.landing_s, bottom_n}, {*plate.landing_s, top_n}});
                landing->setVisible(true);
                ++state_.landing_markers;
            } else {
                landing->setVisible(false);
            }
        }
    }
    void add_marker(QAbstractSeries* series) {
        chart()->addSeries(series);
        series->attachAxis(x_);
        series->attachAxis(y_);
        for (auto* legend : chart()->legend()->markers(series))
            legend->setVisible(false);
    }

    struct ContactArea {
        QAreaSeries* area;
        QLineSeries* upper;
        QLineSeries* lower;
    };
    std::shared_ptr<const TrialTrace> trace_;
    QValueAxis* x_ = nullptr;
    QValueAxis* y_ = nullptr;
    std::vector<QLineSeries*> lines_;
    std::vector<ContactArea> contact_areas_;
    std::vector<QLineSeries*> landing_lines_;
    double start_s_ = std::numeric_limits<double>::infinity();
    double end_s_ = 0.0;
    QPointF drag_from_;
    TracePlotState state_;
};

// Session k (1-based) at x = k, labelled with its number and date.
QCategoryAxis* session_axis(const PrePostComparison& comparison) {
    auto* x = new QCategoryAxis();
    x->setRange(0.7, static_cast<double>(comparison.sessions.size()) + 0.3);
    x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    for (std::size_t i = 0; i < comparison.sessions.size(); ++i) {
        x->append(QString("%1 · %2").arg(i + 1).arg(
                      QString::fromStdString(comparison.sessions[i].created_utc).left(10)),
                  static_cast<double>(i + 1));
    }
    x->setTitleText("session (oldest first)");
    return x;
}

void add_band(QChart* chart, QCategoryAxis* x, QValueAxis* y, double low, double high,
              QColor colour, bool dotted) {
    auto* upper = new QLineSeries();
    upper->append(x->min(), high);
    upper->append(x->max(), high);
    auto* lower = new QLineSeries();
    lower->append(x->min(), low);
    lower->append(x->max(), low);
    auto* area = new QAreaSeries(upper, lower);
    upper->setParent(area);
    lower->setParent(area);
    if (dotted) {
        QPen pen(colour);
        pen.setStyle(Qt::DotLine);
        pen.setWidthF(1.5);
        area->setPen(pen);
        area->setBrush(Qt::NoBrush);
    } else {
        colour.setAlpha(45);
        area->setBrush(colour);
        area->setPen(Qt::NoPen);
    }
    chart->addSeries(area);
    area->attachAxis(x);
    area->attachAxis(y);
    for (auto* legend : chart->legend()->markers(area))
        legend->setVisible(false);
}

}  // namespace

QWidget* make_pre_post_chart(const PrePostComparison& comparison, const std::string& metric,
                             const ChangeThresholds& thresholds, QWidget* parent) {
    auto* chart = new QChart();
    QString title = QString::fromStdString(metric_name(metric));
    if (!thresholds.typical_error && !thresholds.swc)
        title += " (no reliability data: no MDC/SWC bands)";
    chart->setTitle(title);
    auto* x = session_axis(comparison);
    auto* y = new QValueAxis();
    y->setTitleText(QString::fromStdString(metric));  // the unit is in the name: _m, _s
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto limb : {processing::Limb::left, processing::Limb::right}) {
        auto* line = new QLineSeries();
        line->setName(limb == processing::Limb::left ? "left" : "right");
        QPen pen(limb_colour(limb));
        pen.setWidthF(2.0);
        // Right dashed, so equal values of both limbs leave the left line visible.
        if (limb == processing::Limb::right)
            pen.setStyle(Qt::DashLine);
        line->setPen(pen);
        line->setPointsVisible(true);
        for (std::size_t i = 0; i < comparison.sessions.size(); ++i) {
            if (const auto value = metric_value(comparison.sessions[i], metric, limb)) {
                line->append(static_cast<double>(i + 1), *value);
                low = std::min(low, *value);
                high = std::max(high, *value);
            }
        }
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
        const auto pre = metric_value(comparison.sessions.front(), metric, limb);
        if (!pre || comparison.sessions.size() < 2)
            continue;
        if (const auto change = change_from_first(comparison, 1, metric, limb, thresholds)) {
            if (change->swc)
                add_band(chart, x, y, *pre - *change->swc, *pre + *change->swc, limb_colour(limb),
                         false);
            if (change->mdc95) {
                add_band(chart, x, y, *pre - *change->mdc95, *pre + *change->mdc95,
                         limb_colour(limb), true);
                low = std::min(low, *pre - *change->mdc95);
                high = std::max(high, *pre + *change->mdc95);
            }
        }
    }
    if (low <= high) {
        const double margin = std::max(0.1 * (high - low), 1e-3 * std::abs(high));
        y->setRange(low - margin, high + margin);
    }
    return view_of(chart, parent);
}

QWidget* make_lsi_trend_chart(const PrePostComparison& comparison, QWidget* parent) {
    auto* chart = new QChart();
    chart->setTitle("Limb symmetry index over sessions (90 % and 80 % lines)");
    auto* x = session_axis(comparison);
    auto* y = new QValueAxis();
    y->setTitleText("LSI (%)");
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    double low = 75.0, high = 105.0;
    // Each metric in its own dash pattern: equal LSIs (jump height and RSI often are) stay visible.
    // Jump height is also wider, so a dotted RSI on top of it leaves its edges showing.
    const std::array<std::tuple<const char*, QColor, Qt::PenStyle, double>, 3> metrics{
        std::tuple{"jump_height_m", QColor(40, 40, 40), Qt::SolidLine, 5.0},
        std::tuple{"contact_time_s", QColor(120, 80, 160), Qt::DashLine, 2.0},
        std::tuple{"rsi", QColor(20, 190, 160), Qt::DotLine, 2.0}};
    for (const auto& [metric, colour, style, width_px] : metrics) {
        auto* line = new QLineSeries();
        line->setName(QString::fromStdString(metric_name(metric)));
        QPen pen(colour);
        pen.setWidthF(width_px);
        pen.setStyle(style);
        line->setPen(pen);
        line->setPointsVisible(true);
        for (std::size_t i = 0; i < comparison.sessions.size(); ++i) {
            if (const auto lsi = lsi_pct(comparison.sessions[i], metric)) {
                line->append(static_cast<double>(i + 1), *lsi);
                low = std::min(low, *lsi - 5.0);
                high = std::max(high, *lsi + 5.0);
            }
        }
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    y->setRange(low, high);
    for (const auto& [level, colour] : {std::pair{90.0, kAttention}, std::pair{80.0, kRed}}) {
        auto* line = new QLineSeries();
        line->append(x->min(), level);
        line->append(x->max(), level);
        QPen pen(colour);
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(2.0);
        line->setPen(pen);
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
        for (auto* legend : chart->legend()->markers(line))
            legend->setVisible(false);
    }
    return view_of(chart, parent);
}

TracePlot* make_trace_plot(std::shared_ptr<const TrialTrace> trace, QWidget* parent) {
    return new TraceChartView(std::move(trace), parent);
}

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
        // Right dashed: where both limbs' curves coincide, the left one still shows between the
        // dashes.
        if (!left)
            pen.setStyle(Qt::DashLine);
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
        if (!row.left || !row.right)
            continue;
        const double better = row.direction == processing::MetricDirection::lower_is_better
                                  ? std::min(*row.left, *row.right)
                                  : std::max(*row.left, *row.right);
        // Lower-is-better metrics are shown as better/value so that 100 % is always the better
        // limb.
        const auto relative = [&](double v) {
            return row.direction == processing::MetricDirection::lower_is_better
                       ? better / v * 100.0
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
    // The bands: LSI 90 % (asymmetry 10 %, attention) and 80 % (20 %, red), drawn across the whole
    // plot.
    auto* band_x = new QValueAxis();
    band_x->setRange(0.0, 1.0);
    band_x->setVisible(false);
    chart->addAxis(band_x, Qt::AlignTop);
    for (const auto& [level, color, name] :
         {std::tuple{90.0, kAttention, "LSI 90 % (10 % asymmetry: attention)"},
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

namespace {

class LiveChartView final : public QChartView, public LivePlot {
  public:
    LiveChartView(double window_s, QWidget* parent)
        : QChartView(new QChart(), parent), window_s_(window_s) {
        QChart* plot = chart();
        plot->setAnimationOptions(QChart::NoAnimation);
        plot->legend()->setAlignment(Qt::AlignBottom);
        plot->setTitle(QString("Vertical force, last %1 s").arg(window_s, 0, 'f', 0));
        // Aliased for the same reason as the trace plot: one min/max pair per column.
        setRenderHint(QPainter::Antialiasing, false);
        x_ = new QValueAxis();
        x_->setTitleText("time before now (s)");
        x_->setRange(-window_s, 0.0);
        y_ = new QValueAxis();
        y_->setTitleText("vertical force (N)");
        y_->setRange(-50.0, 1000.0);
        plot->addAxis(x_, Qt::AlignBottom);
        plot->addAxis(y_, Qt::AlignLeft);
    }

    QWidget* widget() override { return this; }

    std::size_t columns() const override {
        return static_cast<std::size_t>(std::max(100.0, chart()->plotArea().width()));
    }

    void draw(const std::vector<LiveTrace>& traces) override {
        while (lines_.size() < traces.size())
            add_trace(traces[lines_.size()]);
        // N: the axis keeps 0 and body weight's order of magnitude in view even on a quiet plate.
        double y_min = -50.0, y_max = 1000.0;
        for (const auto& trace : traces) {
            for (const auto& column : trace.force.columns) {
                y_min = std::min(y_min, column.min_n);
                y_max = std::max(y_max, column.max_n);
            }
        }
        y_max *= 1.05;
        y_->setRange(y_min, y_max);
        bool gap_in_legend = false;
        for (std::size_t i = 0; i < traces.size(); ++i) {
            QList<QPointF> points;
            points.reserve(static_cast<qsizetype>(2 * traces[i].force.columns.size()));
            for (const auto& column : traces[i].force.columns) {
                points.append(QPointF(column.t_s, column.min_n));
                points.append(QPointF(column.t_s, column.max_n));
            }
            lines_[i]->replace(points);
            QList<QPointF> upper{{-window_s_, y_min}};
            for (const auto& gap : traces[i].force.gaps) {
                upper.append({{gap.start_s, y_min},
                              {gap.start_s, y_max},
                              {gap.end_s, y_max},
                              {gap.end_s, y_min}});
            }
            upper.append({0.0, y_min});
            gaps_[i].upper->replace(upper);
            gaps_[i].lower->replace(QList<QPointF>{{-window_s_, y_min}, {0.0, y_min}});
            const bool gaps = !traces[i].force.gaps.empty();
            gaps_[i].area->setVisible(gaps);
            // One legend entry for the gaps of all plates, and none without gaps.
            for (auto* legend : chart()->legend()->markers(gaps_[i].area))
                legend->setVisible(gaps && !gap_in_legend);
            gap_in_legend = gap_in_legend || gaps;
        }
    }

  private:
    struct GapArea {
        QAreaSeries* area;
        QLineSeries* upper;
        QLineSeries* lower;
    };
    void add_trace(const LiveTrace& trace) {
        auto* line = new QLineSeries();
        line->setName(QString::fromStdString(trace.label));
        QPen pen(limb_colour(trace.limb));
        pen.setWidthF(1.2);
        // The second plate dashed: two plates with equal force stay both visible.
        if (!lines_.empty())
            pen.setStyle(Qt::DashLine);
        line->setPen(pen);
        chart()->addSeries(line);
        line->attachAxis(x_);
        line->attachAxis(y_);
        lines_.push_back(line);
        auto* upper = new QLineSeries();
        auto* lower = new QLineSeries();
        auto* area = new QAreaSeries(upper, lower);
        upper->setParent(area);
        lower->setParent(area);
        QColor fill = kRed;
        fill.setAlpha(50);
        area->setBrush(fill);
        area->setPen(Qt::NoPen);
        area->setName("gap (samples lost)");
        area->setVisible(false);
        chart()->addSeries(area);
        area->attachAxis(x_);
        area->attachAxis(y_);
        for (auto* legend : chart()->legend()->markers(area))
            legend->setVisible(false);
        gaps_.push_back({area, upper, lower});
    }

    double window_s_;
    QValueAxis* x_ = nullptr;
    QValueAxis* y_ = nullptr;
    std::vector<QLineSeries*> lines_;
    std::vector<GapArea> gaps_;
};

}  // namespace

LivePlot* make_live_plot(double window_s, QWidget* parent) {
    return new LiveChartView(window_s, parent);
}

}  // namespace hoplab::viewer
