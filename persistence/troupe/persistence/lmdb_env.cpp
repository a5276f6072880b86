#include "troupe/persistence/lmdb_env.hpp"

#include <filesystem>
#include <system_error>

#include "troupe/log.hpp"

namespace troupe::persistence {

namespace {

MDB_val to_val(std::string_view x) {
  MDB_val result;
  result.mv_size = x.size();
  // LMDB never writes through the pointer of a key or value it is given.
  result.mv_data = const_cast<char*>(x.data());
  return result;
}

std::string_view from_val(const MDB_val& x) {
  return {static_cast<const char*>(x.mv_data), x.mv_size};
}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS)
    throw lmdb_error(what, rc);
}

/// Closes a cursor on scope exit.
class cursor_guard {
public:
  cursor_guard(MDB_txn* txn, MDB_dbi dbi) {
    check(mdb_cursor_open(txn, dbi, &cur_), "mdb_cursor_open");
  }
  ~cursor_guard() { mdb_cursor_close(cur_); }
  cursor_guard(const cursor_guard&) = delete;
  cursor_guard& operator=(const cursor_guard&) = delete;
  MDB_cursor* get() const { return cur_; }

private:
  MDB_cursor* cur_ = nullptr;
};

} // namespace

// -- lmdb_error ---------------------------------------------------------------

lmdb_error::lmdb_error(const std::string& what, int code)
    : std::runtime_error(what + ": " + mdb_strerror(code)), code_(code) {
  // nop
}

// -- lmdb_env -----------------------------------------------------------------

lmdb_env::lmdb_env(const std::string& dir, uint64_t map_size_mb,
                   config::durability level)
    : dir_(dir), level_(level) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw lmdb_error("cannot create " + dir, ec.value());
  check(mdb_env_create(&env_), "mdb_env_create");
  unsigned flags = MDB_NOTLS;
  if (level != config::durability::sync)
    flags |= MDB_NOSYNC;
  int rc = mdb_env_set_mapsize(env_, static_cast<size_t>(map_size_mb) << 20);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_set_maxdbs(env_, max_dbs);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_open(env_, dir.c_str(), flags, 0644);
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw lmdb_error("mdb_env_open " + dir, rc);
  }
  log::info("persistence", "opened LMDB environment ", dir,
            " map_size_mb=", map_size_mb,
            " durability=", config::to_string(level));
}

lmdb_env::~lmdb_env() {
  if (env_ != nullptr)
    mdb_env_close(env_);
}

void lmdb_env::sync() {
  check(mdb_env_sync(env_, 1), "mdb_env_sync");
}

uint64_t lmdb_env::used_bytes() const {
  MDB_envinfo info;
  MDB_stat st;
  check(mdb_env_info(env_, &info), "mdb_env_info");
  check(mdb_env_stat(env_, &st), "mdb_env_stat");
  return (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
}

MDB_dbi lmdb_env::open_db(const std::string& name) {
  // LMDB forbids opening handles from concurrent transactions; the mutex
  // serializes callers and the cache makes repeated calls free.
  std::lock_guard<std::mutex> guard{dbs_mtx_};
  if (auto i = dbs_.find(name); i != dbs_.end())
    return i->second;
  lmdb_txn txn{*this, lmdb_txn::mode::write};
  MDB_dbi dbi;
  check(mdb_dbi_open(txn.native_handle(), name.c_str(), MDB_CREATE, &dbi),
        "mdb_dbi_open");
  txn.commit();
  dbs_.emplace(name, dbi);
  return dbi;
}

size_t lmdb_env::max_key_size() const {
  return static_cast<size_t>(mdb_env_get_maxkeysize(env_));
}

// -- lmdb_txn -----------------------------------------------------------------

lmdb_txn::lmdb_txn(lmdb_env& env, mode m) : mode_(m) {
  unsigned flags = m == mode::read ? MDB_RDONLY : 0u;
  check(mdb_txn_begin(env.native_handle(), nullptr, flags, &txn_),
        "mdb_txn_begin");
}

lmdb_txn::~lmdb_txn() {
  abort();
}

lmdb_txn::lmdb_txn(lmdb_txn&& other) noexcept
    : txn_(other.txn_), mode_(other.mode_) {
  other.txn_ = nullptr;
}

void lmdb_txn::check_active(const char* op) const {
  if (txn_ == nullptr)
    throw lmdb_error(std::string{op} + " on an inactive transaction", EINVAL);
}

std::optional<std::string_view> lmdb_txn::get_view(MDB_dbi dbi,
                                                   std::string_view key) const {
  check_active("get");
  MDB_val k = to_val(key);
  MDB_val v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::nullopt;
  check(rc, "mdb_get");
  return from_val(v);
}

std::optional<std::string> lmdb_txn::get(MDB_dbi dbi,
                                         std::string_view key) const {
  if (auto view = get_view(dbi, key))
    return std::string{*view};
  return std::nullopt;
}

void lmdb_txn::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  check_active("put");
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  check(mdb_put(txn_, dbi, &k, &v, 0), "mdb_put");
}

bool lmdb_txn::del(MDB_dbi dbi, std::string_view key) {
  check_active("del");
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return false;
  check(rc, "mdb_del");
  return true;
}

size_t lmdb_txn::for_each(MDB_dbi dbi, std::string_view prefix,
                          const visitor& fn, std::string_view from) const {
  check_active("for_each");
  cursor_guard cur{txn_, dbi};
  std::string_view start = from < prefix ? prefix : from;
  MDB_val k = to_val(start);
  MDB_val v;
  // MDB_SET_RANGE rejects an empty key, so start from the first record.
  int rc = start.empty() ? mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST)
                         : mdb_cursor_get(cur.get(), &k, &v, MDB_SET_RANGE);
  size_t visited = 0;
  while (rc == MDB_SUCCESS) {
    auto key = from_val(k);
    if (key.substr(0, prefix.size()) != prefix)
      return visited;
    ++visited;
    if (!fn(key, from_val(v)))
      return visited;
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND)
    check(rc, "mdb_cursor_get");
  return visited;
}

void lmdb_txn::commit() {
  check_active("commit");
  MDB_txn* txn = txn_;
  txn_ = nullptr;
  // mdb_txn_commit frees the transaction even when it fails.
  check(mdb_txn_commit(txn), "mdb_txn_commit");
}

void lmdb_txn::abort() noexcept {
  if (txn_ != nullptr) {
    mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
}

} // namespace troupe::persistence
