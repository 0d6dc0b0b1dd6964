#pragma once

#include <hoplab/viewer/trace_model.hpp>

#include <QtWidgets/QWidget>

#include <filesystem>
#include <vector>

class QLabel;
class QTreeWidget;
class QVBoxLayout;

namespace hoplab::viewer {

class TracePlot;

// Browse recordings: a tree of sessions and trials (protocol, limb, status, length) and the
// selected trial's force trace with contacts and landing marked. Recordings come from the command
// line, the Open button, or drag and drop; a file that cannot be read becomes a red line naming
// the problem in the tree's status, never a crash.
class TraceWindow : public QWidget {
  public:
    explicit TraceWindow(QWidget* parent = nullptr);
    // Adds the recording to the tree; returns false (and shows the message) when it cannot be read.
    bool add_recording(const std::filesystem::path& file);
    // Shows the trial's trace; returns false (and shows the message) on a read error.
    bool show_trial(const std::filesystem::path& file, const std::string& trial_id);
    // The plot of the trial shown, or nullptr before one is chosen.
    TracePlot* plot() const { return plot_; }

  protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void show_problem(const QString& text);

    QTreeWidget* tree_ = nullptr;
    QLabel* status_ = nullptr;
    QVBoxLayout* plot_area_ = nullptr;
    TracePlot* plot_ = nullptr;
};

}  // namespace hoplab::viewer
