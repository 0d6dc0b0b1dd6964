#include <hoplab/processing/butterworth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <fstream>
#include <iostream>
#include <limits>
#include <numbers>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::processing {
namespace {

nlohmann::json load_golden() {
    std::ifstream in(std::string(HOPLAB_GOLDEN_DIR) + "/filters.json");
    if (!in)
        throw std::runtime_error("missing filters.json: run scripts/golden/processing_filters.py");
    return nlohmann::json::parse(in);
}

TEST(Butterworth, CoefficientsMatchScipy) {
    // METHODS §1.1 reference coefficients (scipy 1.10, fs = 1000 Hz), to 1e-12.
    const auto s50 = butterworth_lowpass2(50, 1000);
    EXPECT_NEAR(s50.b0, 0.020083365564, 1e-12);
    EXPECT_NEAR(s50.b1, 0.040166731128, 1e-12);
    EXPECT_NEAR(s50.a1, -1.561018075801, 1e-12);
    EXPECT_NEAR(s50.a2, 0.641351538058, 1e-12);
    const auto s20 = butterworth_lowpass2(20, 1000);
    EXPECT_NEAR(s20.b0, 0.003621681515, 1e-12);
    EXPECT_NEAR(s20.a1, -1.822694925196, 1e-12);
    EXPECT_NEAR(s20.a2, 0.837181651256, 1e-12);
}

TEST(Butterworth, CutoffAtOrAboveNyquistLimitIsRefused) {
    EXPECT_THROW(butterworth_lowpass2(450, 1000), std::invalid_argument);
    EXPECT_THROW(butterworth_lowpass2(50, 0), std::invalid_argument);
    EXPECT_THROW(butterworth_lowpass2(-1, 1000), std::invalid_argument);
}

TEST(FiltFilt, SinusoidInteriorGainIsTheSquaredMagnitude) {
    // Oracle 1-A: interior gain 1/(1 + r^4), r = tan(πf/fs)/tan(π·50/fs).
    const auto section = butterworth_lowpass2(50, 1000);
    for (const auto& [f, expected] :
         {std::pair{10.0, 0.998452436582}, std::pair{50.0, 0.5}, std::pair{80.0, 0.126484123881}}) {
        std::vector<double> x(4000);
        for (std::size_t k = 0; k < x.size(); ++k) {
            x[k] = std::sin(2 * std::numbers::pi * f * static_cast<double>(k) / 1000.0);
        }
        const auto y = filtfilt(section, x);
        double worst = 0;
        for (std::size_t k = 1000; k < 3000; ++k) {
            worst = std::max(worst, std::abs(y[k] - expected * x[k]));
        }
        EXPECT_LT(worst, 1e-9) << f << " Hz";
    }
}

TEST(FiltFilt, ConstantComesOutUnchangedEdgesIncluded) {
    const std::vector<double> x(500, 700.0);  // oracle 1-B
    const auto y = filtfilt(butterworth_lowpass2(50, 1000), x);
    for (double v : y) {
        EXPECT_NEAR(v, 700.0, 1e-9);
    }
}

TEST(FiltFilt, MatchesScipyGoldenVectors) {
    // Golden vectors from scripts/golden/processing_filters.py (scipy sosfiltfilt / filtfilt):
    // Butterworth orders 2, 3 and 4, a ramp (edge transient, oracle 1-C), an 11-sample signal and
    // the 50 Hz notch.
    const auto golden = load_golden();
    for (const auto& c : golden["filters"]) {
        const auto x = c["input"].get<std::vector<double>>();
        const auto expected = c["output"].get<std::vector<double>>();
        const auto sections =
            c["kind"] == "butter"
                ? butterworth_lowpass(c["order"].get<int>(), c["cutoff_hz"].get<double>(), 1000.0)
                : std::vector<Biquad>{
                      iir_notch(c["notch_hz"].get<double>(), c["q"].get<double>(), 1000.0)};
        const auto y = filtfilt(sections, x);
        ASSERT_EQ(y.size(), expected.size());
        double worst = 0;
        for (std::size_t k = 0; k < y.size(); ++k) {
            worst = std::max(worst,
                             std::abs(y[k] - expected[k]) / std::max(1.0, std::abs(expected[k])));
        }
        // Issue acceptance: agreement with scipy within 1e-9 relative (relative to max(1 N,
        // |value|)), edges included.
        EXPECT_LT(worst, 1e-9) << c["name"];
        std::cout << c["name"].get<std::string>() << ": worst relative error " << worst << "\n";
    }
}

TEST(Butterworth, HigherOrderTransferFunctionsMatchScipy) {
    // The cascade's polynomial product equals scipy.signal.butter(order, fc, fs=1000) (b, a) to
    // 1e-12: the coefficients are O(1) and the product of ≤ 3 sections adds only a few ulps.
    const auto golden = load_golden();  // a range over a member of a temporary would dangle
    for (const auto& t : golden["butter_transfer"]) {
        const auto sections =
            butterworth_lowpass(t["order"].get<int>(), t["cutoff_hz"].get<double>(), 1000.0);
        std::vector<double> b{1.0}, a{1.0};
        const auto multiply = [](const std::vector<double>& p, const std::vector<double>& q) {
            std::vector<double> r(p.size() + q.size() - 1, 0.0);
            for (std::size_t i = 0; i < p.size(); ++i)
                for (std::size_t j = 0; j < q.size(); ++j)
                    r[i + j] += p[i] * q[j];
            return r;
        };
        for (const auto& s : sections) {
            b = multiply(b, s.b2 == 0 && s.a2 == 0 ? std::vector{s.b0, s.b1}
                                                   : std::vector{s.b0, s.b1, s.b2});
            a = multiply(
                a, s.b2 == 0 && s.a2 == 0 ? std::vector{1.0, s.a1} : std::vector{1.0, s.a1, s.a2});
        }
        const auto eb = t["b"].get<std::vector<double>>();
        const auto ea = t["a"].get<std::vector<double>>();
        ASSERT_EQ(b.size(), eb.size());
        for (std::size_t i = 0; i < b.size(); ++i) {
            EXPECT_NEAR(b[i], eb[i], 1e-12) << "order " << t["order"] << " b" << i;
            EXPECT_NEAR(a[i], ea[i], 1e-12) << "order " << t["order"] << " a" << i;
        }
    }
}

TEST(Notch, CoefficientsAndToneRemovalMatchOracle1G) {
    const auto s = iir_notch(50, 30, 1000);
    EXPECT_NEAR(s.b0, 0.994791237659, 1e-12);
    EXPECT_NEAR(s.b1, -1.892205377859, 1e-12);
    EXPECT_NEAR(s.a2, 0.989582475319, 1e-12);
    // Q = 30 puts the poles at radius 0.9948 (time constant ≈ 190 samples): 20 000 samples leave an
    // interior free of edge transients (0.9948^9000 ≈ 1e-21).
    std::vector<double> x(20000);
    for (std::size_t k = 0; k < x.size(); ++k)
        x[k] = std::sin(2 * std::numbers::pi * 50.0 * static_cast<double>(k) / 1000.0);
    const auto y = filtfilt(s, x);
    double worst = 0;
    for (std::size_t k = 9000; k < 11000; ++k)
        worst = std::max(worst, std::abs(y[k]));
    EXPECT_LT(worst, 1e-6);  // METHODS 1-G: ≤ 1e-6 of the amplitude in the interior
    EXPECT_THROW(iir_notch(500, 30, 1000), std::invalid_argument);
}

TEST(CausalFilter, ConstantHasNoTransientAndTheCutoffGainIsHalfPower) {
    CausalFilter f(butterworth_lowpass(2, 50, 1000));
    f.reset(700.0);
    for (int k = 0; k < 100; ++k)
        EXPECT_NEAR(f.step(700.0), 700.0, 1e-9);
    // One pass at the design cutoff: |H| = 1/√2. After 2 s the start-up transient (pole radius 0.8)
    // is gone.
    f.reset(0.0);
    double in_phase = 0, quadrature = 0;
    for (int k = 0; k < 3000; ++k) {
        const double phase = 2 * std::numbers::pi * 50.0 * k / 1000.0;
        const double y = f.step(std::sin(phase));
        if (k >=
            2000) {  // 50 whole periods: the projection onto sin/cos is exact for a steady sinusoid
            in_phase += y * std::sin(phase) * 2.0 / 1000.0;
            quadrature += y * std::cos(phase) * 2.0 / 1000.0;
        }
    }
    EXPECT_NEAR(std::hypot(in_phase, quadrature), 1.0 / std::sqrt(2.0), 1e-9);
}

TEST(FiltFilt, RefusesTooShortOrNonFiniteInput) {
    const auto s = butterworth_lowpass2(50, 1000);
    EXPECT_THROW(filtfilt(s, std::vector<double>(9, 1.0)), std::invalid_argument);
    EXPECT_NO_THROW(filtfilt(s, std::vector<double>(10, 1.0)));
    EXPECT_THROW(butterworth_lowpass(0, 50, 1000), std::invalid_argument);
    std::vector<double> x(100, 1.0);
    x[50] = std::nan("");
    EXPECT_THROW(filtfilt(s, x), std::invalid_argument);
}

// Windows of a pseudo-random record, the way analyze_trial cuts contact windows: lengths from
// just above the padding to a few thousand samples, more than one group of sixteen, so lanes
// that repeat the group's first input and lanes of unequal length are both exercised.
struct Windows {
    std::vector<double> record;
    std::vector<std::span<const double>> inputs;
    std::vector<std::size_t> keep_from;
    std::vector<std::vector<double>> kept;
    std::vector<std::span<double>> outputs;
};

Windows make_windows(std::size_t count, std::size_t min_length) {
    Windows w;
    std::mt19937_64 rng(20261123);
    std::normal_distribution<double> noise(0.0, 50.0);
    w.record.resize(200000);
    for (std::size_t k = 0; k < w.record.size(); ++k)
        w.record[k] = 800.0 * std::sin(static_cast<double>(k) * 0.003) + noise(rng);
    std::uniform_int_distribution<std::size_t> length_of(min_length, 3000), offset_of(0, 190000);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t length = length_of(rng);
        w.inputs.push_back(std::span<const double>(w.record).subspan(offset_of(rng), length));
        // Kept ranges: the whole window, an empty one, one ending at the last sample, and
        // interior ones.
        std::size_t begin = 0, size = length;
        switch (i % 4) {
            case 0:
                break;
            case 1:
                begin = length / 3, size = 0;
                break;
            case 2:
                begin = length / 2, size = length - length / 2;
                break;
            default:
                begin = length / 5, size = length / 2;
                break;
        }
        w.keep_from.push_back(begin);
        w.kept.emplace_back(size);
    }
    for (auto& k : w.kept)
        w.outputs.emplace_back(k);
    return w;
}

