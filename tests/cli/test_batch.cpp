// `hoplab analyze` over folders and globs, with --jobs and --table (issue #7 item 4).
#include <hoplab/cli/batch_analysis.hpp>
#include <hoplab/cli/child_process.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <fstream>
#include <sstream>

namespace hoplab::cli {
namespace {

struct Run {
    int exit_code;
    std::string err;
};

Run hoplab(const std::vector<std::string>& arguments, const std::filesystem::path& dir) {
    const auto err_path = dir / "stderr.txt";
    ChildProcess process({HOPLAB_PATH, arguments, err_path, false, false, {}});
    const auto code = process.wait(std::chrono::seconds(120));
    std::ifstream in(err_path);
    return Run{code.value_or(-1), std::string(std::istreambuf_iterator<char>(in), {})};
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string fmt_name(std::size_t k) {
    std::string name = "r";  // not "r" + std::string&&: GCC 12's -Wrestrict false positive
    name += std::to_string(k);
    name += ".h5";
    return name;
}

// Four simulated recordings (two protocols, both limbs) and one CSV that cannot be read.
std::filesystem::path make_folder(const std::string& name) {
    const auto dir = testing::fresh_directory(name);
    std::filesystem::create_directories(dir / "data");
    const std::vector<std::vector<std::string>> plans = {
        {"--protocol", "repeated-hops", "--limb", "left", "--seed", "1"},
        {"--protocol", "repeated-hops", "--limb", "right", "--seed", "2"},
        {"--protocol", "cmj", "--limb", "both", "--seed", "3"},
        {"--protocol", "drop-jump", "--limb", "left", "--seed", "4"}};
    for (std::size_t k = 0; k < plans.size(); ++k) {
        auto arguments = plans[k];
        arguments.insert(arguments.begin(), "simulate");
        arguments.push_back("--out");
        arguments.push_back((dir / "data" / fmt_name(k)).string());
        EXPECT_EQ(hoplab(arguments, dir).exit_code, 0);
    }
    std::ofstream(dir / "data" / "broken.csv") << "# protocol: cmj\ntime_s,fz\n0,700\n0.001,x\n";
    std::ofstream(dir / "data" / "notes.md") << "not a recording\n";
    return dir;
}

TEST(Batch, FolderAndGlobExpandToSortedForceFiles) {
    const auto dir = testing::fresh_directory("batch-expand");
    for (const char* name : {"b.h5", "a.csv", "c.txt", "d.png"}) {
        std::ofstream(dir / name) << "x";
    }
    const auto from_folder = expand_batch_inputs({dir.string()});
    ASSERT_EQ(from_folder.size(), 3u);
    EXPECT_EQ(from_folder[0].filename(), "a.csv");
    EXPECT_EQ(from_folder[1].filename(), "b.h5");
    EXPECT_EQ(from_folder[2].filename(), "c.txt");
    const auto from_glob = expand_batch_inputs({(dir / "*.h5").string(), (dir / "b.h5").string()});
    ASSERT_EQ(from_glob.size(), 1u);  // the duplicate is removed
    EXPECT_THROW(expand_batch_inputs({(dir / "*.c3d").string()}), std::runtime_error);
    std::filesystem::create_directories(dir / "empty");
    EXPECT_THROW(expand_batch_inputs({(dir / "empty").string()}), std::runtime_error);
}

TEST(Batch, JobsTwoGivesTheSameTableAsOneProcessAndNamesTheBrokenFile) {
    const auto dir = make_folder("batch-jobs");
    const auto one =
        hoplab({"analyze", (dir / "data").string(), "--table", (dir / "one.csv").string()}, dir);
    EXPECT_EQ(one.exit_code, 1);  // broken.csv failed, the others were still analysed
    EXPECT_NE(one.err.find("broken.csv:4"), std::string::npos) << one.err;
    EXPECT_NE(one.err.find("5 files, 4 trials analysed, 1 files failed"), std::string::npos)
        << one.err;
    const auto two = hoplab({"analyze", (dir / "data" / "*").string(), "--jobs", "2", "--table",
                             (dir / "two.csv").string()},
                            dir);
    EXPECT_EQ(two.exit_code, 1);
    EXPECT_EQ(read_text(dir / "one.csv"), read_text(dir / "two.csv"));

    // The JSON table carries the same metrics, at full precision, as the in-process analysis.
    ASSERT_EQ(hoplab({"analyze", (dir / "data").string(), "--jobs", "2", "--table",
                      (dir / "rows.json").string()},
                     dir)
                  .exit_code,
              1);
    const auto rows = nlohmann::json::parse(read_text(dir / "rows.json"));
    ASSERT_EQ(rows.size(), 4u);
    for (const auto& row : rows) {
        const std::filesystem::path file = row["file"].get<std::string>();
        const auto expected = batch_rows(file, LoadOptions{});
        ASSERT_EQ(expected.size(), 1u);
        EXPECT_EQ(row["athlete"], "simulated-athlete");
        EXPECT_EQ(row["protocol"], expected.front()["protocol"]);
        EXPECT_EQ(row["limb"], expected.front()["limb"]);
        EXPECT_EQ(row["summary.contacts"], expected.front()["summary.contacts"]);
        EXPECT_EQ(row["summary.mean_jump_height_m"],
                  expected.front()["summary.mean_jump_height_m"]);
        EXPECT_EQ(row["provenance.events.method"], expected.front()["provenance.events.method"]);
    }
    EXPECT_EQ(rows[2]["protocol"], "cmj");  // input order: r0 r1 r2 r3
    EXPECT_GE(rows[0]["summary.contacts"].get<int>(), 5);
}

// The scaling-out example (docs/interchange.md): two shards, as two Slurm array tasks would run
// them, merged into the same rows as one `hoplab analyze` of the folder.
TEST(Batch, ScalingOutExampleMergesShardsIntoTheSameRows) {
    const auto dir = make_folder("batch-example");
    std::filesystem::remove(dir / "data" / "broken.csv");
    const auto table = dir / "merged.json";
    const auto log = dir / "example.txt";
    ChildProcess script({"/bin/bash",
                         {std::string(HOPLAB_EXAMPLES_DIR) + "/analyze_many.sh", "local",
                          (dir / "data").string(), table.string(), "2"},
                         log,
                         false,
                         false,
                         {{"HOPLAB", HOPLAB_PATH}}});
    ASSERT_EQ(script.wait(std::chrono::seconds(120)), 0) << read_text(log);
    ASSERT_EQ(
        hoplab({"analyze", (dir / "data").string(), "--table", (dir / "one.json").string()}, dir)
            .exit_code,
        0);
    const auto merged = nlohmann::json::parse(read_text(table));
    const auto one = nlohmann::json::parse(read_text(dir / "one.json"));
    ASSERT_EQ(merged.size(), 4u);
    EXPECT_EQ(merged, one);
}

// Same settings → the same summary as stored (same code, same samples: exact); a minimum flight
// longer than every simulated flight (about 0.35 s) → no flight, so no jump height; both runs kept.
TEST(Reanalyze, KeepsTheStoredAndEveryNewVersionWithItsSettings) {
    const auto dir = testing::fresh_directory("reanalyze");
    const auto file = dir / "s.h5";
    ASSERT_EQ(hoplab({"simulate", "--protocol", "repeated-hops", "--limb", "left", "--out",
                      file.string()},
                     dir)
                  .exit_code,
              0);
    ASSERT_EQ(hoplab({"reanalyze", file.string()}, dir).exit_code, 0);
    const auto second = hoplab({"reanalyze", file.string(), "--min-flight", "0.5"}, dir);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    const auto history = nlohmann::json::parse(read_text(dir / "s.h5.reanalysis.json"));
    const auto& versions = history["versions"];
    ASSERT_EQ(versions.size(), 3u);
    EXPECT_EQ(versions[0]["origin"], "stored in the recording");
    const auto& stored = versions[0]["trials"]["trial-001"];
    const auto& same = versions[1]["trials"]["trial-001"];
    const auto& longer = versions[2]["trials"]["trial-001"];
    EXPECT_EQ(stored["summary"], same["summary"]);
    EXPECT_GT(stored["summary"]["mean_jump_height_m"].get<double>(), 0.1);
    EXPECT_TRUE(longer["summary"]["mean_jump_height_m"].is_null());
    EXPECT_EQ(longer["provenance"]["events"]["min_flight_s"], 0.5);
}

TEST(Reanalyze, RefusesAHistoryOfAnotherRecording) {
    const auto dir = testing::fresh_directory("reanalyze-other");
    const auto file = dir / "s.h5";
    ASSERT_EQ(
        hoplab({"simulate", "--protocol", "cmj", "--limb", "both", "--out", file.string()}, dir)
            .exit_code,
        0);
    std::ofstream(dir / "other.json") << R"({"recording": "other.h5", "versions": []})";
    const auto run =
        hoplab({"reanalyze", file.string(), "--out", (dir / "other.json").string()}, dir);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("not the reanalysis history of"), std::string::npos) << run.err;
}

TEST(Batch, TableMustBeCsvOrJson) {
    EXPECT_THROW(write_batch_table({}, "table.xlsx"), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::cli
