/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file err.h
 * @brief One integer error convention: 0 is success, failures are a negative enum dx_err.
 * Where an errno fits it is used negated (as libknot does); the rest are protocol codes.
 */
#pragma once

#include <errno.h>

enum dx_err {
	DX_OK = 0,
	DX_ENOMEM = -ENOMEM,
	DX_EINVAL = -EINVAL,
	DX_ENOENT = -ENOENT,
	DX_EIO = -EIO,
	DX_EAGAIN = -EAGAIN,
	/* protocol codes, below every errno */
	DX_ETRUNC = -1000, /* ran out of captured bytes */
	DX_EMALF = -1001,  /* bytes present but invalid */
	DX_EUNSUP = -1002, /* valid but not something we decode */
	DX_EPTR = -1003,   /* bad DNS compression pointer (loop, forward, into header) */
	DX_ELONG = -1004,  /* DNS name over 255 octets */
	DX_ELABEL = -1005, /* DNS label type 0x40/0x80 */
	DX_EDEPTH = -1006, /* too many nested layers */
	DX_ESTORE = -1007, /* database failure */
	DX_ECONFIG = -1008 /* bad configuration */
};

/** Size of an error line handed back to the caller (file, line, key and reason). */
#define DX_CONFIG_ERRMAX 512

/** Text for any dx_err (or any negated errno); never NULL. */
const char *dx_strerror(int err);