TEST(ZeroPhaseFilterMany, KeptRangesEqualApplyBitForBit) {
    // One section (the 50 Hz peak filter) and a 4th-order cascade (the second section runs from
    // the interleaved buffer, not from the inputs).
    for (const int order : {2, 4}) {
        ZeroPhaseFilter many(butterworth_lowpass(order, 50, 1000));
        ZeroPhaseFilter one(butterworth_lowpass(order, 50, 1000));
        for (const std::size_t count : {std::size_t{1}, std::size_t{16}, std::size_t{37}}) {
            auto w = make_windows(count, many.pad_samples() + 1);
            many.apply_many(w.inputs, w.keep_from, w.outputs);
            for (std::size_t i = 0; i < count; ++i) {
                const auto whole = one.apply(w.inputs[i]);
                ASSERT_EQ(w.kept[i].size(), w.outputs[i].size());
                for (std::size_t k = 0; k < w.kept[i].size(); ++k) {
                    // Same operations in the same order: exact equality, no tolerance.
                    ASSERT_EQ(w.kept[i][k], whole[w.keep_from[i] + k])
                        << "order " << order << ", window " << i << " of " << count
                        << ", kept sample " << k;
                }
            }
        }
    }
}

TEST(ZeroPhaseFilterMany, KeptRangesSharingNoRowAreFilteredToo) {
    // Regression: a 30-sample window kept whole grouped with a 2000-sample window kept from sample
    // 1500. No row is kept by both, and the later kept range starts past the short window's end;
    // the backward sweep used to be asked for a negative (wrapped) number of rows and crashed.
    ZeroPhaseFilter many(butterworth_lowpass(2, 50, 1000));
    ZeroPhaseFilter one(butterworth_lowpass(2, 50, 1000));
    std::vector<double> short_x(30), long_x(2000);
    for (std::size_t k = 0; k < short_x.size(); ++k)
        short_x[k] = static_cast<double>(k * k % 17);
    for (std::size_t k = 0; k < long_x.size(); ++k)
        long_x[k] = 100.0 * std::sin(0.01 * static_cast<double>(k));
    std::vector<double> short_out(30), long_out(400);
    const std::vector<std::span<const double>> inputs{short_x, long_x};
    const std::vector<std::size_t> keep_from{0, 1500};
    const std::vector<std::span<double>> outputs{short_out, long_out};
    many.apply_many(inputs, keep_from, outputs);
    const auto short_whole = one.apply(short_x);
    const auto long_whole = one.apply(long_x);
    for (std::size_t k = 0; k < short_out.size(); ++k)
        ASSERT_EQ(short_out[k], short_whole[k]) << "short window, sample " << k;
    for (std::size_t k = 0; k < long_out.size(); ++k)
        ASSERT_EQ(long_out[k], long_whole[1500 + k]) << "long window, kept sample " << k;
}

