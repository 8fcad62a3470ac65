/*
 * verify.c: ARC chain validation (RFC 8617 section 5.2), sans-I/O.
 *
 * Every AMS and AS of a well-formed chain is checked, not only those the
 * verdict needs, so that the chain can be shown hop by hop and the
 * oldest-pass instance (step 6) found; the verdict itself takes the steps
 * of section 5.2 in order and keeps the first failure as its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_priv.h"
#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/err.h"

/* One signature (AMS or AS) and what became of it. */
struct vsig {
	struct arc_sig		 sig;
	bool			 parsed;
	bool			 key_set;
	bool			 ok;
	char			 reason[160];
	char			*key_name;
	struct dkim_keyrec	 keyrec;
	bool			 have_key;
	size_t			 body;		/* AMS: index into bodies[] */
};

struct arc_verify {
	const struct mail_hdrs	*hdrs;
	time_t			 now;
	struct arc_chain	 chain;
	bool			 broken;	/* structure: fail at once */
	struct vsig		 ams[ARC_MAX_INSTANCES + 1];
	struct vsig		 as[ARC_MAX_INSTANCES + 1];
	struct dkim_body_slot	 bodies[ARC_MAX_INSTANCES];
	size_t			 nbodies;
	char			*names[2 * ARC_MAX_INSTANCES];
	size_t			 nnames;
	bool			 finished;
	enum arc_cv		 cv;
	char			 reason[200];
	unsigned		 oldest_pass;
	bool			 hop_ok[ARC_MAX_INSTANCES + 1];
	char			 hop_reason[ARC_MAX_INSTANCES + 1][200];
};

static void
vsig_fail(struct vsig *vs, const char *reason)
{
	vs->ok = false;
	snprintf(vs->reason, sizeof(vs->reason), "%s", reason);
}

/* Parses one signature and notes the key it needs; -1 on ERR_NOMEM. */
static int
vsig_init(struct arc_verify *av, struct vsig *vs, const struct mail_field *f,
    enum arc_kind kind, struct err *err)
{
	struct err	perr;
	size_t		i;

