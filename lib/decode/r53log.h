/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file r53log.h
 * @brief Route 53 Resolver query-log records (README "Route 53 query logs"): one JSON record
 * into the query the packet path would have seen, and the query and response messages made
 * from it as raw IP/UDP packets, so the decoder, every detector, the store and the hooks
 * work on logs unchanged.
 *
 * A record is attacker-influenced text like any wire name: every field is checked for type
 * and range, the name is rebuilt label by label within RFC 1035's limits, and a record that
 * fails is skipped with its reason (counters.h, the log_* reasons), never half used.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/decode/counters.h"
#include "lib/decode/dname.h"

#define DX_R53_RECORD_MAX (64u << 10) /* bytes of one record; a longer one is skipped */
#define DX_R53_ANSWERS 8	      /* answers kept of a record (the rest are not needed) */
#define DX_R53_RDATA 255	      /* bytes of one answer's rdata */
#define DX_R53_FRAME_MAX 4096	      /* a made packet's bytes, at most */

typedef struct dx_r53_answer {
	uint16_t type, len;
	uint8_t rdata[DX_R53_RDATA];
} dx_r53_answer_t;

typedef struct dx_r53_rec {
	int64_t ts_us;			/* query_timestamp */
	uint8_t name[DX_DNAME_MAXWIRE]; /* query_name in wire form, root label included */
	size_t name_len;
	uint16_t qtype, qclass;
	uint8_t rcode;
	bool tcp;
	uint8_t af; /* 4 or 6 */
	uint8_t src[16];
	uint16_t sport;
	int n_answers; /* those of a type we rebuild (A, AAAA, CNAME, NS, PTR, DNAME, MX, TXT) */
	dx_r53_answer_t an[DX_R53_ANSWERS];
	char vpc_id[32];   /* vpc_id, or "" */
	char instance[32]; /* srcids.instance or srcids.resolver_endpoint, or "" */
} dx_r53_rec_t;

/** Parse one record (JSON text of len bytes, no NUL needed) into out. Returns DX_R_COUNT on
 * success, else why it was skipped: log_bad_json, log_missing_field, log_bad_field,
 * log_bad_name, log_too_long. Uses a per-thread arena: nothing is allocated per record. */
enum dx_reason dx_r53_parse(const char *json, size_t len, dx_r53_rec_t *out);

/** Free the calling thread's parse arena (at the thread's end; the next parse makes it again). */
void dx_r53_release(void);

/** The query (response false) or the response made from r, as a raw IPv4/IPv6 packet
 * (LINKTYPE_RAW): from srcaddr:srcport to the VPC resolver's address, port 53. Returns its
 * length (at most cap, and DX_R53_FRAME_MAX), 0 if cap is too small. */
size_t dx_r53_packet(const dx_r53_rec_t *r, bool response, uint8_t *buf, size_t cap);

/** The end of the first JSON object in buf[0..n) that starts at or after *start: objects may
 * follow each other on lines or with nothing between (Kinesis Data Firehose). Sets *start to
 * the object's first byte and returns one past its last byte; 0 if no whole object is in the
 * buffer yet. Strings and escapes are followed, so a brace in a name does not count. A record
 * never holds a newline (AWS writes one per line, or none between them): an object that
 * reaches one is broken, *broken is set and the return is one past that newline, so a cut
 * record costs itself alone, not the lines after it. */
size_t dx_r53_next_object(const char *buf, size_t n, size_t *start, bool *broken);
