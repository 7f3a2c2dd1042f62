/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * jsonparsers.c LOG NAME: how fast one packaged C JSON parser (NAME: json-c, jansson, cjson,
 * yajl; chosen with -DL_JSONC, -DL_JANSSON, -DL_CJSON or -DL_YAJL) parses Route 53 query-log
 * records, one per line, taking the fields the sensor uses. Built and run for each by
 * tests/bench/jsonparsers.sh (the README's comparison behind choosing cJSON). Not a test.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef L_JSONC
#include <json-c/json.h>
#endif
#ifdef L_JANSSON
#include <jansson.h>
#endif
#ifdef L_CJSON
#include <cjson/cJSON.h>
#endif
#ifdef L_YAJL
#include <yajl/yajl_tree.h>
#endif
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
int main(int argc, char **argv)
{
	FILE *f = fopen(argv[1], "r");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc(n + 1);
	fread(buf, 1, n, f);
	buf[n] = 0;
	const char *lib = argv[2];
	size_t sum = 0;
	long recs = 0;
	double t0 = now();
#ifdef L_JSONC
	json_tokener *tok = json_tokener_new();
#endif
	for (char *p = buf; p < buf + n;) {
		char *e = memchr(p, '\n', buf + n - p);
		if (!e)
			e = buf + n;
		size_t len = e - p;
		if (0) {
		}
#ifdef L_JSONC
		else if (!strcmp(lib, "json-c")) {
			json_tokener_reset(tok);
			json_object *o = json_tokener_parse_ex(tok, p, len);
			json_object *v;
			if (json_object_object_get_ex(o, "query_name", &v))
				sum += strlen(json_object_get_string(v));
			if (json_object_object_get_ex(o, "query_type", &v))
				sum += strlen(json_object_get_string(v));
			if (json_object_object_get_ex(o, "srcaddr", &v))
				sum += strlen(json_object_get_string(v));
			if (json_object_object_get_ex(o, "query_timestamp", &v))
				sum += strlen(json_object_get_string(v));
			if (json_object_object_get_ex(o, "rcode", &v))
				sum += strlen(json_object_get_string(v));
			if (json_object_object_get_ex(o, "answers", &v))
				sum += json_object_array_length(v);
			json_object_put(o);
		}
#endif
#ifdef L_JANSSON
		else if (!strcmp(lib, "jansson")) {
			json_error_t er;
			json_t *o = json_loadb(p, len, 0, &er);
			sum += strlen(json_string_value(json_object_get(o, "query_name")));
			sum += strlen(json_string_value(json_object_get(o, "query_type")));
			sum += strlen(json_string_value(json_object_get(o, "srcaddr")));
			sum += strlen(json_string_value(json_object_get(o, "query_timestamp")));
			sum += strlen(json_string_value(json_object_get(o, "rcode")));
			sum += json_array_size(json_object_get(o, "answers"));
			json_decref(o);
		}
#endif
#ifdef L_CJSON
		else if (!strcmp(lib, "cjson")) {
			cJSON *o = cJSON_ParseWithLength(p, len);
			sum +=
			    strlen(cJSON_GetObjectItemCaseSensitive(o, "query_name")->valuestring);
			sum +=
			    strlen(cJSON_GetObjectItemCaseSensitive(o, "query_type")->valuestring);
			sum += strlen(cJSON_GetObjectItemCaseSensitive(o, "srcaddr")->valuestring);
			sum += strlen(
			    cJSON_GetObjectItemCaseSensitive(o, "query_timestamp")->valuestring);
			sum += strlen(cJSON_GetObjectItemCaseSensitive(o, "rcode")->valuestring);
			sum += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "answers"));
			cJSON_Delete(o);
		}
#endif
#ifdef L_YAJL
		else if (!strcmp(lib, "yajl")) {
			char save = p[len];
			p[len] = 0;
			char eb[64];
			yajl_val o = yajl_tree_parse(p, eb, sizeof eb);
			p[len] = save;
			const char *k1[] = {"query_name", 0}, *k2[] = {"query_type", 0},
				   *k3[] = {"srcaddr", 0}, *k4[] = {"query_timestamp", 0},
				   *k5[] = {"rcode", 0}, *k6[] = {"answers", 0};
			sum += strlen(YAJL_GET_STRING(yajl_tree_get(o, k1, yajl_t_string)));
			sum += strlen(YAJL_GET_STRING(yajl_tree_get(o, k2, yajl_t_string)));
			sum += strlen(YAJL_GET_STRING(yajl_tree_get(o, k3, yajl_t_string)));
			sum += strlen(YAJL_GET_STRING(yajl_tree_get(o, k4, yajl_t_string)));
			sum += strlen(YAJL_GET_STRING(yajl_tree_get(o, k5, yajl_t_string)));
			sum += YAJL_GET_ARRAY(yajl_tree_get(o, k6, yajl_t_array))->len;
			yajl_tree_free(o);
		}
#endif
		recs++;
		p = e + 1;
	}
	double t = now() - t0;
	printf("%-8s %ld records %.3f s  %.0f records/s  %.0f MB/s (sum %zu)\n", lib, recs, t,
	       recs / t, n / t / 1e6, sum);
}