	if (arc_sig_parse(f, kind, &vs->sig, &perr) == -1) {
		if (perr.code == ERR_NOMEM) {
			*err = perr;
			return -1;
		}
		vsig_fail(vs, perr.msg);
		return 0;
	}
	if (vs->sig.dkim.alg == DKIM_ALG_RSA_SHA1) {
		vsig_fail(vs, "rsa-sha1 is not accepted any more (RFC 8301)");
		return 0;
	}
	if ((vs->key_name = dkim_key_name(vs->sig.dkim.selector,
	    vs->sig.dkim.domain)) == NULL)
		goto nomem;
	if (kind == ARC_AMS && dkim_body_slot(av->bodies, &av->nbodies,
	    vs->sig.dkim.body_canon, vs->sig.dkim.limit, &vs->body, err) == -1)
		return -1;
	vs->parsed = true;
	vsig_fail(vs, "no key look-up was made");
	for (i = 0; i < av->nnames; i++)
		if (strcasecmp(av->names[i], vs->key_name) == 0)
			return 0;
	if ((av->names[av->nnames] = strdup(vs->key_name)) == NULL)
		goto nomem;
	av->nnames++;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

struct arc_verify *
arc_verify_new(const struct mail_hdrs *hdrs, time_t now, struct err *err)
{
	struct arc_verify	*av;
	struct err		 cerr;
	unsigned		 k;

	if ((av = calloc(1, sizeof(*av))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	av->hdrs = hdrs;
	av->now = now;
	if (arc_chain_collect(hdrs, &av->chain, &cerr) == -1) {
		av->broken = true;
		snprintf(av->reason, sizeof(av->reason), "%s", cerr.msg);
		return av;
	}
	for (k = 1; k <= av->chain.n; k++)
		if (vsig_init(av, &av->ams[k], av->chain.sets[k][ARC_AMS],
		    ARC_AMS, err) == -1 || vsig_init(av, &av->as[k],
		    av->chain.sets[k][ARC_AS], ARC_AS, err) == -1) {
			arc_verify_free(av);
			return NULL;
		}
	return av;
}

void
arc_verify_free(struct arc_verify *av)
{
	size_t	i;

	if (av == NULL)
		return;
	for (i = 0; i <= ARC_MAX_INSTANCES; i++) {
		arc_sig_fini(&av->ams[i].sig);
		arc_sig_fini(&av->as[i].sig);
		free(av->ams[i].key_name);
		free(av->as[i].key_name);
		dkim_keyrec_fini(&av->ams[i].keyrec);
		dkim_keyrec_fini(&av->as[i].keyrec);
	}
	dkim_body_slots_free(av->bodies, av->nbodies);
	for (i = 0; i < av->nnames; i++)
		free(av->names[i]);
	free(av);
}

size_t
arc_verify_key_count(const struct arc_verify *av)
{
	return av->nnames;
}

const char *
arc_verify_key_name(const struct arc_verify *av, size_t i)
{
	return i < av->nnames ? av->names[i] : NULL;
}

static void
vsig_set_key(struct vsig *vs, enum dkim_key_lookup lookup,
    const char *const *txts, size_t n, const char *detail)
{
	char	reason[sizeof(vs->reason)];

	vs->key_set = true;
	/* A missing key's reason names no detail, and no TXT record at all
	 * is no key record. */
	if (lookup != DKIM_KEY_TEMPFAIL) {
		detail = NULL;
		if (n == 0)
			lookup = DKIM_KEY_NONE;
	}
	if (dkim_keyrec_choose(vs->key_name, lookup, txts, n, detail,
	    &vs->keyrec, reason, sizeof(reason)) == DKIM_PASS)
		vs->have_key = true;
	else
		vsig_fail(vs, reason);
}

void
arc_verify_set_key(struct arc_verify *av, const char *name,
    enum dkim_key_lookup lookup, const char *const *txts, size_t n,
    const char *detail)
{
	struct vsig	*vs;
	unsigned	 k, w;

	for (k = 1; k <= av->chain.n && !av->broken; k++)
		for (w = 0; w < 2; w++) {
			vs = w == 0 ? &av->ams[k] : &av->as[k];
			if (vs->parsed && !vs->key_set &&
			    strcasecmp(vs->key_name, name) == 0)
				vsig_set_key(vs, lookup, txts, n, detail);
		}
}

void
arc_verify_body(struct arc_verify *av, const char *p, size_t n)
{
	dkim_body_slots_update(av->bodies, av->nbodies, p, n);
}

/* Is the key usable for this signature?  Sets the reason if not. */
static bool
vsig_key_ok(struct vsig *vs)
{
	char	reason[sizeof(vs->reason)];

	if (!vs->have_key)
		return false;		/* reason already set */
	if (dkim_sig_key_check(&vs->sig.dkim, &vs->keyrec, reason,
	    sizeof(reason)) == -1) {
		vsig_fail(vs, reason);
		return false;
	}
	return true;
}

static void
verify_ams(struct arc_verify *av, struct vsig *vs)
{
	const struct dkim_body_slot *bs = &av->bodies[vs->body];
	char			 reason[sizeof(vs->reason)];

	if (!vs->parsed || !vsig_key_ok(vs))
		return;
	if (vs->sig.dkim.limit >= 0 &&
	    (uint64_t)vs->sig.dkim.limit > bs->total) {
		snprintf(reason, sizeof(reason), "l=%lld is longer than the "
		    "body", (long long)vs->sig.dkim.limit);
		vsig_fail(vs, reason);
		return;
	}
	if (dkim_sig_hash_check(&vs->sig.dkim, av->hdrs, bs->digest,
	    vs->keyrec.key, "signature did not verify (a signed header field "
	    "was changed)", reason, sizeof(reason)) == -1) {
		vsig_fail(vs, reason);
		return;
	}
	vs->ok = true;
	vs->reason[0] = '\0';
}

static void
verify_as(struct arc_verify *av, unsigned k)
{
	struct vsig		*vs = &av->as[k];
	const struct mail_field	*aar = av->chain.sets[k][ARC_AAR],
				*ams = av->chain.sets[k][ARC_AMS];
	uint8_t			 digest[32];
	struct err		 err;

	if (!vs->parsed || !vsig_key_ok(vs))
		return;
	if (arc_seal_hash(&av->chain, 1, k, aar->raw, aar->raw_len, ams->raw,
	    ams->raw_len, vs->sig.dkim.unsigned_raw, vs->sig.dkim.unsigned_len,
	    digest, &err) == -1) {
		vsig_fail(vs, err.msg);
		return;
	}
	if (key_verify_sha256(vs->keyrec.key, digest, vs->sig.dkim.b,
	    vs->sig.dkim.b_len, &err) == -1) {
		vsig_fail(vs, err.code == KEY_E_VERIFY ? "seal did not verify "
		    "(an ARC set was changed)" : err.msg);
		return;
	}
	vs->ok = true;
	vs->reason[0] = '\0';
}

/* The cv= that instance k must carry, and whether it does. */
static bool
cv_in_place(const struct arc_verify *av, unsigned k)
{
	return av->as[k].sig.cv == (k == 1 ? ARC_CV_NONE : ARC_CV_PASS);
}

static void
set_fail(struct arc_verify *av, const char *why)
{
	if (av->cv == ARC_CV_FAIL)
		return;		/* the first failure is the reason */
	av->cv = ARC_CV_FAIL;
	snprintf(av->reason, sizeof(av->reason), "%s", why);
}

void
arc_verify_finish(struct arc_verify *av)
{
	unsigned	 k, n = av->chain.n;
	bool		 broken;
	char		 why[200];

	if (av->finished)
		return;
	av->finished = true;
	if (av->broken) {
		av->cv = ARC_CV_FAIL;
		return;
	}
	dkim_body_slots_final(av->bodies, av->nbodies);
	if (n == 0) {
		av->cv = ARC_CV_NONE;
		return;
	}
	for (k = 1; k <= n; k++) {
		verify_ams(av, &av->ams[k]);
		verify_as(av, k);
	}
	av->cv = ARC_CV_PASS;
	/* Step 3: the newest seal says the chain had already failed. */
	if (av->as[n].parsed && av->as[n].sig.cv == ARC_CV_FAIL) {
		snprintf(why, sizeof(why), "ARC-Seal i=%u says cv=fail", n);
		set_fail(av, why);
	}
	/* Step 4: i=1 says none, every later seal pass. */
	for (k = 1; k <= n; k++)
		if (av->as[k].parsed && !cv_in_place(av, k)) {
			snprintf(why, sizeof(why), "ARC-Seal i=%u has cv=%s, "
			    "not %s", k, arc_cv_name(av->as[k].sig.cv),
			    k == 1 ? "none" : "pass");
			set_fail(av, why);
		}
	/* Step 5: the newest AMS. */
	if (!av->ams[n].ok) {
		snprintf(why, sizeof(why), "ARC-Message-Signature i=%u: %s", n,
		    av->ams[n].reason);
		set_fail(av, why);
	}
	/* Step 6: oldest-pass. */
	for (k = n; k >= 1 && av->ams[k].ok; k--)
		av->oldest_pass = k;
	/* Step 7: every seal, newest first. */
	for (k = n; k >= 1; k--)
		if (!av->as[k].ok) {
			snprintf(why, sizeof(why), "ARC-Seal i=%u: %s", k,
			    av->as[k].reason);
			set_fail(av, why);
		}
	/* The hops, oldest first: broken from the first bad one on. */
	broken = false;
	for (k = 1; k <= n; k++) {
		const char *hw = "";
		char	    buf[200];

		if (!av->as[k].ok)
			hw = av->as[k].reason;
		else if (!cv_in_place(av, k)) {
			snprintf(buf, sizeof(buf), "cv=%s in place of %s",
			    arc_cv_name(av->as[k].sig.cv), k == 1 ? "none" :
			    "pass");
			hw = buf;
		} else if (k == n && !av->ams[k].ok)
			hw = av->ams[k].reason;
		else if (broken)
			hw = "after a broken link";
		if (hw[0] != '\0')
			broken = true;
		av->hop_ok[k] = !broken;
		snprintf(av->hop_reason[k], sizeof(av->hop_reason[k]), "%s",
		    hw);
	}
}

enum arc_cv
arc_verify_result(const struct arc_verify *av, const char **reason_out)
{
	if (reason_out != NULL)
		*reason_out = av->cv == ARC_CV_FAIL ? av->reason : "";
	return av->cv;
}

unsigned
arc_verify_hops(const struct arc_verify *av)
{
	return av->chain.n;
}

void
arc_verify_hop(const struct arc_verify *av, unsigned k, struct arc_hop *out)
{
	memset(out, 0, sizeof(*out));
	out->instance = k;
	out->domain = "?";
	out->reason = "";
	if (k < 1 || k > av->chain.n)
		return;
	if (av->as[k].sig.dkim.domain != NULL)
		out->domain = av->as[k].sig.dkim.domain;
	if (av->broken) {
		out->reason = av->reason;
		return;
	}
	out->ok = av->hop_ok[k];
	out->ams_ok = av->ams[k].ok;
	out->reason = av->hop_reason[k];
}

unsigned
arc_verify_oldest_pass(const struct arc_verify *av)
{
	return av->oldest_pass;
}
