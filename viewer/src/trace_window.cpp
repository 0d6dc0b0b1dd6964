#include "trace_window.hpp"

#include "chart_adapter.hpp"

#include <QtCore/QMimeData>
#include <QtGui/QDragEnterEvent>
#include <QtGui/QDropEvent>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QTreeWidget>
#include <QtWidgets/QVBoxLayout>

#include <iostream>

namespace hoplab::viewer {
namespace {

constexpr int kFileRole = Qt::UserRole;
constexpr int kTrialRole = Qt::UserRole + 1;

}  // namespace

TraceWindow::TraceWindow(QWidget* parent) : QWidget(parent) {
    setAcceptDrops(true);
    auto* layout = new QVBoxLayout(this);
    auto* splitter = new QSplitter(this);
    auto* left = new QWidget(splitter);
    auto* left_layout = new QVBoxLayout(left);
    auto* open = new QPushButton("Open recordings…", left);
    tree_ = new QTreeWidget(left);
    tree_->setHeaderLabels({"session / trial", "protocol", "limb", "status", "s"});
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    left_layout->addWidget(open);
    left_layout->addWidget(tree_);
    auto* right = new QWidget(splitter);
    plot_area_ = new QVBoxLayout(right);
    auto* hint = new QLabel(
        "Choose a trial. Wheel: zoom in time · drag: pan · double click: whole trial", right);
    plot_area_->addWidget(hint);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({520, 1000});  // px: the tree shows protocol, limb and status unclipped
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    layout->addWidget(splitter, 1);
    layout->addWidget(status_);
    connect(open, &QPushButton::clicked, this, [this] {
        const auto files = QFileDialog::getOpenFileNames(this, "Open recordings", QString(),
                                                         "hoplab sessions (*.h5)");
        for (const auto& file : files)
            add_recording(file.toStdString());
    });
    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        const auto trial = item->data(0, kTrialRole).toString();
        if (!trial.isEmpty())
            show_trial(item->data(0, kFileRole).toString().toStdString(), trial.toStdString());
    });
}

bool TraceWindow::add_recording(const std::filesystem::path& file) {
    try {
        const auto session = read_session_entry(file);
        // The session row: file, athlete and date under the protocol and limb columns.
        auto* top =
            new QTreeWidgetItem(tree_, {QString::fromStdString(file.filename().string()),
                                        QString::fromStdString(session.athlete_id),
                                        QString::fromStdString(session.created_utc).left(10)});
        top->setToolTip(0, QString::fromStdString(file.string()));
        for (const auto& trial : session.trials) {
            auto* item = new QTreeWidgetItem(
                top, {QString::fromStdString(trial.id), QString::fromStdString(trial.protocol),
                      QString::fromStdString(trial.limb), QString::fromStdString(trial.status),
                      QString::number(trial.duration_s, 'f', 1)});
            item->setData(0, kFileRole, QString::fromStdString(file.string()));
            item->setData(0, kTrialRole, QString::fromStdString(trial.id));
        }
        top->setExpanded(true);
        return true;
    } catch (const std::exception& error) {
        show_problem(QString::fromStdString(error.what()));
        return false;
    }
}

bool TraceWindow::show_trial(const std::filesystem::path& file, const std::string& trial_id) {
    try {
        auto trace = std::make_shared<const TrialTrace>(load_trial_trace(file, trial_id));
        while (auto* old = plot_area_->takeAt(0)) {
            delete old->widget();
            delete old;
        }
        plot_ = make_trace_plot(std::move(trace), nullptr);
        plot_area_->addWidget(plot_->widget());
        status_->setText(QString("%1 · %2").arg(QString::fromStdString(file.filename().string()),
                                                QString::fromStdString(trial_id)));
        status_->setStyleSheet(QString());
        return true;
    } catch (const std::exception& error) {
        show_problem(QString::fromStdString(error.what()));
        return false;
    }
}

void TraceWindow::show_problem(const QString& text) {
    std::cerr << "hoplab-viewer: " << text.toStdString()
              << "\n";  // headless runs report through stderr
    status_->setText(text);
    status_->setStyleSheet("color: #b00000; font-weight: bold");
}

void TraceWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void TraceWindow::dropEvent(QDropEvent* event) {
    for (const auto& url : event->mimeData()->urls()) {
        if (url.isLocalFile())
            add_recording(url.toLocalFile().toStdString());
    }
    event->acceptProposedAction();
}

}  // namespace hoplab::viewer
