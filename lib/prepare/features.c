/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Subdomain features: computed by the parser thread once per new name (lib/prep.c), and by
 * the detector thread again when some label of the name repeats under its apex.
 *
 * The encoding class follows the alphabets tunnels use: hex (dnscat2), base32 (iodine,
 * dnstt, OzymanDNS, sods), base64/base64url (dns2tcp, DNSExfiltrator: mixed case, '+', '/',
 * '=', '_'), base128 (iodine's raw 8-bit mode: bytes >= 0x80) and binary (control bytes).
 * "random" asks whether a label was made by a machine rather than a person: an encoding
 * alphabet used with both letters and digits, mixed case, or 8-bit bytes. Hostnames such as
 * "ip-10-0-1-5", "rr4---sn-22z40pjr" or "mail" fail it; so do reversed IPv4 addresses
 * (digits only). The information estimate is Paxson et al.'s idea made cheap: length times
 * the bits per character of the alphabet seen (entropy-limited for plain names).
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "lib/prepare/features.h"

enum {
	F_LOWER = 1 << 0,
	F_UPPER = 1 << 1,
	F_DIGIT = 1 << 2,
	F_HYPHEN = 1 << 3,
	F_B64SYM = 1 << 4, /* + / = */
	F_UNDERSCORE = 1 << 5,
	F_HIGH = 1 << 6,   /* >= 0x80 */
	F_CTRL = 1 << 7,   /* < 0x20, 0x7F, or other printable punctuation */
	F_NONHEX = 1 << 8, /* a letter outside a-f */
};
_Static_assert(F_LOWER == 1 && F_UPPER == 2, "a letter's case flag swaps by xor 3");

/* The flags of a (lower-cased) byte, and its bit among the letters a-z, from tables: tunnel
 * labels are random, so a chain of range tests per character mispredicts. */
static uint16_t ch_flags[256];
static uint32_t ch_letter[256];

static unsigned char_flags(uint8_t ch)
{
	if (ch >= 'a' && ch <= 'z')
		return F_LOWER | (ch > 'f' ? F_NONHEX : 0);
	if (ch >= '0' && ch <= '9')
		return F_DIGIT;
	if (ch == '-')
		return F_HYPHEN;
	if (ch == '+' || ch == '/' || ch == '=')
		return F_B64SYM;
	if (ch == '_')
		return F_UNDERSCORE;
	if (ch >= 0x80)
		return F_HIGH;
	return F_CTRL;
}

/* n log2 n and log2 n for n < 256 and the byte tables, computed once under pthread_once. */
static double nlog[256], lg[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
	for (int c = 0; c < 256; c++) {
		ch_flags[c] = (uint16_t) char_flags((uint8_t) c);
		ch_letter[c] = c >= 'a' && c <= 'z' ? 1u << (c - 'a') : 0;
	}
	for (int n = 1; n < 256; n++) {
		lg[n] = log2((double) n);
		nlog[n] = n * lg[n];
	}
}

static inline double clog2c(unsigned c)
{
	return nlog[c];
}

static inline double log2_of(unsigned n)
{
	return n < 256 ? lg[n] : log2((double) n);
}

/* One label: is it machine-made? distinct: how many different letters it has. */
static bool label_random(unsigned fl, unsigned len, unsigned distinct)
{
	if (fl & (F_HIGH | F_CTRL))
		return true;
	if (len < 6)
		return false;
	if (fl & F_B64SYM)
		return true;
	bool letters = fl & (F_LOWER | F_UPPER), digits = fl & F_DIGIT;
	if ((fl & F_LOWER) && (fl & F_UPPER) && len >= 8)
		return true; /* mixed case: base64; client stubs do not randomise case */
	if (letters && !digits && len >= 20 && distinct >= 16)
		return true; /* base32 that happens to have no digit: words repeat letters more */
	if (!(letters && digits))
		return false; /* words, or digits only (reversed addresses, counters) */
	if (fl & (F_HYPHEN | F_UNDERSCORE))
		return (fl & F_UPPER) &&
		       (fl & F_LOWER); /* base64url; else hostnames like ip-10-0-1-5 */
	if (!(fl & F_NONHEX))
		return true; /* hex with letters and digits */
	return len >= 12;    /* base32 / base36 */
}

/* From the subdomain's character counts and its labels' classes: the entropy, the encoding
 * (by the alphabet of its machine-made labels), machine-made, encoded, and the information in
 * bits. */
static inline void finish_features(dx_features_t *f, const uint8_t *counts, const uint8_t *seen,
				   unsigned n_seen, unsigned all, bool random, bool long_random)
{
	/* H = log2(L) - (1/L) sum c log2 c, with c log2 c from a table: no log per character */
	double sum = 0;
	for (unsigned k = 0; k < n_seen; k++)
		sum += clog2c(counts[seen[k]]);
	double h = log2_of(f->sub_len) - sum / f->sub_len;
	if (h < 0)
		h = 0;
	f->entropy = (float) h;
	if (all & F_CTRL)
		f->encoding = DX_ENC_BINARY;
	else if (all & F_HIGH)
		f->encoding = DX_ENC_BASE128;
	else if ((all & F_B64SYM) || ((all & F_LOWER) && (all & F_UPPER)))
		f->encoding = DX_ENC_BASE64;
	else if (random && !(all & F_NONHEX) && !(all & (F_HYPHEN | F_UNDERSCORE)))
		f->encoding = DX_ENC_HEX;
	else if (random)
		f->encoding = DX_ENC_BASE32;
	f->random = random;
	f->encoded = random && (long_random || f->sub_len >= 30);
	static const float bpc[DX_ENC_COUNT] = {0, 4, 5, 6, 7, 8};
	float per = f->encoding == DX_ENC_NONE ? (h < 4.7 ? (float) h : 4.7f) : bpc[f->encoding];
	f->bits = (uint32_t) (per * f->sub_len + 0.5f);
}

/* The character a label's byte k counts as (upper case kept apart where the wire had it). */
static inline uint8_t key_at(const dx_name_t *n, const uint8_t *t, unsigned k, bool cased)
{
	uint8_t ch = t[k];
	if (cased && (n->case_mask[k >> 3] >> (k & 7) & 1) && (ch_flags[ch] & F_LOWER))
		return (uint8_t) (ch & ~0x20);
	return ch;
}

static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An IPv4 address that does not leave a site: private (RFC 1918), shared (RFC 6598),
 * loopback or link-local. */
static bool v4_local(const uint8_t a[4])
{
	return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xC0) == 64) ||
	       (a[0] == 169 && a[1] == 254);
}

