#include "troupe/services.hpp"

#include "troupe/type_ids.hpp"

namespace troupe::services {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::troupe>();
}

} // namespace troupe::services
