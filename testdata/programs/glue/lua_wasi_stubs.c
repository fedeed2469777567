/* wasi-libc has no temporary files: io.tmpfile fails. */
#include <stdio.h>
FILE *tmpfile(void) { return NULL; }
