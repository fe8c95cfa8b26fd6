#include "node/daemon/identity.hpp"

#include <fcntl.h>
#include <opendht/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace elmo::daemon {
namespace {

constexpr const char* key_file = "node.key";
constexpr const char* cert_file = "node.crt";

Result<std::string, std::string> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return Err{p.string() + ": cannot read"};
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return s;
}

// Writes through a temporary file, fsynced and renamed, so a crash never leaves half a key.
Result<Unit, std::string> write_file(const std::filesystem::path& p, const std::string& data,
                                     mode_t mode) {
    const std::filesystem::path tmp = p.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return Err{tmp.string() + ": " + std::strerror(errno)};
    ::fchmod(fd, mode);  // the umask must not widen or narrow what we ask for
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string e = std::strerror(errno);
            ::close(fd);
            return Err{tmp.string() + ": " + e};
        }
        done += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) return Err{tmp.string() + ": fsync failed"};
    std::error_code ec;
    std::filesystem::rename(tmp, p, ec);
    if (ec) return Err{p.string() + ": " + ec.message()};
    const int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return unit;
}

NodeId id_of(const dht::crypto::Certificate& cert) {
    NodeId id{};
    const dht::InfoHash& h = cert.getId();
    std::memcpy(id.data(), h.data(), id.size());
    return id;
}

}  // namespace

Result<NodeIdentityFiles, std::string> load_or_create_identity(const std::filesystem::path& dir) {
    const auto key_path = dir / key_file;
    const auto cert_path = dir / cert_file;
    NodeIdentityFiles out;
    // OpenDHT reports bad keys and certificates by exceptions: kept inside this function.
    try {
        std::shared_ptr<dht::crypto::PrivateKey> key;
        if (std::filesystem::exists(key_path)) {
            auto pem = read_file(key_path);
            if (!pem) return Err{pem.error()};
            key = std::make_shared<dht::crypto::PrivateKey>(std::string_view{*pem});
            out.private_key_pem = std::move(*pem);
        } else {
            if (std::filesystem::exists(cert_path))
                return Err{cert_path.string() + " exists without " + key_path.string() +
                           ": refusing to make a new identity over it"};
            // An EC key: generated in milliseconds (RSA-4096 takes seconds) and TLS-capable.
            key = std::make_shared<dht::crypto::PrivateKey>(dht::crypto::PrivateKey::generateEC());
            const dht::Blob blob = key->serialize();
            out.private_key_pem.assign(blob.begin(), blob.end());
            auto w = write_file(key_path, out.private_key_pem, 0600);
            if (!w) return Err{w.error()};
            out.created = true;
        }
        if (std::filesystem::exists(cert_path)) {
            auto pem = read_file(cert_path);
            if (!pem) return Err{pem.error()};
            const dht::crypto::Certificate cert{std::string_view(*pem)};
            if (cert.getId() != key->getPublicKey().getId())
                return Err{cert_path.string() + " does not belong to " + key_path.string()};
            out.id = id_of(cert);
            out.certificate_pem = std::move(*pem);
        } else {
            const auto cert = dht::crypto::Certificate::generate(*key, "elmod");
            out.certificate_pem = cert.toString(false);
            out.id = id_of(cert);
            auto w = write_file(cert_path, out.certificate_pem, 0644);
            if (!w) return Err{w.error()};
        }
    } catch (const std::exception& e) {
        return Err{"identity in " + dir.string() + ": " + e.what()};
    }
    return out;
}

}  // namespace elmo::daemon
