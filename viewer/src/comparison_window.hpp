#pragma once

#include <hoplab/viewer/comparison_model.hpp>

#include <QtWidgets/QWidget>

namespace hoplab::viewer {

// Left against right for one session: a header a PT reads first (athlete, date, protocol, involved
// and weaker limb, the asymmetry formula), the overlaid contacts, the metric bars and a table of
// the numbers with flags.
class ComparisonWindow : public QWidget {
    Q_OBJECT
  public:
    explicit ComparisonWindow(const LimbComparison& comparison, QWidget* parent = nullptr);
};

}  // namespace hoplab::viewer
