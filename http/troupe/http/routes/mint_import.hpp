#pragma once

#include "troupe/http/request_context.hpp"
#include "troupe/mint/service.hpp"

namespace troupe::http::routes {

/// Runs `POST /mint/api/v1/transactions/import` on a streaming route: pulls
/// the body piece by piece, validates each tab-separated line `user_id
/// timestamp seller amount`, and sends the valid ones in rounds of
/// `mint.import_batch_lines`, one message per user shard per round (each
/// shard journals its part as one entry). Answers 200
/// `{"imported","rejected":[{"line","reason"}],"rejected_count"}` once every
/// round is durable; a failed round or a body over the limit answers the
/// error, naming how many transactions were stored before it.
void start_mint_import(request_context& ctx, const mint::service& svc);

} // namespace troupe::http::routes
