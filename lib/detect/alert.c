/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the alert enums: the exact strings stored in the database and printed by report. */
#include <strings.h>

#include "lib/detect/alert.h"
#include "lib/base/common.h"

static const char *const sev[] = {"NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
static const char *const threat[] = {
    "HIGH_FREQUENCY", "ENCODED_SUBDOMAIN", "LONG_NAME", "UNUSUAL_QTYPE", "SUBDOMAIN_ENUMERATION",
    "INFO_VOLUME",    "CLIENT_ANOMALY",	   "BEACON",	"ICMP_TUNNEL"};
static const char *const enc[] = {"none", "hex", "base32", "base64", "base128", "binary"};
static const char *const status[] = {"open", "closed", "blocked", "allowlisted"};

const char *dx_severity_name(enum dx_severity s)
{
	return (unsigned) s < ARRAY_SIZE(sev) ? sev[s] : "?";
}

int dx_severity_parse(const char *s)
{
	for (unsigned i = 1; i < ARRAY_SIZE(sev); i++)
		if (strcasecmp(s, sev[i]) == 0)
			return (int) i;
	return -1;
}

const char *dx_threat_name(enum dx_threat t)
{
	return (unsigned) t < ARRAY_SIZE(threat) ? threat[t] : "?";
}

const char *dx_encoding_name(enum dx_encoding e)
{
	return (unsigned) e < ARRAY_SIZE(enc) ? enc[e] : "?";
}

const char *dx_status_name(enum dx_status s)
{
	return (unsigned) s < ARRAY_SIZE(status) ? status[s] : "?";
}