TEST(ZeroPhaseFilterMany, WholeSignalsEqualApplyBitForBit) {
    ZeroPhaseFilter many(butterworth_lowpass(2, 50, 1000));
    ZeroPhaseFilter one(butterworth_lowpass(2, 50, 1000));
    auto w = make_windows(21, many.pad_samples() + 1);
    std::vector<std::vector<double>> results;
    std::vector<std::span<double>> outputs;
    for (const auto& input : w.inputs)
        results.emplace_back(input.size());
    for (auto& r : results)
        outputs.emplace_back(r);
    many.apply_many(w.inputs, outputs);
    for (std::size_t i = 0; i < w.inputs.size(); ++i) {
        const auto whole = one.apply(w.inputs[i]);
        for (std::size_t k = 0; k < whole.size(); ++k)
            ASSERT_EQ(results[i][k], whole[k]) << "window " << i << ", sample " << k;
    }
}

TEST(ZeroPhaseFilterMany, RefusesMismatchedCountsShortInputsAndRangesPastTheEnd) {
    ZeroPhaseFilter filter(butterworth_lowpass(2, 50, 1000));
    const std::vector<double> x(100, 1.0), too_short(filter.pad_samples(), 1.0);
    std::vector<double> out(100);
    const std::vector<std::span<const double>> one_input{x}, two_inputs{x, x};
    const std::vector<std::span<double>> one_output{out};
    const std::vector<std::size_t> keep_none{}, keep_zero{0}, keep_two{0, 0};
    EXPECT_THROW(filter.apply_many(two_inputs, keep_two, one_output), std::invalid_argument);
    EXPECT_THROW(filter.apply_many(one_input, keep_none, one_output), std::invalid_argument);
    EXPECT_THROW(filter.apply_many(one_input, keep_two, one_output), std::invalid_argument);
    EXPECT_THROW(filter.apply_many(two_inputs, one_output), std::invalid_argument);

    // Not longer than the padding (10 samples for one section), as apply() refuses it.
    const std::vector<std::span<const double>> short_input{too_short};
    std::vector<double> short_out(too_short.size());
    const std::vector<std::span<double>> short_output{short_out};
    EXPECT_THROW(filter.apply_many(short_input, keep_zero, short_output), std::invalid_argument);
    EXPECT_THROW(filter.apply_many(short_input, short_output), std::invalid_argument);

    // 100 samples kept from sample 1 end one past the last; from 101 starts past it.
    const std::vector<std::size_t> keep_one{1}, keep_past{101};
    EXPECT_THROW(filter.apply_many(one_input, keep_one, one_output), std::invalid_argument);
    std::vector<double> none;
    const std::vector<std::span<double>> empty_output{none};
    EXPECT_THROW(filter.apply_many(one_input, keep_past, empty_output), std::invalid_argument);
    // The limits themselves are accepted: 99 samples from 1, and nothing from the end.
    std::vector<double> last99(99);
    const std::vector<std::span<double>> last99_output{last99};
    EXPECT_NO_THROW(filter.apply_many(one_input, keep_one, last99_output));
    const std::vector<std::size_t> keep_end{100};
    EXPECT_NO_THROW(filter.apply_many(one_input, keep_end, empty_output));
    // Output length differing from the input length (whole-signal overload).
    std::vector<double> out99(99);
    const std::vector<std::span<double>> out99_output{out99};
    EXPECT_THROW(filter.apply_many(one_input, out99_output), std::invalid_argument);
}

