/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block policy, owned by the detector thread (which owns the database too).
 *
 * An alert at or above min_severity that is not allowlisted asks for its apex to be blocked,
 * once: the apex's block is tracked here until it expires (block_ttl_sec of packet time after
 * the apex was last active; DNS Firewall never expires entries itself, so we send "remove").
 * Before anything is written or run, the apex must pass dx_respond_refusal(): DNS Firewall
 * syntax, not a single label, not under arpa, not a public suffix of either section, not a
 * protect zone nor above or below one, not allowlisted nor above an allowlist entry. The
 * detector already keeps such apexes from alerting; this is the second, independent gate, so
 * that no name a mirrored host sends can steer a block at a whole suffix. Each refusal is
 * counted by reason and logged once per apex per hour of packet time. At most
 * max_blocks_per_hour new blocks per hour of packet time. Every request and its fate is a
 * blocks row, one per domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/base/csv.h"
#include "lib/base/err.h"
#include "lib/base/log.h"
#include "lib/respond/respond.h"

enum bstate { B_FREE = 0, B_PENDING, B_ACTIVE, B_DRY, B_FAILED, B_REMOVING };

struct block {
	char apex[DX_DNAME_MAXTEXT + 1];
	enum bstate state;
	int n;
	char domains[DX_HOOK_MAX_DOMAINS][DX_HOOK_DOMAIN_MAX + 1];
	int64_t add_ids[DX_HOOK_MAX_DOMAINS]; /* blocks rows of the add */
	int64_t rm_ids[DX_HOOK_MAX_DOMAINS];  /* and of the remove, once expired */
	uint64_t seq;			      /* the request in flight */
	int64_t alert_id;
	dx_ts_t last_active, requested;
	bool isolate; /* an ICMP tunnel's isolation: never expired (ending it is a human's call) */
};

/* Refused apexes remembered for the once-an-hour log line: 4-way sets, the oldest line goes.
 * With more refused apexes than entries a line may come back sooner, still one per alert
 * update at most. */
#define LOGGED_SETS 128
#define LOGGED_WAYS 4

struct logged {
	uint64_t h;
	dx_ts_t at;
};

struct dx_respond {
	dx_respond_cfg_t cfg;
	dx_store_t *st;
	dx_hook_t *hook;
	const psl_ctx_t *psl;
	const dx_allow_t *allow, *protect;
	dx_hash_key_t key;
	struct logged logged[LOGGED_SETS][LOGGED_WAYS];
	struct block *blocks;
	uint32_t hw; /* slots [hw, max_blocks) were never used: the scans stop at hw, so an alert
		      * update costs nothing while there are no blocks (a flood of alerts) */
	dx_ts_t *recent; /* times of the last max_blocks_per_hour new blocks, a ring */
	uint32_t recent_i;
	dx_ts_t rate_logged;
	uint64_t seq;
	dx_ts_t now;
	dx_respond_stats_t st_;
	dx_block_fn on_block; /* told of every block state change, or NULL */
	void *on_block_ctx;
};

void dx_respond_on_block(dx_respond_t *r, dx_block_fn fn, void *ctx)
{
	r->on_block = fn;
	r->on_block_ctx = ctx;
}

static void tell(const dx_respond_t *r, const char *apex, const char *state, dx_ts_t now)
{
	if (r->on_block)
		r->on_block(r->on_block_ctx, apex, state, now);
}

static const char *const scopes[] = {"both", "apex", "wildcard", "auto"};

int dx_respond_scope_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, scopes[i]) == 0)
			return i;
	return -1;
}

const char *dx_respond_scope_name(int scope)
{
	return scope >= 0 && scope < 4 ? scopes[scope] : "?";
}

static const char *const refusal_names[DX_REF_COUNT] = {
    "invalid",	 "single_label",   "arpa",	  "site_local",	  "public_suffix",
    "protected", "protect_parent", "allowlisted", "rate_limited", "not_dns"};

