// A hostile plugin for the server's tests. The task input's "mode" picks
// how it misbehaves; any other mode completes at once. Built at -O1, where
// clang keeps the recursion of "recurse" a recursion: that mode has no
// loop at all, the case wazero's own deadline checks never stop.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("baton"), import_name(name)))

IMPORT("log") void baton_log(int32_t level, const char *msg, int32_t len);
IMPORT("http_fetch") int32_t baton_http_fetch(const char *req, int32_t len);
IMPORT("result_read") int32_t baton_result_read(char *buf, int32_t cap);

__attribute__((export_name("baton_abi_v1"))) void abi_v1(void) {}

__attribute__((export_name("baton_alloc"))) void *alloc(int32_t size) { return malloc(size); }

static char *out;

static int64_t reply(const char *text, size_t len) {
	free(out);
	out = malloc(len);
	memcpy(out, text, len);
	return ((int64_t)(uintptr_t)out << 32) | (int64_t)len;
}

static int64_t reply_str(const char *text) { return reply(text, strlen(text)); }

__attribute__((noinline)) static int64_t expo(int32_t n) {
	if (n <= 0) {
		return 1;
	}
	return expo(n - 1) + expo(n - 2 + (n & 1));
}

static volatile int32_t sink;

static int has(const char *in, int32_t len, const char *mode) {
	char needle[64];
	size_t n = strlen(mode);
	memcpy(needle, "\"mode\":\"", 8);
	memcpy(needle + 8, mode, n);
	needle[8 + n] = '"';
	for (int32_t i = 0; i + (int32_t)n + 9 <= len; i++) {
		if (memcmp(in + i, needle, n + 9) == 0) {
			return 1;
		}
	}
	return 0;
}

__attribute__((export_name("baton_handle"))) int64_t handle(char *in, int32_t len) {
	int64_t r;
	if (has(in, len, "loop")) {
		for (;;) {
			sink++;
		}
	}
	if (has(in, len, "recurse")) {
		sink = (int32_t)expo(200);
	}
	if (has(in, len, "grow")) {
		while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1) {
		}
		__builtin_trap();
	}
	if (has(in, len, "trap")) {
		__builtin_trap();
	}
	if (has(in, len, "big")) {
		size_t n = 4 << 20;
		char *big = malloc(n);
		memset(big, ' ', n);
		memcpy(big, "{\"status\":\"COMPLETED\",\"outputData\":{\"pad\":\"", 44);
		memcpy(big + n - 3, "\"}}", 3);
		r = reply(big, n);
		free(big);
		free(in);
		return r;
	}
	if (has(in, len, "fetch")) {
		static const char req[] = "{\"method\":\"GET\",\"url\":\"http://forbidden.example/\"}";
		int32_t n = baton_http_fetch(req, sizeof req - 1);
		char msg[512];
		int32_t m = baton_result_read(msg, sizeof msg - 1);
		if (m > (int32_t)sizeof msg - 1) {
			m = sizeof msg - 1;
		}
		msg[m] = 0;
		baton_log(2, msg, m);
		free(in);
		if (n != -2) {
			return reply_str("{\"status\":\"COMPLETED\",\"outputData\":{\"fetched\":true}}");
		}
		return reply_str("{\"status\":\"FAILED\",\"reasonForIncompletion\":\"fetch refused\"}");
	}
	free(in);
	return reply_str("{\"status\":\"COMPLETED\",\"outputData\":{\"ok\":true}}");
}
