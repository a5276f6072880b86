#include "troupe/pastebin/service.hpp"

#include <chrono>
#include <random>

#include "troupe/pastebin/front.hpp"
#include "troupe/pastebin/messages.hpp"
#include "troupe/pastebin/shard.hpp"
#include "troupe/pastebin/shortlink.hpp"

namespace troupe::pastebin {

int64_t system_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.match_elements<get_atom, std::string, uint8_t>())
    return msg.get_as<std::string>(1);
  if (msg.match_elements<create_atom, std::string, paste_input, uint32_t>())
    return msg.get_as<std::string>(1);
  if (msg.match_elements<stats_atom, std::string, std::string, uint32_t>() &&
      !msg.get_as<std::string>(2).empty())
    return msg.get_as<std::string>(2);
  return std::nullopt;
}

caf::actor service::route(const std::string& shortlink) const {
  return status ? status->route(shortlink, region) : region;
}

std::string new_shortlink(const paste_input& in,
                          const std::function<uint64_t()>& next_nonce,
                          const runtime::region_status_ptr& status) {
  constexpr int tries = 32;
  std::string link;
  for (int i = 0; i < tries; ++i) {
    link = make_shortlink(in.client, in.created_at, next_nonce());
    if (!status || status->owner_up(link))
      break;
  }
  return link;
}

routed_message service::create(paste_input in) const {
  auto link = new_shortlink(
      in, [this] { return nonce->fetch_add(1); }, status);
  auto dest = route(link);
  return {std::move(dest),
          caf::make_message(create_atom::value, std::move(link), std::move(in),
                            uint32_t{0})};
}

service start(runtime::node& n, clock_fn now) {
  const auto& cfg = n.config();
  runtime::region_spec spec;
  spec.service = "pastebin";
  spec.shards = cfg.pastebin.shards;
  spec.key_of = key_of;
  spec.is_write = [](const caf::message& msg) {
    return msg.size() > 0 && msg.match_element<create_atom>(0);
  };
  spec.shard = [now](caf::event_based_actor* self, runtime::shard_context ctx) {
    return shard_actor(self, std::move(ctx), now);
  };
  service result;
  result.region = n.start_region(std::move(spec));
  result.status = n.regions().back();
  std::random_device rd;
  result.nonce = std::make_shared<std::atomic<uint64_t>>(
      (static_cast<uint64_t>(rd()) << 32) | rd());
  front_settings fs{cfg.pastebin.shards, cfg.http.request_timeout};
  result.front =
      n.system().spawn(front_actor, result.region, fs, result.status);
  n.manage(result.front);
  return result;
}

} // namespace troupe::pastebin