TEST(ZeroPhaseFilterMany, RefusesNonFiniteSamplesNamingTheSample) {
    ZeroPhaseFilter filter(butterworth_lowpass(2, 50, 1000));
    // 20 windows (two groups); the bad sample goes into window 17 (second group), at its first
    // sample, inside and at its last sample, which is past the shortest window of its group (a
    // different check path from the samples all lanes share).
    const std::vector<double> bad_values{std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity()};
    for (const double bad : bad_values) {
        for (const std::size_t at : {std::size_t{0}, std::size_t{40}, std::size_t{499}}) {
            std::vector<std::vector<double>> signals;
            for (std::size_t i = 0; i < 20; ++i)
                signals.emplace_back(i == 17 ? 500 : 100 + i, 1.0);
            signals[17][at] = bad;
            std::vector<std::span<const double>> inputs;
            std::vector<std::vector<double>> results;
            std::vector<std::span<double>> outputs;
            std::vector<std::size_t> keep_from;
            for (const auto& s : signals) {
                inputs.emplace_back(s);
                results.emplace_back(s.size());
                keep_from.push_back(0);
            }
            for (auto& r : results)
                outputs.emplace_back(r);
            try {
                filter.apply_many(inputs, keep_from, outputs);
                FAIL() << bad << " at sample " << at << " was accepted";
            } catch (const std::invalid_argument& error) {
                EXPECT_EQ(std::string(error.what()),
                          "zero-phase filter: sample " + std::to_string(at) + " is not finite");
            }
            EXPECT_THROW(filter.apply_many(inputs, outputs), std::invalid_argument);
        }
    }
}

