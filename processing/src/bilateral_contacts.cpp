#include <hoplab/processing/bilateral_contacts.hpp>
#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/events.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace hoplab::processing {
namespace {

void check_plate_force(std::span<const double> fz, const char* plate) {
    const auto bad = std::find_if(fz.begin(), fz.end(), [](double v) { return !std::isfinite(v); });
    if (bad != fz.end()) {
        throw std::invalid_argument(std::string("pair_contacts: ") + plate +
                                    " plate vertical force sample " +
                                    std::to_string(bad - fz.begin()) + " is not finite");
    }
}

// Every contact run of one plate with the METHODS §3/§4 per-contact quantities, computed exactly as
// analyze_trial computes them for a hop contact.
std::vector<LimbContact> plate_contacts(std::span<const double> f, double fs,
                                        const AnalysisSettings& settings) {
    const EventDetection events = detect_events(f, fs, settings);
    // The whole record is filtered (METHODS §1.1); a cutoff at or above 0.45·fs cannot be designed,
    // and then, as in analyze_trial, the peaks are null rather than the trial refused.
    std::vector<double> filtered;
    if (settings.peak_cutoff_hz < 0.45 * fs) {
        ZeroPhaseFilter peak_filter(butterworth_lowpass(2, settings.peak_cutoff_hz, fs));
        if (f.size() > peak_filter.pad_samples()) {
            filtered = peak_filter.apply(f);
        }
    }
    const double on_n = events.threshold_on_N;
    const double off_n = events.threshold_N;
    std::vector<LimbContact> out;
    for (const StateRun& r : events.runs) {
        if (!r.contact) {
            continue;
        }
        LimbContact c;
        c.first_sample = r.begin;
        c.end_sample = r.end;
        if (r.begin > 0) {
            c.touchdown_s = crossing_time_s(f, r.begin, on_n, fs);
        }
        if (r.end < f.size()) {
            c.take_off_s = crossing_time_s(f, r.end, off_n, fs);
        }
        if (settings.saturation_limit_n) {
            const double limit = *settings.saturation_limit_n;
            c.saturated = std::any_of(f.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                      f.begin() + static_cast<std::ptrdiff_t>(r.end),
                                      [limit](double v) { return v >= limit; });
        }
        if (!filtered.empty() && !c.saturated) {
            c.peak_force_N =
                *std::max_element(filtered.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                  filtered.begin() + static_cast<std::ptrdiff_t>(r.end));
        }
        if (c.touchdown_s && c.take_off_s) {
            c.contact_time_s = *c.take_off_s - *c.touchdown_s;
            // Trapezoid on the sample grid; the partial intervals at each end run to the
            // interpolated crossing, where the force is the threshold (METHODS §0).
            const auto time_of = [fs](std::size_t k) { return static_cast<double>(k) / fs; };
            double impulse = (on_n + f[r.begin]) / 2.0 * (time_of(r.begin) - *c.touchdown_s);
            for (std::size_t k = r.begin + 1; k < r.end; ++k) {
                impulse += (f[k - 1] + f[k]) / 2.0 / fs;
            }
            impulse += (f[r.end - 1] + off_n) / 2.0 * (*c.take_off_s - time_of(r.end - 1));
            c.impulse_Ns = impulse;
        }
        out.push_back(c);
    }
    return out;
}

std::size_t overlap_samples(const LimbContact& a, const LimbContact& b) {
    const std::size_t begin = std::max(a.first_sample, b.first_sample);
    const std::size_t end = std::min(a.end_sample, b.end_sample);
    return end > begin ? end - begin : 0;
}

}  // namespace

