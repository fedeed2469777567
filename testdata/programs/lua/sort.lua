-- Sorting a table of pseudo-random numbers with table.sort and a Lua comparator.
local n = tonumber(arg and arg[1]) or 100000
local t, x = {}, 42
for i = 1, n do
  x = (x * 1103515245 + 12345) % 2147483648
  t[i] = x
end
table.sort(t)
table.sort(t, function(a, b) return a % 1000 < b % 1000 or (a % 1000 == b % 1000 and a < b) end)
local sum = 0
for i = 1, n, 97 do sum = (sum + t[i] * i) % 1000000007 end
print(string.format("sorted %d, checksum %d", n, sum))
