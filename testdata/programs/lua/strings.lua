-- String building: concatenation, string.format, table.concat, gsub and find.
local n = tonumber(arg and arg[1]) or 20000
local parts = {}
for i = 1, n do
  parts[#parts + 1] = string.format("%d:%s;", i, string.rep(string.char(97 + i % 26), i % 7 + 1))
end
local s = table.concat(parts)
local vowels = select(2, s:gsub("[aeiou]", ""))
local upper = s:upper():sub(1, 40)
local count = 0
for _ in s:gmatch("%d+:") do count = count + 1 end
local acc = ""
for i = 1, n // 10 do acc = acc .. tostring(i % 10) end
print(string.format("len %d, vowels %d, numbers %d, acc %d, %s", #s, vowels, count, #acc, upper))
