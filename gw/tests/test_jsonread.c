/*
 * test_jsonread.c - reading one flat JSON object: the decision log's lines,
 * escapes, and what is refused (nesting, broken strings, trailing text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jsonread.h"

static void
test_record(void **state)
{
	char line[] = "{\"ts\":\"2026-01-01T00:00:00.000000Z\", \"verdict\" : \"drop\","
	    "\"rule\":null,\"sport\":40000,\"offloaded\":true,\"x\":-1.5e3}\n";
	struct jsonread o;
	const char *why = NULL;

	(void)state;
	assert_int_equal(jsonread_object(line, &o, &why), 0);
	assert_int_equal(o.n, 6);
	assert_string_equal(jsonread_get(&o, "verdict"), "drop");
	assert_string_equal(jsonread_get(&o, "rule"), "null");
	assert_int_equal(o.f[2].type, JSONREAD_NULL);
	assert_string_equal(jsonread_get(&o, "sport"), "40000");
	assert_int_equal(o.f[3].type, JSONREAD_NUMBER);
	assert_string_equal(jsonread_get(&o, "offloaded"), "true");
	assert_string_equal(jsonread_get(&o, "x"), "-1.5e3");
	assert_null(jsonread_get(&o, "nope"));
}

static void
test_escapes(void **state)
{
	char line[] = "{\"exe\":\"/tmp/a\\\"b\\\\c\\/d\\n\",\"cafe\":\"caf\\u00e9\",\"e\":\"\"}";
	struct jsonread o;
	const char *why;

	(void)state;
	assert_int_equal(jsonread_object(line, &o, &why), 0);
	assert_string_equal(jsonread_get(&o, "exe"), "/tmp/a\"b\\c/d\n");
	assert_string_equal(jsonread_get(&o, "cafe"), "caf\xc3\xa9");
	assert_string_equal(jsonread_get(&o, "e"), "");
}

static void
test_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "[1,2]", "not an object" },
		{ "{\"a\":{\"b\":1}}", "nested value" },
		{ "{\"a\":[1]}", "nested value" },
		{ "{\"a\":\"x", "unterminated string" },
		{ "{\"a\":\"x\\q\"}", "bad escape" },
		{ "{\"a\":\"\\u12\"}", "bad \\u escape" },
		{ "{\"a\":\"\\u0000\"}", "\\u0000 in a string" },
		{ "{a:1}", "a key must be a string" },
		{ "{\"a\" 1}", "no ':' after a key" },
		{ "{\"a\":1 \"b\":2}", "no ',' or '}' after a value" },
		{ "{\"a\":1} x", "text after the object" },
		{ "{\"a\":nope}", "bad value" },
		{ "{\"a\":\"\t\"}", "control character in a string" },
	};
	struct jsonread o;
	const char *why;
	char line[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(line, bad[i][0]);
		why = NULL;
		assert_int_equal(jsonread_object(line, &o, &why), -1);
		assert_string_equal(why, bad[i][1]);
	}
	strcpy(line, "{}");
	assert_int_equal(jsonread_object(line, &o, &why), 0);
	assert_int_equal(o.n, 0);
}

/* Every prefix of a real line either parses or says why; none reads past it. */
static void
test_prefixes(void **state)
{
	static const char rec[] = "{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"event\":\"decision\","
	    "\"rule\":null,\"dport\":443,\"exe\":\"/usr/bin/\\u00e9\"}";
	char buf[sizeof(rec)];
	struct jsonread o;
	const char *why;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(rec) - 1; n++) {
		memcpy(buf, rec, n);
		buf[n] = '\0';
		why = NULL;
		assert_int_equal(jsonread_object(buf, &o, &why), -1);
		assert_non_null(why);
	}
	memcpy(buf, rec, sizeof(rec));
	assert_int_equal(jsonread_object(buf, &o, &why), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
