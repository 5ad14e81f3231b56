/* memcap.h — the language fuzzer's memory cap (memcap.c). */
#ifndef CGPU_FUZZ_MEMCAP_H
#define CGPU_FUZZ_MEMCAP_H

#include <stddef.h>

extern size_t memcap_one;    /* bytes: largest single allocation */
extern size_t memcap_total;  /* bytes: largest live total */
unsigned long memcap_refused(void); /* allocations refused so far */
long long     memcap_live(void);    /* bytes live now */
void          memcap_cleanup(void); /* removes the scratch file */

#endif
