/* SPDX-License-Identifier: BSD-2-Clause */
/* Error texts. Protocol codes have fixed texts; anything else is a negated errno and goes
 * through strerror(). */
#include <string.h>

#include "lib/base/err.h"

const char *dx_strerror(int err)
{
	switch (err) {
	case DX_OK:
		return "ok";
	case DX_ETRUNC:
		return "truncated";
	case DX_EMALF:
		return "malformed";
	case DX_EUNSUP:
		return "unsupported";
	case DX_EPTR:
		return "bad compression pointer";
	case DX_ELONG:
		return "name too long";
	case DX_ELABEL:
		return "bad label type";
	case DX_EDEPTH:
		return "too many layers";
	case DX_ESTORE:
		return "database error";
	case DX_ECONFIG:
		return "configuration error";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}
