#pragma once

#include "troupe/http/request_context.hpp"
#include "troupe/social/service.hpp"

namespace troupe::http::routes {

/// Runs `POST /social/api/v1/import` on a streaming route: pulls the body
/// piece by piece, parses its lines, and stores the friendships in batches
/// of `social.import_batch_edges` through the node's importer. One batch
/// is stored while the next is read and parsed; the body is not read
/// further while a full batch waits (backpressure). Answers 200
/// `{"edges","people_created","rejected","rejected_count"}` once every
/// batch is durable; a failed batch or a body over the limit answers the
/// error, naming how many friendships were stored before it. Logs progress
/// every few seconds.
void start_import(request_context& ctx, const social::service& svc);

} // namespace troupe::http::routes
