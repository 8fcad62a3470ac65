/*
 * verify.c: the DKIM verifier (RFC 6376 section 6), sans-I/O.
 *
 * Every DKIM-Signature field gets a verdict and, when it fails, a reason a
 * postmaster can act on.  Signatures are independent: one that fails never
 * affects another (section 6.1).  rsa-sha1 is recognised and failed with
 * the reason RFC 8301 gives.  The shared body hashes, the choice of a key
 * record and the checks that need the key serve ARC validation too
 * (src/arc/verify.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/err.h"

/* Seconds a signature's t= may lie in the future (clock skew). */
#define DKIM_CLOCK_SKEW	300

struct vsig {
	struct dkim_sig		 sig;
	bool			 usable;	/* parsed; still in the race */
	enum dkim_result	 result;
	char			 reason[160];
	char			*key_name;
	bool			 key_set;
	struct dkim_keyrec	 keyrec;
	size_t			 body;		/* index into bodies[] */
};

struct dkim_verify {
	const struct mail_hdrs	*hdrs;
	time_t			 now;
	struct vsig		*v;
	size_t			 n;
	struct dkim_body_slot	 bodies[DKIM_MAX_SIGS];
	size_t			 nbodies;
	bool			 finished;
};

static void
vsig_fail(struct vsig *vs, enum dkim_result r, const char *reason)
{
	vs->usable = false;
	vs->result = r;
	snprintf(vs->reason, sizeof(vs->reason), "%s", reason);
}

int
dkim_body_slot(struct dkim_body_slot *slots, size_t *n, enum dkim_canon canon,
    int64_t limit, size_t *slot_out, struct err *err)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (slots[i].canon == canon && slots[i].limit == limit) {
			*slot_out = i;
			return 0;
		}
	if ((slots[i].hash = dkim_body_new(canon, limit, err)) == NULL)
		return -1;
	slots[i].canon = canon;
	slots[i].limit = limit;
	(*n)++;
	*slot_out = i;
	return 0;
}

void
dkim_body_slots_update(struct dkim_body_slot *slots, size_t n, const char *p,
    size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dkim_body_update(slots[i].hash, p, len);
}

void
dkim_body_slots_final(struct dkim_body_slot *slots, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dkim_body_final(slots[i].hash, slots[i].digest,
		    &slots[i].total);
}

void
dkim_body_slots_free(struct dkim_body_slot *slots, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dkim_body_free(slots[i].hash);
}