/* Top-level names that never leave a site, so a public DNS firewall neither can nor must be
 * asked to block what is under them: local (mDNS, RFC 6762, and cluster.local), the private
 * names of RFC 6762 Appendix G (intranet, internal, private, corp, home, lan; internal is
 * ICANN's 2024 reservation too, and *.compute.internal is EC2's), localhost and localdomain
 * (RFC 6761 and common /etc/hosts use), and consul (Consul's service discovery). home.arpa
 * (RFC 8375) is refused as arpa. Not test, example or invalid: labs stand public zones up
 * under those, and a tunnel there is one to block. */
static const char *const site_local_tlds[] = {"local",	  "localhost", "localdomain", "internal",
					      "intranet", "private",   "corp",	      "home",
					      "lan",	  "consul"};

static bool site_local(const char *apex, size_t n)
{
	const char *dot = strrchr(apex, '.');
	const char *tld = dot ? dot + 1 : apex;
	size_t len = (size_t) (apex + n - tld);
	for (size_t i = 0; i < ARRAY_SIZE(site_local_tlds); i++)
		if (strlen(site_local_tlds[i]) == len &&
		    strncasecmp(tld, site_local_tlds[i], len) == 0)
			return true;
	return false;
}

const char *dx_refusal_name(enum dx_refusal r)
{
	return r < DX_REF_COUNT ? refusal_names[r] : "?";
}

dx_respond_t *dx_respond_new(const dx_respond_cfg_t *cfg, dx_store_t *st, dx_hook_t *hook,
			     const psl_ctx_t *psl, const dx_allow_t *allow,
			     const dx_allow_t *protect, dx_hash_key_t key)
{
	dx_respond_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	if (r->cfg.max_blocks == 0)
		r->cfg.max_blocks = 1;
	r->blocks = calloc(r->cfg.max_blocks, sizeof(*r->blocks));
	r->recent =
	    calloc(cfg->max_blocks_per_hour ? cfg->max_blocks_per_hour : 1, sizeof(*r->recent));
	if (r->blocks == NULL || r->recent == NULL) {
		dx_respond_free(r);
		return NULL;
	}
	r->st = st;
	r->hook = hook;
	r->psl = psl;
	r->allow = allow;
	r->protect = protect;
	r->key = key;
	return r;
}

void dx_respond_set_lists(dx_respond_t *r, const dx_allow_t *allow, const dx_allow_t *protect)
{
	r->allow = allow;
	r->protect = protect;
}

enum dx_refusal dx_respond_refusal(const dx_respond_t *r, const char *apex)
{
	size_t n = strlen(apex);
	if (strchr(apex, '.') == NULL)
		return DX_REF_SINGLE_LABEL;
	if (n >= 5 && memcmp(apex + n - 5, ".arpa", 5) == 0)
		return DX_REF_ARPA;
	if (site_local(apex, n))
		return DX_REF_SITE_LOCAL;
	char wild[DX_HOOK_DOMAIN_MAX + 1];
	snprintf(wild, sizeof(wild), "*.%.250s", apex);
	if (!dx_hook_domain_valid(apex) || !dx_hook_domain_valid(wild))
		return DX_REF_INVALID;
	if (r->psl == NULL || psl_is_public_suffix2(r->psl, apex, PSL_TYPE_ANY))
		return DX_REF_PUBLIC_SUFFIX; /* without the list, nothing is known to be safe */
	if (dx_allow_match(r->protect, apex))
		return DX_REF_PROTECTED;
	if (dx_allow_has_below(r->protect, apex))
		return DX_REF_PROTECT_PARENT;
	if (dx_allow_match(r->allow, apex) || dx_allow_has_below(r->allow, apex))
		return DX_REF_ALLOWLISTED;
	return DX_REF_COUNT;
}