/* 8 or 32 hex digits spelling a site's own IPv4 or IPv6 address (unique local, link-local,
 * loopback, or IPv4-mapped of a local one): Consul's <hex>.addr.<dc>.consul names. */
static bool hex_address(const uint8_t *p, unsigned len)
{
	uint8_t b[16];
	for (unsigned k = 0; k < len / 2; k++) {
		int hi = hexval(p[2 * k]), lo = hexval(p[2 * k + 1]);
		if (hi < 0 || lo < 0)
			return false;
		b[k] = (uint8_t) (hi << 4 | lo);
	}
	if (len == 8)
		return v4_local(b);
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	static const uint8_t loop[16] = {[15] = 1};
	return (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||
	       memcmp(b, loop, 16) == 0 || (memcmp(b, mapped, 12) == 0 && v4_local(b + 12));
}

/* Four decimal octets joined by '-', after a prefix (a letter, then letters and digits) and a
 * '-' or not: ip-10-0-0-1 (EC2), 10-0-0-1, ec2-54-1-2-3 (any address: a host's name, not
 * data). */
static bool dashed_address(const uint8_t *p, unsigned len)
{
	unsigned k = 0;
	if (p[0] >= 'a' && p[0] <= 'z') { /* a prefix: a letter, then letters and digits */
		while (k < len && ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= '0' && p[k] <= '9')))
			k++;
		if (k == len || p[k++] != '-')
			return false;
	}
	for (int octet = 0; octet < 4; octet++) {
		unsigned v = 0, digits = 0;
		while (k < len && p[k] >= '0' && p[k] <= '9' && digits < 3) {
			v = v * 10 + (unsigned) (p[k++] - '0');
			digits++;
		}
		if (digits == 0 || v > 255)
			return false;
		if (octet < 3 && (k == len || p[k++] != '-'))
			return false;
	}
	return k == len;
}

/* Does label p[0..len) (flags fl, its characters' classes) name a host by its IP address? */
static bool address_label(const uint8_t *p, unsigned len, unsigned fl)
{
	if ((len == 8 || len == 32) && !(fl & (F_NONHEX | F_HYPHEN | F_UNDERSCORE | F_UPPER)))
		return hex_address(p, len);
	if ((fl & F_HYPHEN) && (fl & F_DIGIT) && len >= 7 && len <= 40)
		return dashed_address(p, len);
	return false;
}