std::vector<BilateralContact> pair_contacts(std::span<const double> left_fz_n,
                                            std::span<const double> right_fz_n,
                                            double sample_rate_hz, const AnalysisSettings& settings,
                                            std::optional<Limb> involved,
                                            const SymmetrySettings& symmetry) {
    if (!(sample_rate_hz > 0) || !std::isfinite(sample_rate_hz)) {
        throw std::invalid_argument("pair_contacts: sample rate must be positive, not " +
                                    std::to_string(sample_rate_hz) + " Hz");
    }
    if (left_fz_n.size() != right_fz_n.size()) {
        throw std::invalid_argument("pair_contacts: the left plate has " +
                                    std::to_string(left_fz_n.size()) + " samples, the right " +
                                    std::to_string(right_fz_n.size()));
    }
    if (left_fz_n.size() < 10) {
        throw std::invalid_argument("pair_contacts: " + std::to_string(left_fz_n.size()) +
                                    " samples; at least 10 are needed");
    }
    check_plate_force(left_fz_n, "left");
    check_plate_force(right_fz_n, "right");
    const std::vector<LimbContact> left = plate_contacts(left_fz_n, sample_rate_hz, settings);
    const std::vector<LimbContact> right = plate_contacts(right_fz_n, sample_rate_hz, settings);

    // Largest overlap of each contact with the other plate's contacts. Both lists are sorted and
    // disjoint, so the right contacts overlapping left[i] are a contiguous range that only moves
    // forward: one sweep.
    std::vector<std::optional<std::size_t>> best_right(left.size()), best_left(right.size());
    std::vector<std::size_t> best_right_overlap(left.size(), 0), best_left_overlap(right.size(), 0);
    std::size_t from = 0;
    for (std::size_t i = 0; i < left.size(); ++i) {
        while (from < right.size() && right[from].end_sample <= left[i].first_sample) {
            ++from;
        }
        for (std::size_t j = from; j < right.size() && right[j].first_sample < left[i].end_sample;
             ++j) {
            const std::size_t overlap = overlap_samples(left[i], right[j]);
            if (overlap > best_right_overlap[i]) {
                best_right_overlap[i] = overlap;
                best_right[i] = j;
            }
            if (overlap > best_left_overlap[j]) {
                best_left_overlap[j] = overlap;
                best_left[j] = i;
            }
        }
    }

    std::vector<BilateralContact> out;
    std::vector<bool> right_paired(right.size(), false);
    for (std::size_t i = 0; i < left.size(); ++i) {
        BilateralContact c;
        c.left = left[i];
        if (best_right[i] && best_left[*best_right[i]] == i) {
            c.right = right[*best_right[i]];
            right_paired[*best_right[i]] = true;
        }
        out.push_back(std::move(c));
    }
    for (std::size_t j = 0; j < right.size(); ++j) {
        if (!right_paired[j]) {
            BilateralContact c;
            c.right = right[j];
            out.push_back(std::move(c));
        }
    }
    const auto first_sample = [](const BilateralContact& c) {
        return std::min(c.left ? c.left->first_sample : c.right->first_sample,
                        c.right ? c.right->first_sample : c.left->first_sample);
    };
    std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
        return first_sample(a) < first_sample(b);
    });

    int index = 0;
    for (auto& c : out) {
        c.index = ++index;
        const auto value = [](const std::optional<LimbContact>& side,
                              std::optional<double> LimbContact::*member) {
            return side ? (*side).*member : std::optional<double>();
        };
        if (c.left && c.right && c.left->touchdown_s && c.right->touchdown_s) {
            c.onset_difference_ms = (*c.left->touchdown_s - *c.right->touchdown_s) * 1000.0;
        }
        c.symmetry = {
            symmetry_row("peak_force_N", MetricDirection::none,
                         value(c.left, &LimbContact::peak_force_N),
                         value(c.right, &LimbContact::peak_force_N), involved, symmetry),
            symmetry_row("contact_time_s", MetricDirection::lower_is_better,
                         value(c.left, &LimbContact::contact_time_s),
                         value(c.right, &LimbContact::contact_time_s), involved, symmetry),
            symmetry_row("impulse_Ns", MetricDirection::none,
                         value(c.left, &LimbContact::impulse_Ns),
                         value(c.right, &LimbContact::impulse_Ns), involved, symmetry),
        };
    }
    return out;
}

TrialAnalysis analyze_bilateral_trial(std::span<const double> left_fz_n,
                                      std::span<const double> right_fz_n, double sample_rate_hz,
                                      Protocol protocol, const AnalysisSettings& settings,
                                      std::optional<Limb> involved,
                                      const SymmetrySettings& symmetry) {
    if (left_fz_n.size() != right_fz_n.size()) {
        throw std::invalid_argument("analyze_bilateral_trial: the left plate has " +
                                    std::to_string(left_fz_n.size()) + " samples, the right " +
                                    std::to_string(right_fz_n.size()));
    }
    std::vector<double> sum(left_fz_n.size());
    std::transform(left_fz_n.begin(), left_fz_n.end(), right_fz_n.begin(), sum.begin(),
                   std::plus<>());
    TrialAnalysis out = analyze_trial(sum, sample_rate_hz, protocol, Limb::both, settings);
    auto pairs = pair_contacts(left_fz_n, right_fz_n, sample_rate_hz, settings, involved, symmetry);
    for (const auto& c : pairs) {
        if (!c.paired()) {
            const LimbContact& only = c.left ? *c.left : *c.right;
            out.quality_flags.push_back(
                std::string("unpaired contact: ") + (c.left ? "left" : "right") +
                " plate contact " + std::to_string(c.index) + " at sample " +
                std::to_string(only.first_sample) + " has no overlapping contact on the " +
                (c.left ? "right" : "left") + " plate");
        }
    }
    out.bilateral_contacts = std::move(pairs);
    return out;
}

}  // namespace hoplab::processing