struct dkim_verify *
dkim_verify_new(const struct mail_hdrs *hdrs, time_t now, struct err *err)
{
	struct dkim_verify	*dv;
	const struct mail_field	*f;
	struct vsig		*vs;
	struct err		 perr;
	size_t			 i, nf = mail_hdrs_count(hdrs);

	if ((dv = calloc(1, sizeof(*dv))) == NULL ||
	    (dv->v = calloc(mail_hdrs_count_name(hdrs, "DKIM-Signature") + 1,
	    sizeof(*dv->v))) == NULL) {
		free(dv);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	dv->hdrs = hdrs;
	dv->now = now;
	for (i = 0; i < nf; i++) {
		f = mail_hdrs_at(hdrs, i);
		if (!mail_field_is_named(f, "DKIM-Signature"))
			continue;
		vs = &dv->v[dv->n++];
		vs->usable = true;
		vsig_fail(vs, DKIM_FAIL, "not verified");
		vs->usable = true;
		if (dv->n > DKIM_MAX_SIGS) {
			vsig_fail(vs, DKIM_FAIL, "too many signatures, only "
			    "the first 16 are verified");
			continue;
		}
		if (dkim_sig_parse(f->raw, f->raw_len, f->value_off, &vs->sig,
		    &perr) == -1) {
			if (perr.code == ERR_NOMEM)
				goto nomem;
			vsig_fail(vs, DKIM_FAIL, perr.msg);
			continue;
		}
		if (vs->sig.alg == DKIM_ALG_RSA_SHA1) {
			vsig_fail(vs, DKIM_FAIL, "rsa-sha1 is not accepted "
			    "any more (RFC 8301)");
			continue;
		}
		if (vs->sig.timestamp > (int64_t)now + DKIM_CLOCK_SKEW) {
			vsig_fail(vs, DKIM_FAIL, "t= is in the future");
			continue;
		}
		if ((vs->key_name = dkim_key_name(vs->sig.selector,
		    vs->sig.domain)) == NULL ||
		    dkim_body_slot(dv->bodies, &dv->nbodies, vs->sig.body_canon,
		    vs->sig.limit, &vs->body, err) == -1)
			goto nomem;
	}
	return dv;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	dkim_verify_free(dv);
	return NULL;
}

void
dkim_verify_free(struct dkim_verify *dv)
{
	size_t	i;

	if (dv == NULL)
		return;
	for (i = 0; i < dv->n; i++) {
		dkim_sig_fini(&dv->v[i].sig);
		dkim_keyrec_fini(&dv->v[i].keyrec);
		free(dv->v[i].key_name);
	}
	dkim_body_slots_free(dv->bodies, dv->nbodies);
	free(dv->v);
	free(dv);
}

size_t
dkim_verify_count(const struct dkim_verify *dv)
{
	return dv->n;
}

const char *
dkim_verify_key_name(const struct dkim_verify *dv, size_t i)
{
	if (i >= dv->n || !dv->v[i].usable)
		return NULL;
	return dv->v[i].key_name;
}

enum dkim_result
dkim_keyrec_choose(const char *name, enum dkim_key_lookup lookup,
    const char *const *txts, size_t n, const char *detail,
    struct dkim_keyrec *rec_out, char *reason, size_t size)
{
	struct dkim_keyrec	 rec;
	struct err		 err, first_err;
	size_t			 j, found = 0;

	if (lookup == DKIM_KEY_TEMPFAIL) {
		snprintf(reason, size, "key %s: look-up failed (%s)", name,
		    detail ? detail : "temporary error");
		return DKIM_TEMPFAIL;
	}
	if (lookup == DKIM_KEY_NONE) {
		snprintf(reason, size, "no key record at %s%s%s%s", name,
		    detail ? " (" : "", detail ? detail : "",
		    detail ? ")" : "");
		return DKIM_FAIL;
	}
	/*
	 * Several TXT records at the key's name are ambiguous (RFC 6376
	 * section 3.6.2.2); records that are not key records at all (a
	 * stray SPF record, say) are left out before deciding.
	 */
	first_err.msg[0] = '\0';
	for (j = 0; j < n; j++) {
		if (dkim_keyrec_parse(txts[j], &rec, &err) == -1) {
			if (first_err.msg[0] == '\0')
				first_err = err;
			continue;
		}
		if (found++ == 0)
			*rec_out = rec;
		else
			dkim_keyrec_fini(&rec);
	}
	if (found == 0) {
		if (snprintf(reason, size, "key %s: %s", name, n == 0 ?
		    "no TXT record" : first_err.msg) >= (int)size)
			memcpy(reason + size - 4, "...", 4);
		return DKIM_FAIL;
	}
	if (found > 1) {
		snprintf(reason, size, "key %s: %zu key records, which is "
		    "ambiguous", name, found);
		return DKIM_FAIL;
	}
	reason[0] = '\0';
	return DKIM_PASS;
}

void
dkim_verify_set_key(struct dkim_verify *dv, size_t i,
    enum dkim_key_lookup lookup, const char *const *txts, size_t n,
    const char *detail)
{
	struct vsig		*vs;
	char			 reason[sizeof(vs->reason)];
	enum dkim_result	 r;

	if (i >= dv->n || !(vs = &dv->v[i])->usable || vs->key_set)
		return;
	vs->key_set = true;
	if ((r = dkim_keyrec_choose(vs->key_name, lookup, txts, n, detail,
	    &vs->keyrec, reason, sizeof(reason))) != DKIM_PASS)
		vsig_fail(vs, r, reason);
}

void
dkim_verify_body(struct dkim_verify *dv, const char *p, size_t n)
{
	dkim_body_slots_update(dv->bodies, dv->nbodies, p, n);
}

int
dkim_sig_key_check(const struct dkim_sig *sig, const struct dkim_keyrec *kr,
    char *reason, size_t size)
{
	if (kr->revoked)
		snprintf(reason, size, "key revoked (empty p=)");
	else if (!kr->sha256_ok)
		snprintf(reason, size, "key's h= does not allow sha256");
	else if ((int)kr->key_type != (sig->alg == DKIM_ALG_ED25519_SHA256 ?
	    KEY_ED25519 : KEY_RSA))
		snprintf(reason, size, "key type %s does not match a=%s",
		    key_type_name(kr->key_type), dkim_alg_name(sig->alg));
	else
		return 0;
	return -1;
}

int
dkim_sig_hash_check(const struct dkim_sig *sig, const struct mail_hdrs *hdrs,
    const uint8_t body[32], struct key *key, const char *mismatch,
    char *reason, size_t size)
{
	uint8_t		digest[32];
	struct err	err;

	if (memcmp(body, sig->bh, 32) != 0) {
		snprintf(reason, size, "body hash did not verify (the body "
		    "was changed)");
		return -1;
	}
	if (dkim_header_hash(hdrs, sig->hlist, sig->hdr_canon,
	    sig->unsigned_raw, sig->unsigned_len, digest, &err) == -1 ||
	    key_verify_sha256(key, digest, sig->b, sig->b_len, &err) == -1) {
		snprintf(reason, size, "%s", err.code == KEY_E_VERIFY ?
		    mismatch : err.msg);
		return -1;
	}
	return 0;
}

static void
verify_one(struct dkim_verify *dv, struct vsig *vs)
{
	const struct dkim_body_slot *bs = &dv->bodies[vs->body];
	const struct dkim_keyrec *kr = &vs->keyrec;
	const char		*at;
	char			 reason[sizeof(vs->reason)];

	if (!vs->key_set) {
		vsig_fail(vs, DKIM_FAIL, "no key look-up was made");
		return;
	}
	if (dkim_sig_key_check(&vs->sig, kr, reason, sizeof(reason)) == -1) {
		vsig_fail(vs, DKIM_FAIL, reason);
		return;
	}
	if (kr->strict && (at = strrchr(vs->sig.auid, '@')) != NULL &&
	    strcasecmp(at + 1, vs->sig.domain) != 0) {
		vsig_fail(vs, DKIM_FAIL, "key has t=s but i= is a subdomain "
		    "of d=");
		return;
	}
	if (vs->sig.limit >= 0 && (uint64_t)vs->sig.limit > bs->total) {
		snprintf(reason, sizeof(reason), "l=%lld is longer than the "
		    "body (%llu bytes)", (long long)vs->sig.limit,
		    (unsigned long long)bs->total);
		vsig_fail(vs, DKIM_FAIL, reason);
		return;
	}
	if (dkim_sig_hash_check(&vs->sig, dv->hdrs, bs->digest, kr->key,
	    "signature did not verify (a signed header field was changed, "
	    "or the key is not the signer's)", reason, sizeof(reason)) == -1) {
		vsig_fail(vs, DKIM_FAIL, reason);
		return;
	}
	if (vs->sig.expires >= 0 && vs->sig.expires < (int64_t)dv->now) {
		vs->result = DKIM_EXPIRED;
		snprintf(vs->reason, sizeof(vs->reason), "expired (x=%lld)",
		    (long long)vs->sig.expires);
		return;
	}
	vs->result = DKIM_PASS;
	vs->reason[0] = '\0';
}

void
dkim_verify_finish(struct dkim_verify *dv)
{
	size_t	i;

	if (dv->finished)
		return;
	dv->finished = true;
	dkim_body_slots_final(dv->bodies, dv->nbodies);
	for (i = 0; i < dv->n; i++)
		if (dv->v[i].usable)
			verify_one(dv, &dv->v[i]);
}

void
dkim_verify_get(const struct dkim_verify *dv, size_t i,
    struct dkim_verdict *out)
{
	const struct vsig	*vs = &dv->v[i];

	memset(out, 0, sizeof(*out));
	out->result = vs->result;
	out->domain = vs->sig.domain ? vs->sig.domain : "";
	out->selector = vs->sig.selector ? vs->sig.selector : "";
	out->auid = vs->sig.auid ? vs->sig.auid : "";
	out->reason = vs->reason;
	out->alg = vs->sig.alg;
	memcpy(out->b_prefix, vs->sig.b_prefix, sizeof(out->b_prefix));
	out->testing = vs->keyrec.testing;
	out->timestamp = vs->sig.timestamp;
	out->expires = vs->sig.expires;
}
