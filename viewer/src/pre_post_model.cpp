#include <hoplab/viewer/pre_post_model.hpp>

#include <algorithm>
#include <array>
#include <numeric>
#include <stdexcept>

namespace hoplab::viewer {
namespace {

const processing::SymmetryRow* find_row(const LimbComparison& session, const std::string& metric) {
    const auto row = std::find_if(session.metrics.begin(), session.metrics.end(),
                                  [&](const auto& r) { return r.metric == metric; });
    return row == session.metrics.end() ? nullptr : &*row;
}

}  // namespace

PrePostComparison load_pre_post(const std::vector<std::filesystem::path>& files) {
    if (files.size() < 2) {
        throw std::invalid_argument("pre against post needs two or more session files, got " +
                                    std::to_string(files.size()));
    }
    std::vector<std::pair<LimbComparison, std::string>> loaded;
    for (const auto& file : files) {
        loaded.emplace_back(load_limb_comparison(file), file.filename().string());
        if (loaded.back().first.athlete_id != loaded.front().first.athlete_id) {
            throw std::runtime_error(
                file.string() + " is of athlete '" + loaded.back().first.athlete_id + "', " +
                files.front().string() + " of '" + loaded.front().first.athlete_id +
                "': pre against post compares one athlete");
        }
    }
    std::stable_sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) {
        return a.first.created_utc < b.first.created_utc;
    });
    PrePostComparison out;
    out.athlete_id = loaded.front().first.athlete_id;
    for (auto& [session, name] : loaded) {
        out.sessions.push_back(std::move(session));
        out.file_names.push_back(name);
    }
    return out;
}

std::optional<double> metric_value(const LimbComparison& session, const std::string& metric,
                                   processing::Limb limb) {
    const auto* row = find_row(session, metric);
    if (row == nullptr)
        return std::nullopt;
    return limb == processing::Limb::left ? row->left : row->right;
}

std::optional<double> lsi_pct(const LimbComparison& session, const std::string& metric) {
    const auto* row = find_row(session, metric);
    return row == nullptr ? std::nullopt : row->lsi_pct;
}

std::optional<processing::ChangeResult> change_from_first(const PrePostComparison& comparison,
                                                          std::size_t session,
                                                          const std::string& metric,
                                                          processing::Limb limb,
                                                          const ChangeThresholds& thresholds) {
    if (session == 0 || session >= comparison.sessions.size()) {
        throw std::invalid_argument("change_from_first: session " + std::to_string(session) +
                                    " is not a later session of " +
                                    std::to_string(comparison.sessions.size()));
    }
    const auto pre = metric_value(comparison.sessions.front(), metric, limb);
    const auto post = metric_value(comparison.sessions[session], metric, limb);
    const auto* row = find_row(comparison.sessions.front(), metric);
    if (!pre || !post || row == nullptr)
        return std::nullopt;
    const std::array<double, 1> pre_values{*pre}, post_values{*post};
    return processing::compare_change(pre_values, post_values, row->direction,
                                      thresholds.typical_error, thresholds.swc);
}

}  // namespace hoplab::viewer