void dx_features_compute(const dx_name_t *n, unsigned apex_off, uint64_t skip, dx_features_t *f)
{
	pthread_once(&tables_once, init_tables); /* any thread may be first */
	memset(f, 0, sizeof(*f));
	f->max_label = n->max_label;
	if (apex_off < 2) /* no subdomain: the name is the apex (or unparsed) */
		return;
	unsigned end = apex_off - 1; /* the dot before the apex */
	uint8_t counts[256];	     /* a subdomain has at most 253 characters */
	uint8_t seen[256];	     /* the distinct characters, in order of first appearance */
	unsigned n_seen = 0;
	memset(counts, 0, sizeof(counts));
	unsigned all = 0, labels = 0, sub_len = 0;
	unsigned n_long = 0, n_mid = 0, long_len = 0, long_fl = 0;
	uint32_t rest_hash = 2166136261u; /* FNV-1a over the short labels, dots between */
	bool random = false, long_random = false;
	/* wire case matters only if some letter of the subdomain was upper case: most names
	 * have none, and then the loop reads no mask bits */
	bool cased = false;
	for (unsigned k = 0; k <= end >> 3; k++)
		cased |= n->case_mask[k] != 0;
	const uint8_t *t = (const uint8_t *) n->text;
	/* label by label: [i, j) is the label, j its separator (or end) */
	for (unsigned i = 0, li = 0; i <= end; li++) {
		if (li < 64 && (skip >> li & 1)) { /* a repeated label: carries nothing */
			i = (unsigned) dx_name_next_sep(n, i, end) + 1;
			continue;
		}
		unsigned lab = 0, j = i, seen_before = n_seen;
		uint32_t letters = 0; /* bit per letter seen in the label */
		for (; j < end; j++) {
			if (dx_name_is_sep(n, j))
				break;
			uint8_t ch = t[j];
			unsigned fl = ch_flags[ch];
			uint8_t key = ch;
			if (cased && (n->case_mask[j >> 3] >> (j & 7) & 1)) {
				fl ^= (fl & F_LOWER) * 3u; /* F_LOWER becomes F_UPPER */
				key = (uint8_t) (ch & ~0x20);
			}
			lab |= fl;
			letters |= ch_letter[ch];
			/* no branch on "first time": random labels would mispredict it; the
			 * store is in bounds as a subdomain has at most 253 characters */
			seen[n_seen] = key;
			n_seen += counts[key]++ == 0;
		}
		unsigned lab_len = j - i;
		if (lab_len > 0 && address_label(t + i, lab_len, lab)) {
			/* a host's address names it and carries no data: taken back out */
			for (unsigned k = i; k < j; k++)
				counts[key_at(n, t, k, cased)]--;
			n_seen = seen_before;
		} else if (lab_len > 0) {
			labels++;
			sub_len += lab_len;
			if (lab_len >= 16) {
				n_long++;
				long_len += lab_len;
				long_fl |= lab;
			} else if (lab_len >= 8) { /* left out once seen again (skip) */
				n_mid++;
			} else {
				for (unsigned k = i; k <= j && k <= end; k++)
					rest_hash = (rest_hash ^ t[k]) * 16777619u;
			}
			bool r = label_random(lab, lab_len, (unsigned) __builtin_popcount(letters));
			random |= r;
			long_random |= r && lab_len >= 16;
			if (r) /* the alphabet is read off the machine-made labels only */
				all |= lab;
		}
		i = j + 1;
	}
	f->sub_len = (uint16_t) sub_len;
	f->sub_labels = (uint8_t) labels;
	/* one to three hash labels (a digest too long for one label is cut in two or three: 64
	 * hex characters of SHA-256, or a digest and a second key), hex or base32 of one case:
	 * no upper and lower together, no symbols or 8-bit bytes */
	if (n_long >= 1 && n_long <= 3 && n_mid == 0 &&
	    !((long_fl & F_LOWER) && (long_fl & F_UPPER)) &&
	    !(long_fl & (F_B64SYM | F_HYPHEN | F_UNDERSCORE | F_CTRL | F_HIGH))) {
		f->lookup_len = (uint8_t) long_len;
		f->rest_hash = (rest_hash ^ n_long) * 16777619u;
	}
	if (f->sub_len == 0)
		return; /* every label was a repeated one */
	finish_features(f, counts, seen, n_seen, all, random, long_random);
}
