// A plugin that imports a function from "env", which no Baton host
// provides: its upload is refused.
#include <stdint.h>

extern int32_t sneaky(int32_t);

__attribute__((export_name("baton_abi_v1"))) void abi_v1(void) {}

static char buf[256];

__attribute__((export_name("baton_alloc"))) void *alloc(int32_t size) { return size <= 256 ? buf : 0; }

__attribute__((export_name("baton_handle"))) int64_t handle(char *in, int32_t len) { return sneaky(len); }
