-- wrk.lua: the request generators of bench/run, chosen by the environment (wrk gives scripts no arguments
-- before init in every version, so bench/run passes everything as variables).
--
--   BENCH_MODE   ids     GET BENCH_PREFIX .. <id>, cycling through the ids in the file BENCH_IDS
--                login   POST form username=BENCH_USER&password=BENCH_PASSWORD
--                create  POST JSON {"username","password","email","role"} with a name unique per request
--   BENCH_TOKEN  when set, sent as "Authorization: Bearer <token>"
--   BENCH_TAG    makes created names unique across runs on one database

local mode = os.getenv("BENCH_MODE") or "plain"
local token = os.getenv("BENCH_TOKEN")
local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

local ids, nids, pos, prefix

function init(args)
	if token ~= nil and token ~= "" then
		wrk.headers["Authorization"] = "Bearer " .. token
	end
	if mode == "ids" then
		ids = {}
		for line in io.lines(os.getenv("BENCH_IDS")) do
			if #line > 0 then table.insert(ids, line) end
		end
		nids = #ids
		pos = ((tid or 1) * 7919) % nids
		prefix = os.getenv("BENCH_PREFIX")
	elseif mode == "login" then
		wrk.method = "POST"
		wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
		wrk.body = "username=" .. os.getenv("BENCH_USER") .. "&password=" .. os.getenv("BENCH_PASSWORD")
	elseif mode == "create" then
		wrk.method = "POST"
		wrk.headers["Content-Type"] = "application/json"
		prefix = "b" .. (os.getenv("BENCH_TAG") or "0") .. "t" .. (tid or 1) .. "n"
	end
end

function request()
	if mode == "ids" then
		pos = pos % nids + 1
		return wrk.format(nil, prefix .. ids[pos])
	elseif mode == "create" then
		counter = counter + 1
		local name = prefix .. counter
		return wrk.format(nil, nil, nil, '{"username":"' .. name .. '","password":"bench-password-1",' ..
			'"email":"' .. name .. '@bench.example.com","role":"viewer"}')
	end
	return wrk.format()
end