/* Count a refusal; log it if this apex was not logged within the hour of packet time. */
static void refuse(dx_respond_t *r, const char *apex, enum dx_refusal why, dx_ts_t now)
{
	r->st_.refused[why]++;
	uint64_t h = dx_hash(&r->key, apex, strlen(apex)) | 1;
	struct logged *set = r->logged[(h >> 32) % LOGGED_SETS], *l = &set[0];
	for (int w = 0; w < LOGGED_WAYS; w++) {
		if (set[w].h == h) {
			if (now >= set[w].at && now - set[w].at < 3600 * 1000000LL)
				return;
			l = &set[w];
			break;
		}
		if (set[w].at < l->at)
			l = &set[w];
	}
	l->h = h;
	l->at = now;
	dx_log(DX_LOG_WARN, DX_GRP_HOOK, "not blocking %s: %s (logged once an hour per apex)", apex,
	       dx_refusal_name(why));
}

void dx_respond_free(dx_respond_t *r)
{
	if (r == NULL)
		return;
	free(r->blocks);
	free(r->recent);
	free(r);
}

void dx_respond_set_cfg(dx_respond_t *r, const dx_respond_cfg_t *cfg)
{
	uint32_t per_hour = r->cfg.max_blocks_per_hour, max_blocks = r->cfg.max_blocks;
	r->cfg = *cfg;
	r->cfg.max_blocks = max_blocks;
	if (cfg->max_blocks_per_hour > per_hour || cfg->max_blocks_per_hour == 0)
		r->cfg.max_blocks_per_hour = per_hour; /* the ring was sized at start */
}

void dx_respond_get_stats(const dx_respond_t *r, dx_respond_stats_t *out)
{
	*out = r->st_;
}

static struct block *find(dx_respond_t *r, const char *apex)
{
	for (uint32_t i = 0; i < r->hw; i++)
		if (r->blocks[i].state != B_FREE && strcmp(r->blocks[i].apex, apex) == 0)
			return &r->blocks[i];
	return NULL;
}

static struct block *slot(dx_respond_t *r)
{
	struct block *old = NULL;
	for (uint32_t i = 0; i < r->hw; i++) {
		struct block *b = &r->blocks[i];
		if (b->state == B_FREE)
			return b;
		if ((b->state == B_FAILED || b->state == B_DRY) &&
		    (old == NULL || b->last_active < old->last_active))
			old = b; /* forget the oldest finished record rather than refuse */
	}
	if (r->hw < r->cfg.max_blocks)
		return &r->blocks[r->hw++];
	if (old)
		memset(old, 0, sizeof(*old));
	return old;
}

static bool rate_ok(dx_respond_t *r, dx_ts_t now)
{
	uint32_t n = r->cfg.max_blocks_per_hour;
	if (n == 0)
		return false;
	dx_ts_t oldest = r->recent[r->recent_i]; /* the slot about to be overwritten */
	if (oldest != 0 && now - oldest < 3600 * 1000000LL)
		return false;
	r->recent[r->recent_i] = now ? now : 1;
	r->recent_i = (r->recent_i + 1) % n;
	return true;
}

/* The values of key (or key2) in the alert's srcids JSON (ours: no escapes in an id, which
 * the log reader bounds), comma separated, each once. */
static void ids_of(const char *json, const char *key, const char *key2, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (const char *p = json;;) {
		const char *k = strstr(p, key), *k2 = key2 ? strstr(p, key2) : NULL;
		size_t kl = strlen(key);
		if (k2 && (k == NULL || k2 < k)) {
			k = k2;
			kl = strlen(key2);
		}
		if (k == NULL)
			break;
		const char *v = k + kl, *e = strchr(v, '"');
		if (e == NULL)
			break;
		size_t len = (size_t) (e - v);
		if (len && !dx_csv_has(out, v, len) && o + len + 2 < n) {
			if (o)
				out[o++] = ',';
			memcpy(out + o, v, len);
			o += len;
			out[o] = '\0';
		}
		p = e;
	}
}

