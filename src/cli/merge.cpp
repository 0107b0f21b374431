// wipeout merge: joins the shard files of a job array into the file one process would have written.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "options.h"
#include "run_support.h"
#include "wipeout/merge.h"

namespace wipeout::cli {
namespace {

struct MergeArgs {
    std::string output;
    std::vector<std::string> shards;
    bool force = false;
    unsigned threads = 0;
};

void merge_command(const MergeArgs& a) {
    const std::vector<std::filesystem::path> shards(a.shards.begin(), a.shards.end());
    const MergeResult r = merge_shards(a.output, shards, a.force, command_line(), a.threads);
    std::printf("%s: %llu rows from %llu shards, complete\n", a.output.c_str(),
                static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.shards));
}

}  // namespace

void add_merge_command(CLI::App& app) {
    auto args = std::make_shared<MergeArgs>();
    CLI::App* cmd =
        app.add_subcommand("merge", "Join the shard files of a run or sweep (--shard K/N) into one file");
    cmd->add_option("output", args->output, "The merged file")->required();
    cmd->add_option("shards", args->shards, "Every shard file of the run")->required();
    cmd->add_flag("--force", args->force, "Overwrite an existing output");
    add_whole_option(*cmd, "--threads", args->threads, "Worker threads (default: all cores)", 1, kMaxThreads);
    cmd->callback([args] { merge_command(*args); });
}

}  // namespace wipeout::cli