// Stretches of a pseudo-random record with `margin` samples of record on each side, lengths from
// one sample to a few thousand, more than one group of sixteen.
std::vector<ZeroPhaseFilter::Stretch> make_stretches(std::size_t count, std::size_t record_size,
                                                     std::size_t margin) {
    std::mt19937_64 rng(4242);
    std::uniform_int_distribution<std::size_t> length_of(1, 2500);
    std::vector<ZeroPhaseFilter::Stretch> stretches;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t length = i == 0 ? 1 : length_of(rng);
        std::uniform_int_distribution<std::size_t> begin_of(margin, record_size - margin - length);
        const std::size_t begin = begin_of(rng);
        stretches.push_back({begin, begin + length});
    }
    // One stretch touching each end's margin exactly.
    stretches.push_back({margin, margin + 300});
    stretches.push_back({record_size - margin - 300, record_size - margin});
    return stretches;
}

TEST(ZeroPhaseFilterInside, EqualsApplyOnTheWindowsToRounding) {
    // The margins' effect enters through linear maps instead of the recursion: the results differ
    // from apply() on [begin − margin, end + margin) only by rounding. The bound, 1e-13 of the
    // record's largest magnitude, is a few hundred units in the last place: far below any metric's
    // resolution, and far above what a wrong map would give (a missing margin term is ~1e-2).
    const auto w = make_windows(1, 20);
    const double scale = 800.0 + 5 * 50.0;
    // Orders 2, 4 and 6: two, four and six state values (the maps are applied four rows at a
    // time); margins 96, 40 and 41 (not a multiple of four: the maps' last columns on their own).
    for (const int order : {2, 4, 6}) {
        ZeroPhaseFilter inside(butterworth_lowpass(order, 50, 1000));
        ZeroPhaseFilter one(butterworth_lowpass(order, 50, 1000));
        for (const std::size_t margin : {std::size_t{96}, std::size_t{40}, std::size_t{41}}) {
            const auto stretches = make_stretches(37, w.record.size(), margin);
            std::vector<std::vector<double>> results;
            std::vector<std::span<double>> outputs;
            for (const auto& s : stretches)
                results.emplace_back(s.end - s.begin);
            for (auto& r : results)
                outputs.emplace_back(r);
            inside.apply_inside(w.record, margin, stretches, outputs);
            double worst = 0.0;
            for (std::size_t i = 0; i < stretches.size(); ++i) {
                const auto& s = stretches[i];
                const auto whole = one.apply(std::span<const double>(w.record).subspan(
                    s.begin - margin, s.end - s.begin + 2 * margin));
                for (std::size_t k = 0; k < results[i].size(); ++k)
                    worst = std::max(worst, std::abs(results[i][k] - whole[margin + k]) / scale);
            }
            std::cout << "order " << order << ", margin " << margin << ": worst difference "
                      << worst << " of the record's scale\n";
            EXPECT_LT(worst, 1e-13) << "order " << order << ", margin " << margin;
        }
    }
}

