-- wrk script for bench/run.py's write targets: POSTs the requests of a file in turn (one
-- "PATH<TAB>JSON body" per line, from the line given on: the earlier ones were sent before the
-- load), round and round, and prints the run's figures as bench/report.lua does.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local requests, next_one = {}, 1

init = function(args)
  local offset = tonumber(args[2]) or 0
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if n > offset then
      local path, body = line:match("^([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, nil, body)
    end
  end
  if #requests == 0 then
    error("no requests left in " .. args[1] .. " after line " .. offset)
  end
end

request = function()
  local r = requests[next_one]
  next_one = next_one % #requests + 1
  return r
end