/* Submit the hook request act for block b; returns false if the queue is full. */
static bool submit(dx_respond_t *r, struct block *b, enum dx_hook_action act, const dx_alert_t *a,
		   const int64_t *ids, double ref_wall)
{
	dx_hook_req_t q;
	memset(&q, 0, sizeof(q));
	q.seq = ++r->seq;
	q.action = act;
	q.n_domains = b->n;
	for (int i = 0; i < b->n; i++) {
		memcpy(q.domains[i], b->domains[i], sizeof(q.domains[i]));
		q.block_ids[i] = ids[i];
	}
	snprintf(q.apex, sizeof(q.apex), "%s", b->apex);
	q.alert_id = b->alert_id;
	q.ref_wall = ref_wall;
	if (a) {
		snprintf(q.severity, sizeof(q.severity), "%s", dx_severity_name(a->severity));
		snprintf(q.threat, sizeof(q.threat), "%s", dx_threat_name(a->threat));
		q.est_bytes = a->est_bytes;
		q.vni = a->vni;
		q.has_vni = a->has_vni;
		/* the sources JSON array, as a comma-separated list of addresses */
		size_t o = 0;
		for (const char *p = a->sources; *p && o + 1 < sizeof(q.sources); p++)
			if (*p != '[' && *p != ']' && *p != '"')
				q.sources[o++] = *p;
		q.sources[o] = '\0';
		ids_of(a->srcids, "\"instance\":\"", "\"resolver_endpoint\":\"", q.instances,
		       sizeof(q.instances));
		ids_of(a->srcids, "\"vpc\":\"", NULL, q.vpcs, sizeof(q.vpcs));
	}
	if (dx_hook_submit(r->hook, &q) != DX_OK) {
		r->st_.queue_full++;
		return false;
	}
	b->seq = q.seq;
	return true;
}

/* The domains a block of apex asks for, by [response] block_scope: the apex, *.apex, or both;
 * auto, as the AWS recipe does, the wildcard once the apex has more than 10 names. */
static int block_domains(const dx_respond_t *r, const dx_alert_t *a,
			 char doms[DX_HOOK_MAX_DOMAINS][DX_HOOK_DOMAIN_MAX + 1])
{
	int n = 0;
	int scope = r->cfg.scope;
	if (scope == DX_SCOPE_AUTO)
		scope = a->unique_subdomains > 10 ? DX_SCOPE_WILDCARD : DX_SCOPE_APEX;
	if (scope == DX_SCOPE_BOTH || scope == DX_SCOPE_APEX)
		snprintf(doms[n++], DX_HOOK_DOMAIN_MAX + 1, "%s", a->apex);
	if (scope == DX_SCOPE_BOTH || scope == DX_SCOPE_WILDCARD)
		snprintf(doms[n++], DX_HOOK_DOMAIN_MAX + 1, "*.%.250s", a->apex);
	return n;
}

/* An apex that already has a block: the alert's status follows it (one block per apex). */
static void follow_block(struct block *b, dx_alert_t *a)
{
	if (a->last_ts > b->last_active)
		b->last_active = a->last_ts;
	if (b->isolate)
		return; /* an isolation blocks no domain: the alert stays as it is */
	if (a->status == DX_ST_OPEN && (b->state == B_ACTIVE || b->state == B_PENDING))
		a->status = DX_ST_BLOCKED;
	else if (a->status == DX_ST_BLOCKED && b->state == B_FAILED)
		a->status = DX_ST_OPEN;
}

/* max_blocks_per_hour: true if one more may go now; else counted, said once an hour. */
static bool rate_allows(dx_respond_t *r, const char *apex, dx_ts_t now)
{
	if (r->cfg.dry_run || rate_ok(r, now))
		return true;
	r->st_.refused[DX_REF_RATE_LIMITED]++;
	if (r->rate_logged == 0 || now - r->rate_logged >= 3600 * 1000000LL) {
		dx_log(DX_LOG_WARN, DX_GRP_HOOK,
		       "max_blocks_per_hour (%u) reached: %s and later apexes not blocked",
		       r->cfg.max_blocks_per_hour, apex);
		r->rate_logged = now;
	}
	return false;
}

/* [response] isolate_icmp: an ICMP tunnel's clients isolated by the hook (HOOK isolate PEER,
 * DNSEXFIL_SOURCES the clients), once per peer, within max_blocks_per_hour; a blocks row
 * with action isolate records it. */
