#include "troupe/runtime/shard_config.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace troupe::runtime {

namespace {

/// Parses a whole decimal number; false on anything else.
template <class Int>
bool parse_number(std::string_view text, Int& out) {
  auto last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), last, out);
  return ec == std::errc{} && ptr == last && !text.empty();
}

} // namespace

bool shard_config::has_replica(std::string_view name) const {
  return std::find(replicas.begin(), replicas.end(), name) != replicas.end();
}

std::vector<std::string> shard_config::backups() const {
  std::vector<std::string> out;
  for (const auto& name : replicas)
    if (name != primary)
      out.push_back(name);
  return out;
}

std::string shard_config::encode() const {
  nlohmann::json j{{"epoch", epoch},
                   {"primary", primary},
                   {"lease", lease},
                   {"replicas", replicas}};
  return j.dump();
}

std::optional<shard_config> shard_config::decode(std::string_view json,
                                                 int64_t revision,
                                                 std::string* why) {
  auto fail = [why](const char* what) -> std::optional<shard_config> {
    if (why != nullptr)
      *why = what;
    return std::nullopt;
  };
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object())
    return fail("not a JSON object");
  auto epoch = j.find("epoch");
  auto primary = j.find("primary");
  auto lease = j.find("lease");
  auto replicas = j.find("replicas");
  if (epoch == j.end() || !epoch->is_number_unsigned())
    return fail("\"epoch\" must be an unsigned integer");
  if (primary == j.end() || !primary->is_string() ||
      primary->get_ref<const std::string&>().empty())
    return fail("\"primary\" must be a non-empty string");
  if (lease == j.end() || !lease->is_number_integer())
    return fail("\"lease\" must be an integer");
  if (replicas == j.end() || !replicas->is_array())
    return fail("\"replicas\" must be an array");
  shard_config cfg;
  cfg.epoch = epoch->get<uint64_t>();
  cfg.primary = primary->get<std::string>();
  cfg.lease = lease->get<int64_t>();
  cfg.revision = revision;
  for (const auto& r : *replicas) {
    if (!r.is_string())
      return fail("\"replicas\" must hold strings");
    cfg.replicas.push_back(r.get<std::string>());
  }
  if (!cfg.has_replica(cfg.primary))
    return fail("the primary must be one of the replicas");
  return cfg;
}

shard_config shard_config::initial(const std::string& node, int64_t lease,
                                   uint64_t epoch) {
  shard_config cfg;
  cfg.epoch = epoch;
  cfg.primary = node;
  cfg.lease = lease;
  cfg.replicas = {node};
  return cfg;
}

shard_config shard_config::with_replica(const std::string& node) const {
  auto next = *this;
  ++next.epoch;
  next.revision = 0;
  if (!next.has_replica(node))
    next.replicas.push_back(node);
  return next;
}

shard_config shard_config::without_replica(const std::string& node) const {
  auto next = *this;
  ++next.epoch;
  next.revision = 0;
  next.replicas.erase(
      std::remove(next.replicas.begin(), next.replicas.end(), node),
      next.replicas.end());
  return next;
}

shard_config shard_config::handed_to(const std::string& node,
                                     int64_t node_lease) const {
  auto next = with_replica(node);
  next.primary = node;
  next.lease = node_lease;
  // The primary first, the others in their order.
  std::stable_partition(next.replicas.begin(), next.replicas.end(),
                        [&](const std::string& r) { return r == node; });
  return next;
}

shard_config shard_config::renewed(int64_t new_lease) const {
  auto next = *this;
  ++next.epoch;
  next.revision = 0;
  next.lease = new_lease;
  return next;
}

shard_config shard_config::elected(const std::string& node,
                                   int64_t node_lease) const {
  auto next = *this;
  ++next.epoch;
  next.revision = 0;
  next.primary = node;
  next.lease = node_lease;
  next.replicas = {node};
  return next;
}

etcd_keys::etcd_keys(std::string prefix, const std::string& cluster) {
  auto root = std::move(prefix) + "/" + cluster + "/";
  members_ = root + "members/";
  shards_ = root + "shards/";
  config_ = root + "config";
}

std::string etcd_keys::member(std::string_view node, int64_t lease) const {
  return members_ + std::string{node} + "/" + std::to_string(lease);
}

std::string etcd_keys::shard(std::string_view service, uint16_t idx) const {
  return shards_ + std::string{service} + "/" + std::to_string(idx);
}

bool etcd_keys::parse_member(std::string_view key, std::string& node,
                             int64_t& lease) const {
  if (key.substr(0, members_.size()) != members_)
    return false;
  key.remove_prefix(members_.size());
  auto slash = key.rfind('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  node = std::string{key.substr(0, slash)};
  return parse_number(key.substr(slash + 1), lease);
}

bool etcd_keys::parse_shard(std::string_view key, std::string& service,
                            uint16_t& idx) const {
  if (key.substr(0, shards_.size()) != shards_)
    return false;
  key.remove_prefix(shards_.size());
  auto slash = key.rfind('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  service = std::string{key.substr(0, slash)};
  return parse_number(key.substr(slash + 1), idx);
}

} // namespace troupe::runtime
