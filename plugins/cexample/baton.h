/*
 * baton.h: the host functions of Baton's plugin ABI, version 1, for C.
 *
 * A plugin is a WebAssembly reactor that exports memory, baton_abi_v1,
 * baton_alloc and baton_handle (see wasm/doc.go and plugins/README.md) and
 * may import these functions of the module "baton". Build with:
 *
 *   clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *     -Wl,--strip-all -o plugin.wasm plugin.c
 *
 * Functions that return bytes stage them in the host and return their
 * length n >= 0; copy them with baton_result_read. -1 means absent, -2
 * failed: the error message is staged instead.
 */
#ifndef BATON_H
#define BATON_H

#include <stdint.h>

#define BATON_IMPORT(name) __attribute__((import_module("baton"), import_name(name)))
#define BATON_EXPORT(name) __attribute__((export_name(name)))

/* Log levels of baton_log. */
enum { BATON_DEBUG = 0, BATON_INFO = 1, BATON_WARN = 2, BATON_ERROR = 3 };

/* Return values of the functions that stage bytes. */
enum { BATON_ABSENT = -1, BATON_FAILED = -2 };

/* Appends "LEVEL message" to the task's execution log (64 KiB per task). */
BATON_IMPORT("log") void baton_log(int32_t level, const char *msg, int32_t len);
/* The manifest's config[key]: n, or BATON_ABSENT. */
BATON_IMPORT("config_get") int32_t baton_config_get(const char *key, int32_t key_len);
/* The secret key (declared in the manifest's secrets, set as
 * BATON_SECRET_<KEY> where the plugin runs): n, BATON_ABSENT if unset,
 * BATON_FAILED if not declared. */
BATON_IMPORT("secret_get") int32_t baton_secret_get(const char *key, int32_t key_len);
/* An HTTP request as JSON {"method","url","headers","body"|"bodyBase64"} to
 * a host of the manifest's allowedHosts; stages the response JSON
 * {"status","headers","bodyBase64"}: n, or BATON_FAILED with the reason. */
BATON_IMPORT("http_fetch") int32_t baton_http_fetch(const char *req, int32_t req_len);
/* The plugin's key-value store: kv_get stages the value (n, BATON_ABSENT,
 * BATON_FAILED); kv_put and kv_delete return 0 or BATON_FAILED. */
BATON_IMPORT("kv_get") int32_t baton_kv_get(const char *key, int32_t key_len);
BATON_IMPORT("kv_put") int32_t baton_kv_put(const char *key, int32_t key_len, const char *val, int32_t val_len);
BATON_IMPORT("kv_delete") int32_t baton_kv_delete(const char *key, int32_t key_len);
/* A JSON object: keeps the task's lease alive and logs it. 0 or BATON_FAILED. */
BATON_IMPORT("progress") int32_t baton_progress(const char *json, int32_t len);
/* Copies min(cap, n) bytes of the staged result to buf; returns n. */
BATON_IMPORT("result_read") int32_t baton_result_read(char *buf, int32_t cap);

/* The value baton_handle returns: the output's address and length. With
 * BATON_ERROR_FLAG in len, the output is an error message that fails the
 * task, not a TaskResult. */
#define BATON_ERROR_FLAG 0x80000000u

static inline int64_t baton_output(const void *ptr, uint32_t len) {
	return (int64_t)(((uint64_t)(uintptr_t)ptr << 32) | len);
}

#endif
