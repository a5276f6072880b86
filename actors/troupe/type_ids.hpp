#pragma once

#include <vector>

#include <caf/type_id.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/pastebin/messages.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/twitter/messages.hpp"

/// The type-ID block of every message type troupe's services send. Each
/// process registers it with `add_message_types<caf::id_block::troupe>()`
/// (see `troupe::services::register_types`); a type missing here compiles
/// but fails at run time when it crosses a node boundary.
CAF_BEGIN_TYPE_ID_BLOCK(troupe, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(troupe, (troupe::pastebin::paste_input))
CAF_ADD_TYPE_ID(troupe, (troupe::pastebin::paste_view))
CAF_ADD_TYPE_ID(troupe, (troupe::pastebin::stats_row))
CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::pastebin::stats_row>))

CAF_ADD_TYPE_ID(troupe, (troupe::cache::cache_stats))

CAF_ADD_TYPE_ID(troupe, (troupe::twitter::tweet))
CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::twitter::tweet>))
CAF_ADD_TYPE_ID(troupe, (troupe::twitter::notification))
CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::twitter::notification>))

CAF_ADD_TYPE_ID(troupe, (std::vector<uint32_t>))
CAF_ADD_TYPE_ID(troupe, (std::vector<std::string>))
CAF_ADD_TYPE_ID(troupe, (troupe::social::person_view))
CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::social::person_view>))

CAF_END_TYPE_ID_BLOCK(troupe)
