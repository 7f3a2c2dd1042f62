/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seven detectors, one judge() each (rules.h). Severity needs agreement: volume alone is
 * capped at MEDIUM unless the apex's names look machine-made and unique, and a detector reaches
 * HIGH or CRITICAL only when its own signal and the encoding or information signals agree.
 */
#include "lib/detect/alerts.h"
#include "lib/detect/rules.h"

static enum dx_severity cap(enum dx_severity s, enum dx_severity max)
{
	return s > max ? max : s;
}

/* A hash or reputation lookup service (the lookup shape: one hash-like label of one length
 * under a constant rest, answers that carry no data) is what these detectors would otherwise
 * take for encoded data: below HIGH, so never blocked. A tunnel in that shape is left to
 * INFO_VOLUME's budget. */
static enum dx_severity unless_lookup(const dx_rule_view_t *v, enum dx_severity sev)
{
	return v->lookup ? cap(sev, DX_SEV_MEDIUM) : sev;
}

/* HIGH_FREQUENCY: the AWS recipe (> 20 / 50 / 100 subdomain queries in the window). Volume
 * alone is popularity or a retry storm (every real tunnel's names are nearly all unique), so
 * it is LOW unless the names are machine-made and unique; recipe_compat gives the recipe's
 * severities on counts alone. */
static enum dx_severity high_frequency(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	uint32_t n = v->w->sq;
	enum dx_severity sev = n > k->hf_critical ? DX_SEV_CRITICAL
			       : n > k->hf_high	  ? DX_SEV_HIGH
			       : n > k->hf_medium ? DX_SEV_MEDIUM
						  : DX_SEV_NONE;
	if (!v->machine && !k->recipe_compat)
		sev = cap(sev, DX_SEV_LOW);
	return unless_lookup(v, sev);
}

/* ENCODED_SUBDOMAIN: unique long machine-made labels, corroborated by the bytes they carry:
 * HIGH at enc_high of them, or already at enc_low when they carry enc_high_bytes (100 bytes of
 * information a name, 160 characters of base32: only tunnels and lookup services, which
 * unless_lookup keeps below HIGH, make such names). */
static enum dx_severity encoded_subdomain(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	uint32_t n = v->w->enc_uniq;
	enum dx_severity sev =
	    n > k->enc_critical && v->info_w >= k->enc_critical_bytes ? DX_SEV_CRITICAL
	    : (n > k->enc_high || (n >= k->enc_low && v->info_w >= k->enc_high_bytes)) ? DX_SEV_HIGH
	    : n > k->enc_medium ? DX_SEV_MEDIUM
	    : n > k->enc_low	? DX_SEV_LOW
				: DX_SEV_NONE;
	return unless_lookup(v, sev);
}

/* LONG_NAME: unique names over long_qname characters or with a label over long_label. */
static enum dx_severity long_name(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	uint32_t n = v->w->long_uniq;
	enum dx_severity sev = n >= k->long_high && v->machine ? DX_SEV_HIGH
			       : n >= k->long_medium	       ? DX_SEV_MEDIUM
							       : DX_SEV_NONE;
	if (sev == DX_SEV_HIGH && n >= k->long_critical)
		sev = DX_SEV_CRITICAL;
	return unless_lookup(v, sev);
}

/* UNUSUAL_QTYPE: the types tunnels use for room in answers, half of the apex's queries. A
 * few fixed names asked again and again (SRV lookups of _ldap._tcp.dc._msdcs, apt's or a
 * MongoDB driver's SRV records) are service discovery: LOW unless three names in four are
 * unique.
 * HIGH when the names agree: machine-made, or some of them carrying encoded data (iodine's
 * polls between its data queries are plain letters). */
static enum dx_severity unusual_qtype(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	const struct bucket *w = v->w;
	uint32_t n = w->odd_q;
	if (!half_or_more(n, w->q))
		return DX_SEV_NONE;
	/* three names in four unique, as a tunnel's nearly all are */
	bool unique = (uint64_t) w->uniq * 4 >= (uint64_t) w->sq * 3 && w->sq > 0;
	enum dx_severity sev = n < k->qtype_min ? DX_SEV_NONE : unique ? DX_SEV_MEDIUM : DX_SEV_LOW;
	if ((v->machine || w->enc_uniq >= k->enc_low) && n >= k->qtype_high)
		sev = n >= k->qtype_critical ? DX_SEV_CRITICAL : DX_SEV_HIGH;
	return unless_lookup(v, sev);
}

/* SUBDOMAIN_ENUMERATION: many dictionary-like names, mostly NXDOMAIN. Reconnaissance, not
 * exfiltration: at most MEDIUM. */
static enum dx_severity subdomain_enumeration(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	const struct bucket *w = v->w;
	enum dx_severity sev = DX_SEV_NONE;
	if (w->uniq >= k->enum_min_unique && w->resp > 0 && half_or_more(w->nx, w->resp) && !v->rnd)
		sev = w->uniq >= k->enum_medium ? DX_SEV_MEDIUM : DX_SEV_LOW;
	return sev;
}

