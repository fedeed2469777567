/* Lua 5.4 for wasm32-wasi without exception handling: errors abort (the
 * benchmark scripts raise none), and no processes or temporary names. */
#include <stdlib.h>
#define LUAI_THROW(L,c)   abort()
#define LUAI_TRY(L,c,a)   { a }
#define luai_jmpbuf       int
#define l_system(cmd)     ((cmd) == NULL ? 0 : -1)
#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b,e)   { (void)(b); e = 1; }
#define l_popen(L,c,m)    ((void)(c), (void)(m), luaL_error(L, "'popen' not supported"), (FILE*)0)
#define l_pclose(L,file)  ((void)(file), -1)