static void isolate(dx_respond_t *r, dx_alert_t *a, double ref_wall)
{
	dx_ts_t now = a->detected_ts;
	if (!rate_allows(r, a->apex, now))
		return;
	struct block *b = slot(r);
	if (b == NULL) {
		r->st_.queue_full++;
		return;
	}
	snprintf(b->apex, sizeof(b->apex), "%s", a->apex);
	snprintf(b->domains[0], sizeof(b->domains[0]), "%.*s", DX_HOOK_DOMAIN_MAX, a->apex);
	b->n = 1;
	b->isolate = true;
	b->alert_id = a->id;
	b->last_active = a->last_ts;
	b->requested = now;
	if (dx_store_add_block(r->st, b->domains[0], a->apex, a->id, "isolate", now, 0,
			       r->cfg.dry_run ? "dry_run" : "pending", &b->add_ids[0]) != DX_OK)
		b->add_ids[0] = 0;
	if (r->cfg.dry_run) {
		b->state = B_DRY;
		r->st_.dry_run++;
		dx_log(DX_LOG_NOTICE, DX_GRP_HOOK, "dry run: would isolate the clients of %s",
		       a->apex);
		return;
	}
	r->st_.requested++;
	if (submit(r, b, DX_HOOK_ISOLATE, a, b->add_ids, ref_wall)) {
		b->state = B_PENDING;
	} else {
		b->state = B_FAILED;
		dx_store_update_block(r->st, b->add_ids[0], "failed", -1,
				      "dnsexfild: hook queue full", 0, 0);
	}
}

void dx_respond_alert(dx_respond_t *r, dx_alert_t *a, double ref_wall)
{
	if (a->last_ts > r->now)
		r->now = a->last_ts;
	struct block *b = find(r, a->apex);
	if (b) {
		follow_block(b, a);
		return; /* idempotent: one block per apex at a time */
	}
	if ((int) a->severity < r->cfg.min_severity || a->status != DX_ST_OPEN)
		return; /* below the block severity, allowlisted, or closed */
	if (r->hook == NULL && !r->cfg.dry_run)
		return;
	dx_ts_t now = a->detected_ts;
	/* an ICMP tunnel's "apex" is an address: never a domain to block */
	enum dx_refusal why =
	    a->threat == DX_T_ICMP_TUNNEL ? DX_REF_NOT_DNS : dx_respond_refusal(r, a->apex);
	if (why == DX_REF_NOT_DNS && r->cfg.isolate_icmp) {
		isolate(r, a, ref_wall);
		return;
	}
	if (why != DX_REF_COUNT) {
		refuse(r, a->apex, why, now);
		/* and the alert says why: "not_blocked" in its details from its next write */
		a->not_blocked = dx_refusal_name(why);
		return;
	}
	char doms[DX_HOOK_MAX_DOMAINS][DX_HOOK_DOMAIN_MAX + 1];
	int n = block_domains(r, a, doms);
	if (!rate_allows(r, a->apex, now))
		return;
	b = slot(r);
	if (b == NULL) {
		r->st_.queue_full++;
		return;
	}
	snprintf(b->apex, sizeof(b->apex), "%s", a->apex);
	b->n = n;
	memcpy(b->domains, doms, sizeof(doms));
	b->alert_id = a->id;
	b->last_active = a->last_ts;
	b->requested = now;
	dx_ts_t expires = r->cfg.block_ttl_sec ? now + (dx_ts_t) r->cfg.block_ttl_sec * 1000000 : 0;
	const char *state = r->cfg.dry_run ? "dry_run" : "pending";
	for (int i = 0; i < n; i++)
		if (dx_store_add_block(r->st, doms[i], a->apex, a->id ? a->id : 0, "add", now,
				       expires, state, &b->add_ids[i]) != DX_OK)
			b->add_ids[i] = 0;
	if (r->cfg.dry_run) {
		b->state = B_DRY;
		r->st_.dry_run++;
		dx_log(DX_LOG_NOTICE, DX_GRP_HOOK, "dry run: would block %s%s%s", doms[0],
		       n > 1 ? " " : "", n > 1 ? doms[1] : "");
		tell(r, a->apex, "dry_run", now);
		return;
	}
	r->st_.requested++;
	if (submit(r, b, DX_HOOK_ADD, a, b->add_ids, ref_wall)) {
		b->state = B_PENDING;
		a->status = DX_ST_BLOCKED;
		tell(r, a->apex, "pending", now);
	} else {
		b->state = B_FAILED;
		for (int i = 0; i < n; i++)
			dx_store_update_block(r->st, b->add_ids[i], "failed", -1,
					      "dnsexfild: hook queue full", 0, 0);
		tell(r, a->apex, "failed", now);
	}
}

