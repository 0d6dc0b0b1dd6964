#pragma once

// The only place that touches Qt Charts: it turns the Qt-free comparison model into charts.

#include <hoplab/viewer/comparison_model.hpp>

class QWidget;

namespace hoplab::viewer {

// Both limbs' contacts overlaid against time since touchdown (left blue, right orange).
QWidget* make_contact_overlay_chart(const LimbComparison& comparison, QWidget* parent);

// Per metric: left and right as % of the better limb, and the LSI, with the 90 % (10 % asymmetry) and 80 %
// (20 %) lines in amber and red.
QWidget* make_metric_bar_chart(const LimbComparison& comparison, QWidget* parent);

}  // namespace hoplab::viewer
