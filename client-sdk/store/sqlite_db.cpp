#include "client-sdk/store/sqlite_db.hpp"

namespace elmo::sdk::store {

Stmt& Stmt::bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
}

Stmt& Stmt::bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bind(int i, ByteView v) {
    // A zero-length blob must still be a blob, not NULL: bind a non-null pointer.
    static const std::uint8_t empty = 0;
    sqlite3_bind_blob(s_, i, v.empty() ? &empty : v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Result<bool, std::string> Stmt::step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(s_);
    return Err{msg};
}

Result<Unit, std::string> Stmt::run() {
    for (;;) {
        auto r = step();
        if (!r) return Err{r.error()};
        if (!*r) break;
    }
    reset();
    return unit;
}

void Stmt::reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
}

std::string Stmt::text_at(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : "";
}

Bytes Stmt::blob_at(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
    int n = sqlite3_column_bytes(s_, col);
    return p ? Bytes(p, p + n) : Bytes{};
}

Result<std::unique_ptr<Db>, std::string> Db::open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Err{"open " + path + ": " + msg};
    }
    return std::unique_ptr<Db>(new Db(db));
}

Db::~Db() {
    sqlite3_close(db_);
}

Result<Unit, std::string> Db::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        return Err{msg};
    }
    return unit;
}

Result<Stmt, std::string> Db::prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
        return Err{std::string(sqlite3_errmsg(db_))};
    return Stmt(db_, s);
}

}  // namespace elmo::sdk::store
