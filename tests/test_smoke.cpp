#include <catch2/catch.hpp>
#include <string>
#include "wipeout/version.h"

TEST_CASE("version is compiled in", "[version]") {
    CHECK(std::string(wipeout::kVersion).find('.') != std::string::npos);
    CHECK(std::string(wipeout::kGitSha).size() >= 7);
}
