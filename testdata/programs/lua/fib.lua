-- Recursive Fibonacci: calls and integer arithmetic in the Lua VM.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
local n = tonumber(arg and arg[1]) or 27
print(string.format("fib(%d) = %d", n, fib(n)))
