#pragma once

// The only place that touches Qt Charts: it turns the Qt-free comparison model into charts.

#include <hoplab/viewer/comparison_model.hpp>
#include <hoplab/viewer/live_trace_buffer.hpp>
#include <hoplab/viewer/pre_post_model.hpp>
#include <hoplab/viewer/trace_model.hpp>

#include <cstddef>
#include <memory>
#include <vector>

class QWidget;

namespace hoplab::viewer {

// Both limbs' contacts overlaid against time since touchdown (left blue, right orange).
QWidget* make_contact_overlay_chart(const LimbComparison& comparison, QWidget* parent);

// Per metric: left and right as % of the better limb, and the LSI, with the 90 % (10 % asymmetry)
// and 80 % (20 %) lines in amber and red.
QWidget* make_metric_bar_chart(const LimbComparison& comparison, QWidget* parent);

// One metric over sessions (x: session 1, 2, …): left and right trial means, and around each limb's
// first value its MDC95 band (dotted) and SWC band (shaded) when the thresholds give them, so a
// later point outside the bands stands out as a real change.
QWidget* make_pre_post_chart(const PrePostComparison& comparison, const std::string& metric,
                             const ChangeThresholds& thresholds, QWidget* parent);

// The LSI of jump height, contact time and RSI over sessions, with the LSI 90 % and 80 % lines.
QWidget* make_lsi_trend_chart(const PrePostComparison& comparison, QWidget* parent);

// What a trace plot shows now, for tests and the zoom benchmark without touching Qt Charts.
struct TracePlotState {
    double x_min_s = 0, x_max_s = 0, y_min_n = 0, y_max_n = 0;
    std::vector<std::size_t> points_per_plate;  // drawn points of each plate's force line
    std::size_t contact_markers =
        0;  // shaded contacts in view, all plates (none beyond 60 per plate)
    std::size_t landing_markers = 0;
};

// One trial's force against time, one line per plate (left blue, right orange, other grey),
// contacts shaded in the plate's colour, the landing a dashed vertical line. The wheel zooms in
// time around the cursor, dragging pans, a double click shows the whole trial; after every
// change the visible interval is re-drawn from the envelope at one min/max pair per pixel column
// and the force axis fits the visible extremes.
class TracePlot {
  public:
    virtual ~TracePlot() = default;
    virtual QWidget* widget() = 0;
    // Shows [t0_s, t1_s] (s from the trial start), clamped to the trial.
    virtual void show_interval(double t0_s, double t1_s) = 0;
    virtual TracePlotState state() const = 0;
};

// The plot is owned by `parent` (through widget()).
TracePlot* make_trace_plot(std::shared_ptr<const TrialTrace> trace, QWidget* parent);

// One device's live force as drawn: its columns and gaps (LiveTraceBuffer::columns).
struct LiveTrace {
    std::string label;  // "left plate (left limb)"
    std::optional<processing::Limb> limb;
    LiveColumns force;
};

// The live chart: vertical force of every plate over the last window_s seconds (x from −window_s
// to 0 s, now), one min/max pair per pixel column, gaps shaded red. draw() replaces the lines'
// points; the series are made once per trace, so a redraw does not lay the chart out again.
class LivePlot {
  public:
    virtual ~LivePlot() = default;
    virtual QWidget* widget() = 0;
    // Plot-area width in pixels: the number of columns worth asking the buffer for.
    virtual std::size_t columns() const = 0;
    virtual void draw(const std::vector<LiveTrace>& traces) = 0;
};

LivePlot* make_live_plot(double window_s, QWidget* parent);

}  // namespace hoplab::viewer