TEST(ZeroPhaseFilterInside, InterleavedEqualsApplyInsideBitForBit) {
    // The same groups, left side by side instead of written out: every sample equal, for 1 to 16
    // stretches (lanes past the count are padding), orders 2 and 4, lengths 1 to 2500.
    const auto w = make_windows(1, 20);
    for (const int order : {2, 4}) {
        ZeroPhaseFilter filter(butterworth_lowpass(order, 50, 1000));
        const auto stretches = make_stretches(37, w.record.size(), 96);
        for (const std::size_t count : {std::size_t{1}, std::size_t{5}, std::size_t{16}}) {
            for (std::size_t first = 0; first + count <= stretches.size(); first += 11) {
                const std::span<const ZeroPhaseFilter::Stretch> group(stretches.data() + first,
                                                                      count);
                std::vector<std::vector<double>> results;
                std::vector<std::span<double>> outputs;
                for (const auto& s : group)
                    results.emplace_back(s.end - s.begin);
                for (auto& r : results)
                    outputs.emplace_back(r);
                filter.apply_inside(w.record, 96, group, outputs);
                const auto side_by_side = filter.apply_inside_interleaved(w.record, 96, group);
                std::size_t differing = 0, compared = 0;
                for (std::size_t i = 0; i < count; ++i) {
                    for (std::size_t k = 0; k < results[i].size(); ++k, ++compared)
                        differing += side_by_side.at(k, i) != results[i][k];
                }
                EXPECT_EQ(differing, 0u) << "order " << order << ", " << count << " stretches from "
                                         << first << ", " << compared << " samples";
            }
        }
    }
}

TEST(ZeroPhaseFilterInside, InterleavedRefusesNoneOrMoreThanSixteenStretches) {
    ZeroPhaseFilter filter(butterworth_lowpass(2, 50, 1000));
    const std::vector<double> record(5000, 5.0);
    const std::vector<ZeroPhaseFilter::Stretch> none;
    EXPECT_THROW((void)filter.apply_inside_interleaved(record, 96, none), std::invalid_argument);
    const std::vector<ZeroPhaseFilter::Stretch> seventeen(17, {200, 300});
    EXPECT_THROW((void)filter.apply_inside_interleaved(record, 96, seventeen),
                 std::invalid_argument);
    const std::vector<ZeroPhaseFilter::Stretch> leaving{{50, 150}};
    EXPECT_THROW((void)filter.apply_inside_interleaved(record, 96, leaving), std::invalid_argument);
}

TEST(ZeroPhaseFilterInside, RefusesBadStretchesAndNonFiniteSamplesNamingTheSample) {
    ZeroPhaseFilter filter(butterworth_lowpass(2, 50, 1000));
    std::vector<double> record(1000, 5.0);
    std::vector<double> out(100), out99(99);
    const std::vector<std::span<double>> one_output{out}, short_output{out99};
    const auto refuses = [&](std::size_t margin, ZeroPhaseFilter::Stretch s,
                             const std::vector<std::span<double>>& outputs) {
        const std::vector<ZeroPhaseFilter::Stretch> stretches{s};
        EXPECT_THROW(filter.apply_inside(record, margin, stretches, outputs), std::invalid_argument)
            << "[" << s.begin << ", " << s.end << ") with margin " << margin;
    };
    refuses(filter.pad_samples(), {200, 300}, one_output);  // margin not longer than the pad
    refuses(96, {95, 195}, one_output);                     // margin before leaves the record
    refuses(96, {805, 905}, one_output);                    // margin after leaves the record
    refuses(96, {300, 300}, {std::span<double>()});         // empty
    refuses(96, {300, 400}, short_output);                  // output of the wrong length
    const std::vector<ZeroPhaseFilter::Stretch> two{{300, 400}, {500, 600}};
    EXPECT_THROW(filter.apply_inside(record, 96, two, one_output), std::invalid_argument);
    // The limits themselves are accepted.
    const std::vector<ZeroPhaseFilter::Stretch> edges{{96, 196}};
    EXPECT_NO_THROW(filter.apply_inside(record, 96, edges, one_output));
    const std::vector<ZeroPhaseFilter::Stretch> last{{804, 904}};
    EXPECT_NO_THROW(filter.apply_inside(record, 96, last, one_output));

    // A NaN or an infinity in the margin before, the stretch or the margin after is named.
    const std::vector<ZeroPhaseFilter::Stretch> stretch{{400, 500}};
    for (const std::size_t at : {std::size_t{304}, std::size_t{450}, std::size_t{595}}) {
        for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
            record.assign(1000, 5.0);
            record[at] = bad;
            try {
                filter.apply_inside(record, 96, stretch, one_output);
                FAIL() << bad << " at sample " << at << " was accepted";
            } catch (const std::invalid_argument& error) {
                EXPECT_EQ(std::string(error.what()),
                          "zero-phase filter: sample " + std::to_string(at) + " is not finite");
            }
        }
    }
}

}  // namespace
}  // namespace hoplab::processing
