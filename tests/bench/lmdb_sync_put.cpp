// Measures raw LMDB with ONE synced write transaction per put: the cost that
// group commit exists to avoid. Usage: lmdb_sync_put_bench [count] [dir]
// (default 2000 puts of 100-byte values in a fresh directory under /tmp).
// Prints exactly one line: `lmdb_sync_put puts_per_sec=<n>`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <lmdb.h>

namespace {

int fail(const char* what, int rc) {
  std::fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc));
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  long count = argc > 1 ? std::atol(argv[1]) : 2000;
  if (count <= 0)
    count = 2000;
  std::string dir;
  bool remove_dir = false;
  if (argc > 2) {
    dir = argv[2];
  } else {
    char tmpl[] = "/tmp/lmdb_sync_put.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return EXIT_FAILURE;
    }
    dir = tmpl;
    remove_dir = true;
  }
  std::filesystem::create_directories(dir);
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0)
    return fail("mdb_env_create", rc);
  mdb_env_set_mapsize(env, size_t{1} << 30);
  // No MDB_NOSYNC: every commit is an fsync.
  if ((rc = mdb_env_open(env, dir.c_str(), 0, 0644)) != 0)
    return fail("mdb_env_open", rc);
  MDB_dbi dbi;
  MDB_txn* txn = nullptr;
  if ((rc = mdb_txn_begin(env, nullptr, 0, &txn)) != 0 ||
      (rc = mdb_dbi_open(txn, nullptr, 0, &dbi)) != 0 ||
      (rc = mdb_txn_commit(txn)) != 0)
    return fail("open db", rc);
  std::string value(100, 'v');
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    char key[32];
    int len = std::snprintf(key, sizeof(key), "key-%012ld", i);
    MDB_val k{static_cast<size_t>(len), key};
    MDB_val v{value.size(), value.data()};
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn)) != 0)
      return fail("mdb_txn_begin", rc);
    if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
      mdb_txn_abort(txn);
      return fail("mdb_put", rc);
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
      return fail("mdb_txn_commit", rc);
  }
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  mdb_env_close(env);
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::printf("lmdb_sync_put puts_per_sec=%.0f\n",
              static_cast<double>(count) / elapsed.count());
  return EXIT_SUCCESS;
}
