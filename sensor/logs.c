/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Route 53 Resolver query logs, read by the capture thread in place of a capture file.
 *
 * A log is JSON records, one per line as S3 and CloudWatch Logs deliver them, or objects one
 * after the other without newlines as Kinesis Data Firehose writes them; plain or gzip (S3's
 * .log.gz objects, possibly several gzip members back to back). zlib's inflate with automatic
 * header detection reads both, from our own reads, so standard input works too, with the bytes
 * already read to judge it handed back first. Records are cut out by brace matching
 * (dx_r53_next_object(), strings followed), parsed (dx_r53_parse()) and each becomes two
 * packets in ring A, the query and the response, exactly as a capture's would be; what
 * cannot be used is counted by reason (the log_* reasons) and skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/base/log.h"
#include "lib/decode/r53log.h"
#include "sensor/logs.h"

enum dx_input dx_input_kind(const uint8_t *b, size_t n)
{
	if (n >= 4) {
		uint32_t m =
		    (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
		if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
		    m == 0x0a0d0d0a)
			return DX_IN_PCAP; /* pcap (µs, ns, either order), pcapng */
	}
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return DX_IN_LOG; /* gzip: S3's .log.gz */
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '{')
			return DX_IN_LOG;
		if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
			break;
	}
	return DX_IN_NEITHER;
}

/* ---- directories */

static char **walk_list;
static uint32_t walk_n, walk_cap;
static int walk_err;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void) st;
	(void) ftw;
	if (type != FTW_F)
		return 0;
	if (walk_n == walk_cap) {
		uint32_t cap = walk_cap ? walk_cap * 2 : 64;
		char **l = realloc(walk_list, cap * sizeof(*l));
		if (l == NULL) {
			walk_err = ENOMEM;
			return 1;
		}
		walk_list = l;
		walk_cap = cap;
	}
	if ((walk_list[walk_n] = strdup(path)) == NULL) {
		walk_err = ENOMEM;
		return 1;
	}
	walk_n++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int dx_input_expand_dir(const char *path, char ***list, uint32_t *n, uint32_t *cap)
{
	/* nftw() has no context argument: the walk's state is static, and only main's setup
	 * thread walks */
	walk_list = *list;
	walk_n = *n;
	walk_cap = *cap;
	walk_err = 0;
	uint32_t first = walk_n;
	if (nftw(path, walk_one, 16, FTW_PHYS) != 0 || walk_err) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", path,
		       strerror(walk_err ? walk_err : errno));
		*list = walk_list;
		*n = walk_n;
		*cap = walk_cap;
		return -1;
	}
	qsort(walk_list + first, walk_n - first, sizeof(*walk_list), by_path);
	*list = walk_list;
	*n = walk_n;
	*cap = walk_cap;
	return 0;
}

/* ---- reading */

#define IN_BUF (256u << 10)
#define OUT_BUF (1u << 20) /* decompressed bytes held: several records of the largest size */

struct src {
	int fd;
	const uint8_t *pre;
	size_t pre_n;
	z_stream z;
	bool z_end, eof, cut;
	uint8_t in[IN_BUF];
};

/* Up to n decompressed bytes into out: > 0, 0 at the end, -1 on a read error. A gzip member
 * cut short sets cut; several members are read one after the other. */
static ssize_t src_read(struct src *s, uint8_t *out, size_t n)
{
	s->z.next_out = out;
	s->z.avail_out = (uInt) n;
	while (s->z.avail_out == n) {
		if (s->z.avail_in == 0 && !s->eof) {
			ssize_t k;
			if (s->pre_n) {
				size_t take = s->pre_n < IN_BUF ? s->pre_n : IN_BUF;
				memcpy(s->in, s->pre, take);
				s->pre += take;
				s->pre_n -= take;
				k = (ssize_t) take;
			} else {
				do
					k = read(s->fd, s->in, IN_BUF);
				while (k < 0 && errno == EINTR);
			}
			if (k < 0)
				return -1;
			if (k == 0)
				s->eof = true;
			s->z.next_in = s->in;
			s->z.avail_in = (uInt) k;
		}
		if (s->z.avail_in == 0 && s->eof) {
			if (!s->z_end && s->z.total_in > 0)
				s->cut = true; /* inside a member when the input ended */
			break;
		}
		if (s->z_end) { /* another gzip member follows: read it too */
			inflateReset(&s->z);
			s->z_end = false;
		}
		int rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			s->z_end = true;
		} else if (rc == Z_DATA_ERROR && s->z.total_in == 0 && s->z.total_out == 0) {
			return -1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			s->cut = true; /* corrupt: keep what came before */
			break;
		}
	}
	return (ssize_t) (n - s->z.avail_out);
}

/* A plain file passes through inflate too: with windowBits 15 + 32 zlib detects gzip and
 * zlib headers; anything else is copied as read. */
