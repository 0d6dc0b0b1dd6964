#pragma once

#include <hoplab/viewer/pre_post_model.hpp>

#include <QtWidgets/QWidget>

#include <map>
#include <string>

namespace hoplab::viewer {

// Pre against post for one athlete: the LSI over sessions with the 90 %/80 % lines, jump height,
// contact time and RSI per limb over sessions with MDC95/SWC bands, and a table of each limb's
// change from the first to the last session with whether it exceeds the SWC and the MDC95.
class PrePostWindow : public QWidget {
  public:
    // thresholds: per metric name ("jump_height_m", …); a metric without an entry has no bands.
    PrePostWindow(const PrePostComparison& comparison,
                  const std::map<std::string, ChangeThresholds>& thresholds,
                  QWidget* parent = nullptr);
};

}  // namespace hoplab::viewer
