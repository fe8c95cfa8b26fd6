// The known-nodes file of trust on first use, and the pinned policy's verdicts.
#include "client-sdk/driver/trust_policy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace elmo::client {
namespace {

class TempDir {
  public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("elmo-tofu-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

transport::CertFingerprint fp(std::uint8_t b) {
    transport::CertFingerprint f;
    f.fill(b);
    return f;
}

TEST(TofuStore, MissingFileIsEmptyAndFirstUseIsLearnedAndPersisted) {
    TempDir dir;
    auto store = TofuStore::open(dir.file("known")).value();
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(store->check("127.0.0.1:4223", fp(1)), TofuStore::Verdict::learned);
    EXPECT_EQ(store->check("127.0.0.1:4223", fp(1)), TofuStore::Verdict::known);
    EXPECT_EQ(store->check("127.0.0.1:4223", fp(2)), TofuStore::Verdict::mismatch);
    EXPECT_EQ(store->mismatches(), 1u);
    auto reread = TofuStore::open(dir.file("known")).value();
    EXPECT_EQ(reread->lookup("127.0.0.1:4223"), fp(1));
    EXPECT_FALSE(std::filesystem::exists(dir.file("known.tmp")));
}

TEST(TofuStore, BadLinesAreSkippedAndCounted) {
    TempDir dir;
    {
        std::ofstream out(dir.file("known"));
        out << "# comment\n\n"
            << "10.0.0.1:1 " << transport::fingerprint_hex(fp(3)) << "\n"
            << "10.0.0.2:1 nothex\n"
            << "10.0.0.3:1\n"
            << "10.0.0.4:1 " << transport::fingerprint_hex(fp(4)) << " extra\n";
    }
    auto store = TofuStore::open(dir.file("known")).value();
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->skipped_lines(), 3u);
    EXPECT_EQ(store->lookup("10.0.0.1:1"), fp(3));
}

TEST(TofuStore, FullStoreRefusesNewNodes) {
    TempDir dir;
    auto store = TofuStore::open(dir.file("known"), 2).value();
    EXPECT_EQ(store->check("a:1", fp(1)), TofuStore::Verdict::learned);
    EXPECT_EQ(store->check("b:1", fp(2)), TofuStore::Verdict::learned);
    EXPECT_EQ(store->check("c:1", fp(3)), TofuStore::Verdict::full);
    EXPECT_EQ(store->refused_full(), 1u);
    EXPECT_EQ(store->check("a:1", fp(1)), TofuStore::Verdict::known);
    EXPECT_TRUE(store->forget("a:1"));
    EXPECT_EQ(store->check("c:1", fp(3)), TofuStore::Verdict::learned);
}

TEST(TofuStore, UnwritableFileStillTrustsForThisRunAndSaysWhy) {
    TempDir dir;
    auto store = TofuStore::open(dir.file("no-such-dir/known")).value();
    EXPECT_EQ(store->check("a:1", fp(1)), TofuStore::Verdict::learned);
    EXPECT_EQ(store->write_errors(), 1u);
    EXPECT_FALSE(store->last_write_error().empty());
}

TEST(TofuStore, DirectoryInsteadOfFileIsAnError) {
    TempDir dir;
    std::filesystem::create_directories(dir.file("known"));
    auto store = TofuStore::open(dir.file("known"));
    // The caller hears it instead of trusting every node anew.
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().find("not a regular file"), std::string::npos);
}

TEST(TrustPolicy, PinnedAcceptsOnlyItsFingerprints) {
    auto p = TrustPolicy::pinned({fp(1), fp(2)});
    EXPECT_TRUE(p.verify("h:1", fp(2)).ok());
    auto r = p.verify("h:1", fp(3));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("not pinned"), std::string::npos);
    EXPECT_FALSE(p.verify("h:1", std::nullopt).ok());
    EXPECT_TRUE(TrustPolicy::plain_tcp().verify("h:1", std::nullopt).ok());
}

}  // namespace
}  // namespace elmo::client
