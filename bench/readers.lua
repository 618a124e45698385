-- Feed readers that differ as real ones do: each request carries a User-Agent of its own
-- (one of 10,000), and, when an ETag is given as the first argument, If-None-Match with it.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  etag = args[1]
  reader = id * 100000
end

function request()
  reader = reader + 1
  local headers = {["User-Agent"] = "FeedReader/" .. (reader % 10000) .. " (+https://reader.example/)"}
  if etag ~= nil and etag ~= "" then
    headers["If-None-Match"] = etag
  end
  return wrk.format("GET", nil, headers)
end
