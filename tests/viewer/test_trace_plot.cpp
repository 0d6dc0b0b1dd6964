// Offscreen rendering: a simulated recording opened in the trace browser, the chart's state checked
// against the recording's own samples and events.
#include <hoplab/cli/child_process.hpp>
#include <hoplab/viewer/trace_model.hpp>

#include "chart_adapter.hpp"
#include "trace_window.hpp"

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <QtWidgets/QApplication>

#include <algorithm>
#include <fstream>

namespace hoplab::viewer {
namespace {

class TraceOfSimulatedSession : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        static int argc = 1;
        static char name[] = "hoplab_viewer_tests";
        static char* argv[] = {name, nullptr};
        if (QApplication::instance() == nullptr)
            application_ = new QApplication(argc, argv);
    }
    void SetUp() override {
        dir_ = testing::fresh_directory("viewer-trace");
        file_ = dir_ / "session.h5";
        cli::ChildProcess simulate(
            {HOPLAB_PATH,
             {"simulate", "--protocol", "repeated-hops", "--limb", "both", "--out", file_.string()},
             dir_ / "simulate.log",
             false,
             false,
             {}});
        ASSERT_EQ(simulate.wait(std::chrono::seconds(60)), 0);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    static inline QApplication* application_ = nullptr;
    std::filesystem::path dir_, file_;
};

TEST_F(TraceOfSimulatedSession, TreeAndTraceHoldTheRecordingsValues) {
    const auto session = read_session_entry(file_);
    ASSERT_FALSE(session.trials.empty());
    const auto& trial = session.trials.front();
    const auto trace = load_trial_trace(file_, trial.id);
    ASSERT_FALSE(trace.plates.empty());
    std::size_t contacts = 0;
    double max_n = 0.0;
    for (const auto& plate : trace.plates) {
        contacts += plate.contacts.size();
        max_n = std::max(max_n,
                         *std::max_element(plate.fz_n.values().begin(), plate.fz_n.values().end()));
        for (const auto& contact : plate.contacts)
            EXPECT_LT(contact.start_s, contact.end_s);
    }
    EXPECT_GT(contacts, 0u);

    TraceWindow window;
    ASSERT_TRUE(window.add_recording(file_));
    ASSERT_TRUE(window.show_trial(file_, trial.id));
    window.resize(1400, 700);
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    QApplication::processEvents();
    auto* plot = window.plot();
    ASSERT_NE(plot, nullptr);
    plot->show_interval(0.0, 1e9);  // clamped to the trial
    auto state = plot->state();
    EXPECT_DOUBLE_EQ(state.x_min_s, 0.0);
    EXPECT_NEAR(state.x_max_s, trace.plates.front().fz_n.end_s(), 1e-9);
    // The force axis holds the highest sample (exact: the envelope keeps every maximum) plus the 5
    // % margin.
    EXPECT_GE(state.y_max_n, max_n);
    EXPECT_LE(state.y_max_n, max_n + 0.06 * (max_n - state.y_min_n));
    EXPECT_EQ(state.contact_markers, contacts);
    ASSERT_EQ(state.points_per_plate.size(), trace.plates.size());
    const auto width = static_cast<std::size_t>(plot->widget()->width());
    for (const auto points : state.points_per_plate) {
        EXPECT_GT(points, 0u);
        EXPECT_LE(points, 2 * width);  // at most a min/max pair per pixel column
    }

    // Zoom into one second: the axis follows, the line holds every raw sample (2 kHz · 1 s < 2 per
    // column is false at this width, so it is min/max per column), and only the contacts in view
    // are shaded.
    const auto& first = trace.plates.front();
    ASSERT_FALSE(first.contacts.empty());
    const double t0_s = first.contacts.front().start_s - 0.2;
    plot->show_interval(t0_s, t0_s + 1.0);
    state = plot->state();
    EXPECT_NEAR(state.x_min_s, std::max(0.0, t0_s), 1e-9);
    EXPECT_NEAR(state.x_max_s - state.x_min_s, 1.0, 1e-9);
    const auto extremes = first.fz_n.extremes(state.x_min_s, state.x_max_s);
    ASSERT_TRUE(extremes);
    EXPECT_GE(state.y_max_n, extremes->max);
    std::size_t in_view = 0;
    for (const auto& plate : trace.plates) {
        in_view += static_cast<std::size_t>(std::count_if(
            plate.contacts.begin(), plate.contacts.end(),
            [&](const auto& c) { return c.end_s >= state.x_min_s && c.start_s <= state.x_max_s; }));
    }
    EXPECT_EQ(state.contact_markers, in_view);
    EXPECT_LT(in_view, contacts);
}

TEST_F(TraceOfSimulatedSession, TraceScreenshotIsWrittenAndBadFilesAreNamed) {
    const auto trial = read_session_entry(file_).trials.front().id;
    cli::ChildProcess viewer(
        {HOPLAB_VIEWER_PATH,
         {file_.string(), "--trial", trial, "--screenshot", (dir_ / "trace.png").string()},
         dir_ / "viewer.log",
         false,
         false,
         {{"QT_QPA_PLATFORM", "offscreen"}}});
    ASSERT_EQ(viewer.wait(std::chrono::seconds(60)), 0);
    EXPECT_GT(std::filesystem::file_size(dir_ / "trace.png"),
              20'000u);  // a rendered chart, not an empty image

    std::filesystem::copy_file(file_, dir_ / "truncated.h5");
    std::filesystem::resize_file(dir_ / "truncated.h5", std::filesystem::file_size(file_) / 3);
    cli::ChildProcess truncated({HOPLAB_VIEWER_PATH,
                                 {(dir_ / "truncated.h5").string(), "--trial", trial,
                                  "--screenshot", (dir_ / "t.png").string()},
                                 dir_ / "truncated.log",
                                 false,
                                 false,
                                 {{"QT_QPA_PLATFORM", "offscreen"}}});
    EXPECT_EQ(truncated.wait(std::chrono::seconds(60)), 1);
    std::ifstream in(dir_ / "truncated.log");
    const std::string log(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(log.find("truncated.h5"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "t.png"));
}

}  // namespace
}  // namespace hoplab::viewer
