-- wrk script: every request creates a new paste with 1 KB of contents.
-- Usage: wrk -s tests/bench/post_paste.lua http://HOST:PORT/pastebin/api/v1/paste
-- PASTE_BYTES (environment) overrides the contents size (default 1024).
local size = tonumber(os.getenv("PASTE_BYTES") or "") or 1024

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"paste_contents":"' .. string.rep("a", size) .. '"}'