/* INFO_VOLUME: information sent over the window or the horizon; HIGH only if the names
 * carrying it look machine-made. The budget is the backstop for a tunnel in the lookup shape:
 * a lookup service stays below HIGH until lookup_info_bytes in the horizon. */
static enum dx_severity info_volume(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	uint64_t f = k->info_critical_factor;
	enum dx_severity sev = DX_SEV_NONE;
	if (v->info_w >= f * k->info_window_bytes || v->info_h >= f * k->info_horizon_bytes)
		sev = v->hmachine ? DX_SEV_CRITICAL : DX_SEV_MEDIUM;
	else if (v->info_w >= k->info_window_bytes || v->info_h >= k->info_horizon_bytes)
		sev = v->hmachine ? DX_SEV_HIGH : DX_SEV_MEDIUM;
	else if (v->info_h >= k->info_horizon_bytes / DX_RULE_INFO_MEDIUM_DIV)
		sev = DX_SEV_MEDIUM;
	else if (v->info_h >= k->info_horizon_bytes / DX_RULE_INFO_LOW_DIV)
		sev = DX_SEV_LOW;
	if (v->lookup && v->info_h < k->lookup_info_bytes)
		sev = cap(sev, DX_SEV_MEDIUM);
	return sev;
}

/* CLIENT_ANOMALY: one client making new names far faster than its peers; charged to the apex
 * it is querying. At most MEDIUM on its own. */
static enum dx_severity client_anomaly(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	const dx_client_t *c = v->c;
	uint32_t m = v->client_median;
	if (c == NULL || c->sum.uniq < k->client_min_unique || m == UINT32_MAX ||
	    c->sum.uniq < (uint64_t) k->client_ratio * (m ? m : 1) || v->f->sub_len == 0)
		return DX_SEV_NONE;
	return v->machine ? DX_SEV_MEDIUM : DX_SEV_LOW;
}

/* The scores: how far along the rule's scale the apex is (1 at its top threshold), asked only
 * when the severity is news. */
static double high_frequency_score(const dx_rule_view_t *v)
{
	return frac(v->w->sq, v->k->hf_critical);
}

static double encoded_subdomain_score(const dx_rule_view_t *v)
{
	return frac(v->w->enc_uniq, v->k->enc_critical);
}

static double long_name_score(const dx_rule_view_t *v)
{
	return frac(v->w->long_uniq, v->k->long_critical);
}

static double unusual_qtype_score(const dx_rule_view_t *v)
{
	return frac(v->w->odd_q, v->k->qtype_critical);
}

static double subdomain_enumeration_score(const dx_rule_view_t *v)
{
	return frac(v->w->uniq, v->k->enum_medium);
}

static double info_volume_score(const dx_rule_view_t *v)
{
	return frac(v->info_h, v->k->info_horizon_bytes);
}

static double client_anomaly_score(const dx_rule_view_t *v)
{
	return frac(v->c->sum.uniq, DX_RULE_CLIENT_SCORE * (uint64_t) v->k->client_min_unique);
}

/* BEACON: one client checking in with an apex at a regular interval (RITA's dispersion test
 * on the intervals), each check-in with a new name (a fresh one, or a constant id and a
 * counter), three answers in four idle: NXDOMAIN, no answer, or only 0.0.0.0, 127/8, :: or
 * ::1 (a C2 server with nothing to say; a service answers with its addresses). Periodic lookups of one fixed name (NTP, health checks,
 * update pollers) have no new names. HIGH when the names are machine-made and nobody else
 * queries the apex. */
static enum dx_severity beacon(const dx_rule_view_t *v)
{
	const dx_detect_cfg_t *k = v->k;
	const dx_beacon_t *b = v->beacon;
	if (b == NULL || !b->regular || b->checkins < k->beacon_min ||
	    (uint32_t) b->fresh * 4 < (uint32_t) b->checkins * 3 || b->answers == 0 ||
	    (uint32_t) b->idle * 4 < (uint32_t) b->answers * 3)
		return DX_SEV_NONE; /* answers with something to say are a service's, not idling */
	if ((uint32_t) b->machine * 2 >= b->checkins && dx_alerts_source_count(v->apex) <= 1)
		return DX_SEV_HIGH;
	return DX_SEV_MEDIUM;
}

static double beacon_score(const dx_rule_view_t *v)
{
	return frac(v->beacon->checkins, 2 * (uint64_t) v->k->beacon_min);
}

const dx_rule_t dx_rules[DX_RULES] = {
    {DX_T_HIGH_FREQUENCY, high_frequency, high_frequency_score},
    {DX_T_ENCODED_SUBDOMAIN, encoded_subdomain, encoded_subdomain_score},
    {DX_T_LONG_NAME, long_name, long_name_score},
    {DX_T_UNUSUAL_QTYPE, unusual_qtype, unusual_qtype_score},
    {DX_T_SUBDOMAIN_ENUMERATION, subdomain_enumeration, subdomain_enumeration_score},
    {DX_T_INFO_VOLUME, info_volume, info_volume_score},
    {DX_T_CLIENT_ANOMALY, client_anomaly, client_anomaly_score},
    {DX_T_BEACON, beacon, beacon_score},
};
