#pragma once

#include <string>

namespace troupe_e2e {

/// A throwaway CA (`ca.pem`) and a server certificate for IP 127.0.0.1
/// signed by it (`server.pem`, key `server.key`), valid for two days, made
/// with the `openssl` CLI in `dir`. Returns "" on success, else what failed
/// (with openssl's output).
std::string make_certificates(const std::string& dir);

} // namespace troupe_e2e