static bool plain_passthrough(const uint8_t *first, size_t n)
{
	return n < 2 || !(first[0] == 0x1f && first[1] == 0x8b);
}

static ssize_t read_plain(struct src *s, uint8_t *out, size_t n)
{
	if (s->pre_n) {
		size_t take = s->pre_n < n ? s->pre_n : n;
		memcpy(out, s->pre, take);
		s->pre += take;
		s->pre_n -= take;
		return (ssize_t) take;
	}
	ssize_t k;
	do
		k = read(s->fd, out, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/* The records in buf[*off..n): each whole one parsed and pushed; what is not a record (a
 * line of something else) counted and skipped to its line's end. Leaves *off at the first
 * byte not yet used. False if told to stop. */
static bool records(dx_pipeline_t *pl, const char *buf, size_t n, size_t *off, bool at_end)
{
	size_t i = *off;
	for (;;) {
		while (i < n &&
		       (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
			i++;
		if (i >= n)
			break;
		if (buf[i] != '{') { /* not a record: to the end of its line */
			const char *nl = memchr(buf + i, '\n', n - i);
			if (nl == NULL && !at_end)
				break;
			dx_count_reason(&pl->cap, DX_R_log_bad_json);
			i = nl ? (size_t) (nl - buf) + 1 : n;
			continue;
		}
		bool broken;
		size_t start = i, end = dx_r53_next_object(buf, n, &start, &broken);
		if (broken) { /* cut before its line's end */
			dx_count_reason(&pl->cap, DX_R_log_bad_json);
			i = end;
			continue;
		}
		if (end == 0) {
			if (!at_end && n - i <= DX_R53_RECORD_MAX)
				break; /* the rest of it has not been read yet */
			/* too long, or cut at the end: skip to the next line */
			dx_count_reason(&pl->cap, n - i > DX_R53_RECORD_MAX ? DX_R_log_too_long
									    : DX_R_log_bad_json);
			const char *nl = memchr(buf + i, '\n', n - i);
			i = nl ? (size_t) (nl - buf) + 1 : n;
			continue;
		}
		/* parsed by the parser thread: JSON costs more than inflating it */
		dx_count(&pl->cap.packets, 1);
		dx_count(&pl->cap.bytes, end - start);
		if (end - start > DX_R53_RECORD_MAX)
			dx_count_reason(&pl->cap, DX_R_log_too_long);
		else if (!dx_capture_push(pl, DX_DLT_R53, 0, (const uint8_t *) buf + start,
					  (uint32_t) (end - start), (uint32_t) (end - start)))
			return false;
		i = end;
	}
	*off = i;
	return true;
}

int dx_logs_drain(dx_pipeline_t *pl, const char *path, const uint8_t *pre, size_t pre_n)
{
	bool is_stdin = strcmp(path, "-") == 0;
	static struct src s; /* the capture thread's alone; large */
	static char buf[OUT_BUF];
	memset(&s, 0, offsetof(struct src, in));
	s.fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (s.fd < 0) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", path, strerror(errno));
		return -1;
	}
	s.pre = pre;
	s.pre_n = is_stdin ? pre_n : 0;
	uint8_t head[2] = {0, 0};
	if (!is_stdin && pread(s.fd, head, 2, 0) < 0)
		head[0] = 0;
	if (is_stdin && pre_n >= 2)
		memcpy(head, pre, 2);
	bool gz = !plain_passthrough(head, 2);
	if (gz && inflateInit2(&s.z, 15 + 32) != Z_OK) {
		if (!is_stdin)
			close(s.fd);
		return -1;
	}
	int rc = 0;
	size_t have = 0, off = 0;
	for (;;) {
		if (atomic_load_explicit(&pl->stop, memory_order_relaxed))
			break;
		if (off > 0) { /* keep the unused tail at the front */
			memmove(buf, buf + off, have - off);
			have -= off;
			off = 0;
		}
		ssize_t k = gz ? src_read(&s, (uint8_t *) buf + have, OUT_BUF - have)
			       : read_plain(&s, (uint8_t *) buf + have, OUT_BUF - have);
		if (k < 0) {
			dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", is_stdin ? "stdin" : path,
			       gz ? "not a readable gzip stream" : strerror(errno));
			rc = -1;
			break;
		}
		have += (size_t) k;
		bool at_end = k == 0;
		if (!records(pl, buf, have, &off, at_end))
			break;
		if (at_end)
			break;
	}
	if (s.cut) {
		dx_count_reason(&pl->cap, DX_R_log_gzip_cut);
		dx_log(DX_LOG_WARN, DX_GRP_CAPTURE,
		       "%s: gzip stream cut short; read what came before",
		       is_stdin ? "stdin" : path);
	}
	if (gz)
		inflateEnd(&s.z);
	if (!is_stdin)
		close(s.fd);
	return rc;
}
