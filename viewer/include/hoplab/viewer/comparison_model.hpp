#pragma once

// What the left-against-right view shows, computed without Qt: each limb's hop contacts overlaid
// (aligned at touchdown, min/max-decimated), the metric rows with LSI and flags, and the labels a
// PT reads.

#include <hoplab/processing/symmetry.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::viewer {

struct Point {
    double x = 0, y = 0;
};

// One contact's vertical force against time since touchdown.
struct ContactCurve {
    processing::Limb limb = processing::Limb::left;
    int contact = 0;
    std::vector<Point> points;  // x: s since touchdown, y: N
};

struct LimbComparison {
    std::string athlete_id, created_utc, protocol;
    std::optional<processing::Limb> involved;
    std::vector<ContactCurve> curves;
    std::vector<processing::SymmetryRow> metrics;
    std::optional<processing::TrialAnalysis> left, right;
    double max_force_n = 0;
    double max_time_s = 0;
};

// Min/max decimation: for each of `columns` equal bins of x, the first-occurring of min and max,
// then the other, so every extreme of the input survives. Inputs with ≤ 2·columns points are
// returned unchanged.
std::vector<Point> decimate_min_max(const std::vector<Point>& points, std::size_t columns);

// Builds the comparison from a recording: the last complete single-leg trial of each limb in the
// same protocol, re-analysed from its calibrated force. Throws std::runtime_error naming the file
// and what is missing.
LimbComparison load_limb_comparison(const std::filesystem::path& recording);

// The metric's name for a PT ("jump_height_m" → "jump height"); unknown names pass through.
std::string metric_name(const std::string& metric);

// Who is weaker on the row's metric: "left" or "right", "equal" when the asymmetry reads 0.0 % at
// the 0.1 % it is shown with (below 0.05 %: no side is named), nullopt when the row has no
// asymmetry (a limb has no value) or the metric has no better direction (peak force).
std::optional<std::string> weaker_side(const processing::SymmetryRow& row);

// The row's text for a chart label, e.g. "jump height\nLSI 85.0 % · right weaker" (or "· equal").
std::string metric_label(const processing::SymmetryRow& row);

}  // namespace hoplab::viewer
