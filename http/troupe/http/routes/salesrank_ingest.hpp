#pragma once

#include "troupe/http/request_context.hpp"
#include "troupe/salesrank/service.hpp"

namespace troupe::http::routes {

/// Runs `POST /salesrank/api/v1/sales` on a streaming route: pulls the body
/// piece by piece, checks each line against the clock, and sends the
/// accepted sales in rounds of `salesrank.ingest_batch_lines`, one message
/// per category shard per round (each shard journals its part as one
/// entry). One round is stored while the next is read and parsed; the body
/// is not read further while a full round waits. Answers 200
/// `{"accepted","rejected","rejected_count"}` once every round is durable;
/// a failed round or a body over the limit answers the error, naming how
/// many sales were stored before it.
void start_sales_ingest(request_context& ctx, const salesrank::service& svc);

} // namespace troupe::http::routes
