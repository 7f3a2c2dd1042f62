/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file features.h
 * @brief Per-query features of the subdomain (the part of the name left of the apex): lengths,
 * character classes, Shannon entropy, the encoding alphabet it looks like, whether it looks
 * random (machine-made) and an estimate of the information it can carry.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/decode/dname.h"

/** The alphabet a subdomain's machine-made labels use (the encodings tunnels use). */
enum dx_encoding {
	DX_ENC_NONE = 0,
	DX_ENC_HEX,
	DX_ENC_BASE32,
	DX_ENC_BASE64,
	DX_ENC_BASE128,
	DX_ENC_BINARY,
	DX_ENC_COUNT
};

typedef struct dx_features {
	uint16_t sub_len;   /* characters of the subdomain, dots excluded; 0: no subdomain */
	uint8_t sub_labels; /* labels in the subdomain */
	uint8_t max_label;  /* longest label of the whole name */
	float entropy;	    /* Shannon entropy of the subdomain's characters, bits per character */
	uint32_t bits; /* information estimate: sub_len × bits per character of the alphabet */
	enum dx_encoding encoding;
	bool random;  /* machine-made: an encoding alphabet, not a hostname */
	bool encoded; /* random and long enough to carry data (a label >= 16 or >= 30 in all) */
	/* the lookup shape (a file hash, a reputation key): the total length of the subdomain's
	 * labels of 16 or more characters, if it has one to three, no other of 8 or more is
	 * left (a repeated one is) and they are hex or base32 (one case, no symbols); 0
	 * otherwise. rest_hash: a hash of its labels under 8 characters and of how many long
	 * ones, to tell whether they stay put. */
	uint8_t lookup_len;
	uint32_t rest_hash;
} dx_features_t;

/** Compute the features of name n whose apex starts at text offset apex_off (apex_off == 0:
 * no subdomain). Labels whose bit is set in skip (bit i: the i-th label from the left, i < 64)
 * are left out: the caller marks labels it has seen before under the same apex (a DNSBL
 * service key, a tenant id), which carry no information. Pure function of its inputs. */
void dx_features_compute(const dx_name_t *n, unsigned apex_off, uint64_t skip, dx_features_t *f);
