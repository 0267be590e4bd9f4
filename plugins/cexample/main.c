/*
 * cexample: a Baton plugin in C, written against the ABI by hand to show
 * that it is language-neutral. It upper-cases the input string `text`:
 * {"text": "hello"} -> {"upper": "HELLO"}. ASCII letters are changed; other
 * characters and JSON escapes are copied as they are.
 *
 * The input JSON is scanned, not parsed into a tree: the scanner finds
 * task.inputData.text and copies the string. Good enough for an example; a
 * real C plugin would use a JSON library.
 */
#include <stdlib.h>
#include <string.h>

#include "baton.h"

/* The ABI marker: never called. */
BATON_EXPORT("baton_abi_v1") void baton_abi_v1(void) {}

/* The host writes each task's input into memory allocated here; it is ours
 * from then on (baton_handle frees it). */
BATON_EXPORT("baton_alloc") void *baton_alloc(int32_t size) {
	return malloc(size > 0 ? (size_t)size : 1);
}

/* The last output, valid until the next call. */
static char *out;

static const char *ws(const char *p, const char *end) {
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p is at '"': returns the position after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end) {
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Returns the position after the value at p, or NULL if it is cut short. */
static const char *skip_value(const char *p, const char *end) {
	p = ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (p < end) {
			if (*p == '"') {
				if (!(p = skip_string(p, end)))
					return NULL;
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
		p++;
	return p;
}

/* obj is at '{': returns the start of the value of key, or NULL. */
static const char *member(const char *obj, const char *end, const char *key) {
	size_t klen = strlen(key);
	const char *p = obj ? ws(obj, end) : NULL;
	if (!p || p >= end || *p != '{')
		return NULL;
	for (p++;;) {
		p = ws(p, end);
		if (p >= end || *p != '"')
			return NULL;
		const char *name = p + 1, *after = skip_string(p, end);
		if (!after)
			return NULL;
		p = ws(after, end);
		if (p >= end || *p != ':')
			return NULL;
		p = ws(p + 1, end);
		if ((size_t)(after - 1 - name) == klen && memcmp(name, key, klen) == 0)
			return p;
		if (!(p = skip_value(p, end)))
			return NULL;
		p = ws(p, end);
		if (p >= end || *p != ',')
			return NULL;
		p++;
	}
}

static int64_t result(const char *json) {
	free(out);
	out = strdup(json);
	if (!out) {
		static const char oom[] = "cexample: out of memory";
		return baton_output(oom, (sizeof oom - 1) | BATON_ERROR_FLAG);
	}
	return baton_output(out, strlen(out));
}

static void log_len(const char *prefix, size_t n) {
	char msg[64], digits[24];
	int d = 0;
	do {
		digits[d++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	size_t len = strlen(prefix);
	memcpy(msg, prefix, len);
	while (d)
		msg[len++] = digits[--d];
	memcpy(msg + len, " bytes", 6);
	baton_log(BATON_INFO, msg, (int32_t)(len + 6));
}

/* Runs one task: input {"task": {..., "inputData": {"text": "..."}}}. */
BATON_EXPORT("baton_handle") int64_t baton_handle(char *in, int32_t in_len) {
	const char *end = in + in_len;
	const char *text = member(member(member(in, end, "task"), end, "inputData"), end, "text");
	const char *text_end = text && *text == '"' ? skip_string(text, end) : NULL;
	if (!text_end) {
		free(in);
		return result("{\"status\":\"FAILED_WITH_TERMINAL_ERROR\","
			      "\"reasonForIncompletion\":\"input text is missing or not a string\"}");
	}
	static const char head[] = "{\"status\":\"COMPLETED\",\"outputData\":{\"upper\":";
	static const char tail[] = "}}";
	size_t n = (size_t)(text_end - text); /* with its quotes */
	log_len("upper-casing ", n - 2);
	free(out);
	out = malloc(sizeof head - 1 + n + sizeof tail);
	if (!out) {
		free(in);
		static const char oom[] = "cexample: out of memory";
		return baton_output(oom, (sizeof oom - 1) | BATON_ERROR_FLAG);
	}
	char *w = out;
	memcpy(w, head, sizeof head - 1);
	w += sizeof head - 1;
	for (const char *p = text; p < text_end; p++) {
		char c = *p;
		if (c == '\\') { /* an escape is copied as it is: \n must stay \n */
			*w++ = c;
			c = *++p;
		} else if (c >= 'a' && c <= 'z') {
			c = (char)(c - 'a' + 'A');
		}
		*w++ = c;
	}
	memcpy(w, tail, sizeof tail); /* with the NUL, not counted */
	w += sizeof tail - 1;
	free(in);
	return baton_output(out, (uint32_t)(w - out));
}