static struct block *by_seq(dx_respond_t *r, uint64_t seq)
{
	for (uint32_t i = 0; i < r->hw; i++)
		if (r->blocks[i].state != B_FREE && r->blocks[i].seq == seq)
			return &r->blocks[i];
	return NULL;
}

void dx_respond_tick(dx_respond_t *r, dx_ts_t now)
{
	if (now > r->now)
		r->now = now;
	if (r->hook) /* the block requests made since the last tick are one hook run */
		dx_hook_flush(r->hook);
	dx_hook_result_t res;
	while (r->hook && dx_hook_poll(r->hook, &res)) {
		bool ok = res.state == DX_HOOK_DONE;
		for (int i = 0; i < res.n_domains; i++)
			dx_store_update_block(r->st, res.block_ids[i], ok ? "done" : "failed",
					      res.exit_code, res.stderr_text, res.attempts,
					      res.latency_ms);
		struct block *b = by_seq(r, res.seq);
		if (res.action == DX_HOOK_ADD || res.action == DX_HOOK_ISOLATE) {
			bool iso = res.action == DX_HOOK_ISOLATE;
			if (ok)
				r->st_.done++;
			else
				r->st_.failed++;
			dx_log(ok ? DX_LOG_NOTICE : DX_LOG_ERR, DX_GRP_HOOK,
			       "%s %s %s: exit %d after %u attempt%s, %.0f ms after detection",
			       iso ? "isolating the clients of" : "block", b ? b->apex : "?",
			       ok ? "done" : "FAILED", res.exit_code, res.attempts,
			       res.attempts == 1 ? "" : "s", res.latency_ms);
			if (b) {
				b->state = ok ? B_ACTIVE : B_FAILED;
				if (!iso) /* the incident's block state: a domain's */
					tell(r, b->apex, ok ? "done" : "failed", r->now);
			}
		} else if (b && ok) {
			r->st_.removed++;
			for (int i = 0; i < b->n; i++)
				dx_store_update_block(r->st, b->add_ids[i], "removed",
						      DX_STORE_KEEP, NULL, 0, -1);
			dx_log(DX_LOG_NOTICE, DX_GRP_HOOK, "block %s expired and removed", b->apex);
			tell(r, b->apex, "removed", r->now);
			memset(b, 0, sizeof(*b));
		} else if (b) {
			b->state = B_ACTIVE; /* the remove failed: tried again at a later tick */
		}
	}
	if (r->cfg.block_ttl_sec == 0 || r->hook == NULL)
		return;
	dx_ts_t ttl = (dx_ts_t) r->cfg.block_ttl_sec * 1000000;
	for (uint32_t i = 0; i < r->hw; i++) {
		struct block *b = &r->blocks[i];
		/* Expire block_ttl after the apex was last active: a tunnel still knocking stays
		 * cut off. */
		if (b->state != B_ACTIVE || b->isolate || r->now - b->last_active < ttl ||
		    r->now - b->requested < ttl)
			continue;
		for (int k = 0; k < b->n; k++)
			if (dx_store_add_block(r->st, b->domains[k], b->apex, b->alert_id, "remove",
					       r->now, 0, "pending", &b->rm_ids[k]) != DX_OK)
				b->rm_ids[k] = 0;
		if (submit(r, b, DX_HOOK_REMOVE, NULL, b->rm_ids, 0))
			b->state = B_REMOVING;
	}
}
