/*
 * eval.c: check_host() (RFC 7208 sections 4 to 6) as a sans-I/O state
 * machine: spf_eval_next() runs until it needs a DNS answer and returns
 * the question; spf_eval_answer() takes the answer in.
 *
 * The records being evaluated form a stack: the identity's domain at the
 * bottom and one frame per include: above it (section 5.2); redirect=
 * replaces the top frame (section 6.1), so a chain of them takes no
 * room.  The mechanism at work keeps its own state (the MX names still to
 * resolve, section 5.4).  The ptr mechanism and the %{p} macro share one
 * validation of the client's PTR names (sections 5.5 and 7.3), made once.
 *
 * Limits (section 4.6.4): the 11th term that queries DNS (include, a,
 * mx, ptr, exists, redirect) is a permerror, as is the third look-up
 * that gives NXDOMAIN or no records (a void look-up) and an MX set of
 * more than 10 names; only the first 10 PTR names are tried.  Since each
 * term asks at most 11 questions, plus 11 for PTR validation and 1 for
 * exp=, an evaluation ends after a few hundred questions at most.
 *
 * DNS errors: a time-out or an rcode other than NOERROR and NXDOMAIN is
 * a temperror (sections 4.4 and 5), except in the ptr mechanism, whose
 * errors make it not match (section 5.5), and in exp=, whose errors only
 * lose the explanation (section 6.2).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"

#define NAME_SZ		(DNS_MAX_NAME + 2)

/* What the outstanding question is for. */
enum want {
	W_NONE,
	W_RECORD,	/* TXT of the top frame's domain */
	W_A,		/* a: A or AAAA of the target */
	W_MX,		/* mx: MX of the target */
	W_MXADDR,	/* mx: A or AAAA of one exchange */
	W_EXISTS,	/* exists: A of the target */
	W_PTR,		/* PTR of the client address */
	W_PTRADDR,	/* A or AAAA of one PTR name */
	W_EXP,		/* TXT of the exp= target */
};

struct frame {
	char			 domain[NAME_SZ];
	struct spf_record	 rec;
	bool			 have_rec;
	bool			 include;	/* for a parent's include: */
	bool			 redirected;	/* reached by redirect= */
	size_t			 next;		/* term at work */
};

struct spf_eval {
	struct spf_ip		 ip;
	char			 ip_text[INET6_ADDRSTRLEN];
	char			*sender;	/* local-part@domain */
	char			*mail_from;	/* as given, for the header */
	char			*helo;
	char			*receiver;
	bool			 helo_id;	/* the identity is the HELO */
	char			 domain[NAME_SZ];
	bool			 domain_ok;
	bool			 started;

	struct frame		 frames[SPF_MAX_DEPTH];
	size_t			 depth;
	int			 terms, voids;
	size_t			 queries;

	enum want		 want;
	struct dns_question	 q;

	/* The mechanism at work in the top frame. */
	bool			 in_mech;
	bool			 counted;	/* its DNS term is counted */
	bool			 matched;
	char			 target[NAME_SZ];
	char			**names;
	size_t			 nnames, iname;

	/* PTR validation: 0 not begun, 1 under way, 2 done. */
	int			 ptr_state;
	char			**pnames;	/* PTR names, at most 10 */
	size_t			 npnames, ipname;
	char			**vnames;	/* the validated ones */
	size_t			 nvnames;
	char			 p_name[NAME_SZ];	/* %{p} */

	/* exp=: 0 none, 1 to look up, 2 text fetched. */
	int			 exp_state;
	char			*exp_text;

	bool			 done;
	enum spf_result		 result;
	time_t			 now;
	/* Fixed arrays: finishing never needs memory. */
	char			 explanation[SPF_MAX_EXPLANATION];
	char			 comment[SPF_MAX_EXPLANATION];
	char			 mechanism[SPF_MAX_MECHANISM];
	bool			 have_mech;
	char			 problem[160];
	struct buf		 tmp;
};

const char *
spf_result_str(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:
		return "none";
	case SPF_NEUTRAL:
		return "neutral";
	case SPF_PASS:
		return "pass";
	case SPF_FAIL:
		return "fail";
	case SPF_SOFTFAIL:
		return "softfail";
	case SPF_TEMPERROR:
		return "temperror";
	case SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

/*
 * Is name usable in a query: labels of 1 to 63 bytes, 253 in all, an
 * optional final dot (removed), and with multi set at least two labels
 * (section 4.3: a fully qualified domain)?  Control bytes, 8-bit bytes
 * and "\\" (which DNS presentation form would read as an escape) never
 * are; an identity may not hold spaces or "[" and "]" (a domain literal)
 * either, though a macro expansion may (section 7.1's example).
 */
static bool
name_ok(char *name, bool multi)
{
	size_t	len = strlen(name), i, lab = 0, labels = 1;

	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0 || len > DNS_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (lab == 0)
				return false;
			lab = 0;
			labels++;
			continue;
		}
		if ((unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] >= 0x7f || name[i] == '\\' ||
		    (multi && (name[i] == ' ' || name[i] == '[' ||
		    name[i] == ']')))
			return false;
		if (++lab > 63)
			return false;
	}
	return lab > 0 && (!multi || labels >= 2);
}

static char *
dupstr(const char *s)
{
	return strdup(s != NULL ? s : "");
}

struct spf_eval *
spf_eval_new(const struct spf_params *p, struct err *err)
{
	struct spf_eval	*ev;
	const char	*from = p->mail_from != NULL ? p->mail_from : "";
	const char	*at, *dom;
	size_t		 n;

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		err_set(err, ERR_NOMEM, "spf: out of memory");
		return NULL;
	}
	buf_init(&ev->tmp, SPF_MAX_EXPANSION * 2);
	if (p->ip == NULL || spf_ip_parse(p->ip, &ev->ip, err) == -1) {
		if (p->ip == NULL)
			err_set(err, SPF_E_ARG, "spf: no client address");
		spf_eval_free(ev);
		return NULL;
	}
	inet_ntop(ev->ip.family, ev->ip.addr, ev->ip_text,
	    sizeof(ev->ip_text));
	ev->helo_id = p->identity == SPF_ID_HELO || *from == '\0';
	if (ev->helo_id) {
		dom = p->helo != NULL ? p->helo : "";
		n = strlen(dom) + sizeof("postmaster@");
		if ((ev->sender = malloc(n)) != NULL)
			snprintf(ev->sender, n, "postmaster@%s", dom);
	} else if ((at = strrchr(from, '@')) == NULL || at == from) {
		/* No local-part: postmaster (section 4.3). */
		dom = at == NULL ? from : at + 1;
		n = strlen(dom) + sizeof("postmaster@");
		if ((ev->sender = malloc(n)) != NULL)
			snprintf(ev->sender, n, "postmaster@%s", dom);
	} else {
		dom = at + 1;
		ev->sender = strdup(from);
	}
	ev->mail_from = dupstr(from);
	ev->helo = p->helo != NULL ? strdup(p->helo) : NULL;
	ev->receiver = dupstr(p->receiver != NULL ? p->receiver : "unknown");
	if (ev->sender == NULL || ev->mail_from == NULL ||
	    ev->receiver == NULL || (p->helo != NULL && ev->helo == NULL)) {
		err_set(err, ERR_NOMEM, "spf: out of memory");
		spf_eval_free(ev);
		return NULL;
	}
	if (strlen(dom) < sizeof(ev->domain)) {
		memcpy(ev->domain, dom, strlen(dom) + 1);
		ev->domain_ok = name_ok(ev->domain, true);
	} else {
		memcpy(ev->domain, dom, sizeof(ev->domain) - 1);
		ev->domain_ok = false;
	}
	return ev;
}

void
spf_eval_free(struct spf_eval *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->depth; i++)
		spf_record_fini(&ev->frames[i].rec);
	dns_txts_free(ev->names, ev->nnames);
	dns_txts_free(ev->pnames, ev->npnames);
	dns_txts_free(ev->vnames, ev->nvnames);
	free(ev->exp_text);
	free(ev->sender);
	free(ev->mail_from);
	free(ev->helo);
	free(ev->receiver);
	buf_fini(&ev->tmp);
	free(ev);
}

static struct frame *
top(struct spf_eval *ev)
{
	return &ev->frames[ev->depth - 1];
}

static const struct spf_term *
cur_term(struct spf_eval *ev)
{
	struct frame	*f = top(ev);

	return &f->rec.terms[f->next];
}

/* The explanation sentence for results without an exp= text. */
static void
explain(struct spf_eval *ev)
{
	char		*line = ev->comment;
	size_t		 sz = sizeof(ev->comment);
	const char	*m = ev->have_mech ? ev->mechanism : NULL;
	char		 how[300];

	if (m != NULL && strcmp(m, "default") != 0)
		snprintf(how, sizeof(how), " (mechanism %s matched)", m);
	else if (m != NULL)
		snprintf(how, sizeof(how), " (no mechanism matched)");
	else
		how[0] = '\0';
	switch (ev->result) {
	case SPF_PASS:
		snprintf(line, sz, "domain of %s designates %s as "
		    "permitted sender%s", ev->sender, ev->ip_text, how);
		break;
	case SPF_FAIL:
		snprintf(line, sz, "domain of %s does not designate "
		    "%s as permitted sender%s", ev->sender, ev->ip_text, how);
		break;
	case SPF_SOFTFAIL:
		snprintf(line, sz, "domain of transitioning %s does "
		    "not designate %s as permitted sender%s", ev->sender,
		    ev->ip_text, how);
		break;
	case SPF_NEUTRAL:
		snprintf(line, sz, "%s is neither permitted nor "
		    "denied by domain of %s%s", ev->ip_text, ev->sender, how);
		break;
	case SPF_NONE:
		if (!ev->domain_ok && ev->domain[0] == '\0')
			snprintf(line, sz, "no domain to check");
		else if (!ev->domain_ok)
			snprintf(line, sz, "%s is not a usable "
			    "domain name", ev->domain);
		else
			snprintf(line, sz, "domain of %s does not "
			    "designate permitted sender hosts", ev->sender);
		break;
	case SPF_TEMPERROR:
		snprintf(line, sz, "temporary error in processing "
		    "during lookup of %s: %s", ev->sender, ev->problem);
		break;
	case SPF_PERMERROR:
		snprintf(line, sz, "permanent error in processing "
		    "domain of %s: %s", ev->sender, ev->problem);
		break;
	}
}

static void
finish(struct spf_eval *ev, enum spf_result res, const char *problem)
{
	ev->done = true;
	ev->result = res;
	ev->want = W_NONE;
	if (problem != NULL)
		snprintf(ev->problem, sizeof(ev->problem), "%s", problem);
	if (res == SPF_TEMPERROR || res == SPF_PERMERROR || res == SPF_NONE) {
		ev->have_mech = false;
	}
	explain(ev);
	if (ev->explanation[0] == '\0')
		memcpy(ev->explanation, ev->comment, sizeof(ev->explanation));
}

/* The deciding term, as written; a longer one is cut. */
static void
set_mechanism(struct spf_eval *ev, const char *s, size_t len)
{
	if (len >= sizeof(ev->mechanism))
		len = sizeof(ev->mechanism) - 1;
	memcpy(ev->mechanism, s, len);
	ev->mechanism[len] = '\0';
	ev->have_mech = true;
}

static void
ask(struct spf_eval *ev, enum want w, const char *name, uint16_t type)
{
	snprintf(ev->q.name, sizeof(ev->q.name), "%s", name);
	ev->q.type = type;
	ev->want = w;
	ev->queries++;
}

static void
mech_reset(struct spf_eval *ev)
{
	ev->in_mech = false;
	ev->counted = false;
	ev->matched = false;
	dns_txts_free(ev->names, ev->nnames);
	ev->names = NULL;
	ev->nnames = ev->iname = 0;
}

/* Pushes a frame for domain (already checked) and asks for its record. */
static void
push(struct spf_eval *ev, const char *domain, bool include)
{
	struct frame	*f;

	/* Each include counts as a DNS term: the 11th is refused first. */
	assert(ev->depth < SPF_MAX_DEPTH);
	f = &ev->frames[ev->depth++];
	memset(f, 0, sizeof(*f));
	f->rec.redirect = f->rec.exp = -1;
	snprintf(f->domain, sizeof(f->domain), "%s", domain);
	f->include = include;
	ask(ev, W_RECORD, f->domain, DNS_T_TXT);
}

/*
 * The top frame's result is res, decided by term t (NULL for none):
 * hand it to the include that asked for it, or end the evaluation.
 */
static void
frame_result(struct spf_eval *ev, enum spf_result res, const struct spf_term *t)
{
	struct frame	*f;

	for (;;) {
		f = top(ev);
		if (res == SPF_TEMPERROR || res == SPF_PERMERROR) {
			finish(ev, res, NULL);
			return;
		}
		if (res == SPF_NONE && (f->include || f->redirected)) {
			if (snprintf(ev->problem, sizeof(ev->problem), "%s: no "
			    "spf record at %s", f->include ? "include" :
			    "redirect", f->domain) >= (int)sizeof(ev->problem))
				memcpy(ev->problem + sizeof(ev->problem) - 4,
				    "...", 4);
			finish(ev, SPF_PERMERROR, NULL);
			return;
		}
		if (t != NULL)
			set_mechanism(ev, t->text, t->text_len);
		if (!f->include) {
			if (res == SPF_FAIL && f->have_rec && f->rec.exp >= 0) {
				ev->result = res;
				ev->exp_state = 1;
				return;
			}
			finish(ev, res, NULL);
			return;
		}
		/* Section 5.2: only pass matches an include. */
		spf_record_fini(&f->rec);
		ev->depth--;
		mech_reset(ev);
		f = top(ev);
		t = cur_term(ev);
		if (res != SPF_PASS) {
			f->next++;
			return;
		}
		res = t->qual;
	}
}

/* A term of the top frame matched (or not). */
static void
mech_done(struct spf_eval *ev, bool match)
{
	const struct spf_term	*t = cur_term(ev);

	mech_reset(ev);
	if (match)
		frame_result(ev, t->qual, t);
	else
		top(ev)->next++;
}

/* Does addr fall within net/bits? */
static bool
in_net(const uint8_t *addr, const uint8_t *net, int bits)
{
	int	i;

	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr[i] != net[i])
			return false;
	if (bits > 0 && ((addr[i] ^ net[i]) & (0xff << (8 - bits)) & 0xff))
		return false;
	return true;
}

static uint16_t
addr_type(const struct spf_eval *ev)
{
	return ev->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA;
}

/* The macro variables for the top frame. */
static void
vars(struct spf_eval *ev, struct spf_macro_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->sender = ev->sender;
	v->domain = ev->depth > 0 ? top(ev)->domain : ev->domain;
	v->helo = ev->helo;
	v->receiver = ev->receiver;
	v->ptr = ev->p_name[0] != '\0' ? ev->p_name : NULL;
	v->ip = ev->ip;
	v->now = ev->now;
}

/*
 * Expands a domain-spec (or, NULL, the current domain) into ev->target.
 * 0: a usable name; 1: not a usable name; -1: permerror (finished).
 */
static int
expand_target(struct spf_eval *ev, const char *spec, size_t len, bool quiet)
{
	struct spf_macro_vars	v;
	struct err		err;

	if (spec == NULL) {
		snprintf(ev->target, sizeof(ev->target), "%s", top(ev)->domain);
		return 0;
	}
	vars(ev, &v);
	buf_reset(&ev->tmp);
	if (spf_macro_expand(spec, len, SPF_MACRO_DOMAIN, &v, &ev->tmp,
	    &err) == -1) {
		if (quiet)
			return 1;
		finish(ev, err.code == ERR_NOMEM ? SPF_TEMPERROR :
		    SPF_PERMERROR, err.msg);
		return -1;
	}
	if (ev->tmp.len == 0 || ev->tmp.len >= sizeof(ev->target))
		return 1;
	memcpy(ev->target, ev->tmp.data, ev->tmp.len + 1);
	return name_ok(ev->target, false) ? 0 : 1;
}

/* The PTR name of the client address. */
static void
reverse_name(const struct spf_eval *ev, char *out, size_t sz)
{
	const uint8_t	*a = ev->ip.addr;
	size_t		 i, n = 0;

	if (ev->ip.family == AF_INET) {
		snprintf(out, sz, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return;
	}
	for (i = 16; i > 0; i--)
		n += (size_t)snprintf(out + n, sz - n, "%x.%x.",
		    a[i - 1] & 0x0f, a[i - 1] >> 4);
	snprintf(out + n, sz - n, "ip6.arpa");
}

/*
 * Advances the PTR validation; true when it is done, else a question is
 * out.
 */
static bool
ptr_step(struct spf_eval *ev)
{
	char	name[80];

	if (ev->ptr_state == 2)
		return true;
	if (ev->ptr_state == 0) {
		ev->ptr_state = 1;
		reverse_name(ev, name, sizeof(name));
		ask(ev, W_PTR, name, DNS_T_PTR);
		return false;
	}
	if (ev->ipname < ev->npnames) {
		ask(ev, W_PTRADDR, ev->pnames[ev->ipname], addr_type(ev));
		return false;
	}
	ev->ptr_state = 2;
	return true;
}

/* Is name target or below it (case-insensitive)? */
static bool
name_within(const char *name, const char *target)
{
	size_t	n = strlen(name), t = strlen(target);

	if (t > 0 && target[t - 1] == '.')
		t--;
	if (n < t || strncasecmp(name + n - t, target, t) != 0)
		return false;
	return n == t || name[n - t - 1] == '.';
}

/* Chooses %{p} for the top frame's domain (section 7.3). */
static void
choose_p(struct spf_eval *ev)
{
	const char	*d = top(ev)->domain;
	size_t		 i;

	ev->p_name[0] = '\0';
	for (i = 0; i < ev->nvnames; i++)
		if (name_within(ev->vnames[i], d))
			break;
	if (i == ev->nvnames && ev->nvnames > 0)
		i = 0;
	if (i < ev->nvnames)
		snprintf(ev->p_name, sizeof(ev->p_name), "%s", ev->vnames[i]);
}

/*
 * Makes %{p} ready when uses_p: true when it is, false when a question
 * is out.
 */
static bool
p_ready(struct spf_eval *ev, bool uses_p)
{
	if (!uses_p)
		return true;
	if (!ptr_step(ev))
		return false;
	choose_p(ev);
	return true;
}

static bool
count_term(struct spf_eval *ev)
{
	if (ev->counted)
		return true;
	ev->counted = true;
	if (++ev->terms > SPF_MAX_DNS_TERMS) {
		finish(ev, SPF_PERMERROR, "more than 10 dns-querying terms");
		return false;
	}
	return true;
}

/* Starts or continues the top frame's current term. */
static void
run_term(struct spf_eval *ev)
{
	struct frame		*f = top(ev);
	const struct spf_term	*t = cur_term(ev);
	int			 r;

	switch (t->mech) {
	case SPF_MOD_REDIRECT:
	case SPF_MOD_EXP:
	case SPF_MOD_UNKNOWN:
		f->next++;
		return;
	case SPF_MECH_ALL:
		mech_done(ev, true);
		return;
	case SPF_MECH_IP4:
		mech_done(ev, ev->ip.family == AF_INET &&
		    in_net(ev->ip.addr, t->addr, t->cidr4));
		return;
	case SPF_MECH_IP6:
		mech_done(ev, ev->ip.family == AF_INET6 &&
		    in_net(ev->ip.addr, t->addr, t->cidr6));
		return;
	default:
		break;
	}
	if (ev->in_mech) {
		/* mx: the exchanges' addresses, one at a time. */
		if (ev->matched || ev->iname == ev->nnames)
			mech_done(ev, ev->matched);
		else
			ask(ev, W_MXADDR, ev->names[ev->iname], addr_type(ev));
		return;
	}
	if (!count_term(ev) || !p_ready(ev, t->uses_p))
		return;
	if (t->mech == SPF_MECH_PTR) {
		/* The validation may be cached; the term still counts. */
		if (!ptr_step(ev))
			return;
	}
	if ((r = expand_target(ev, t->spec, t->spec_len, false)) == -1)
		return;
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		if (r == 1) {
			snprintf(ev->problem, sizeof(ev->problem), "include: "
			    "no usable domain");
			finish(ev, SPF_PERMERROR, NULL);
			return;
		}
		/* The included record's terms keep their own state. */
		mech_reset(ev);
		push(ev, ev->target, true);
		return;
	case SPF_MECH_PTR: {
		size_t	i;

		for (i = 0; r == 0 && i < ev->nvnames; i++)
			if (name_within(ev->vnames[i], ev->target))
				break;
		mech_done(ev, r == 0 && i < ev->nvnames);
		return;
	}
	default:
		break;
	}
	if (r == 1) {
		/* Not a name DNS could hold: no such name (section 4.3). */
		mech_done(ev, false);
		return;
	}
	ev->in_mech = true;
	if (t->mech == SPF_MECH_A)
		ask(ev, W_A, ev->target, addr_type(ev));
	else if (t->mech == SPF_MECH_MX)
		ask(ev, W_MX, ev->target, DNS_T_MX);
	else
		ask(ev, W_EXISTS, ev->target, DNS_T_A);
}

/* No term matched: redirect= or the default, neutral (section 4.7). */
static void
no_match(struct spf_eval *ev)
{
	struct frame		*f = top(ev);
	const struct spf_term	*t;
	char			 target[NAME_SZ];
	int			 r;

	if (f->rec.redirect < 0) {
		if (!f->include)
			set_mechanism(ev, "default", 7);
		frame_result(ev, SPF_NEUTRAL, NULL);
		return;
	}
	t = &f->rec.terms[f->rec.redirect];
	if (!p_ready(ev, t->uses_p))
		return;
	if (!count_term(ev))
		return;
	if ((r = expand_target(ev, t->spec, t->spec_len, false)) == -1)
		return;
	ev->counted = false;
	if (r == 1) {
		finish(ev, SPF_PERMERROR, "redirect: no usable domain");
		return;
	}
	/* The new record replaces this one, include or not. */
	memcpy(target, ev->target, sizeof(target));
	spf_record_fini(&f->rec);
	memset(f->domain, 0, sizeof(f->domain));
	snprintf(f->domain, sizeof(f->domain), "%s", target);
	f->have_rec = false;
	f->redirected = true;
	f->next = 0;
	ask(ev, W_RECORD, f->domain, DNS_T_TXT);
}

/* exp= of the top frame, after a fail (section 6.2). */
static void
run_exp(struct spf_eval *ev)
{
	struct frame		*f = top(ev);
	const struct spf_term	*t = &f->rec.terms[f->rec.exp];
	struct spf_macro_vars	 v;
	struct err		 err;
	bool			 uses_p = false;

	if (ev->exp_state == 1) {
		if (!p_ready(ev, t->uses_p))
			return;
		if (expand_target(ev, t->spec, t->spec_len, true) != 0) {
			finish(ev, SPF_FAIL, NULL);
			return;
		}
		ask(ev, W_EXP, ev->target, DNS_T_TXT);
		return;
	}
	if (spf_macro_check(ev->exp_text, strlen(ev->exp_text),
	    SPF_MACRO_EXP, &uses_p, &err) == -1) {
		finish(ev, SPF_FAIL, NULL);
		return;
	}
	if (!p_ready(ev, uses_p))
		return;
	vars(ev, &v);
	buf_reset(&ev->tmp);
	if (spf_macro_expand(ev->exp_text, strlen(ev->exp_text),
	    SPF_MACRO_EXP, &v, &ev->tmp, &err) == 0 && ev->tmp.len > 0) {
		snprintf(ev->explanation, sizeof(ev->explanation), "%s",
		    ev->tmp.data);
	}
	finish(ev, SPF_FAIL, NULL);
}

enum spf_step
spf_eval_next(struct spf_eval *ev, time_t now, struct dns_question *q_out,
    enum spf_result *res_out)
{
	struct frame	*f;

	ev->now = now;
	while (!ev->done) {
		if (ev->want != W_NONE) {
			*q_out = ev->q;
			return SPF_STEP_QUERY;
		}
		if (!ev->started) {
			ev->started = true;
			if (!ev->domain_ok) {
				finish(ev, SPF_NONE, NULL);
				break;
			}
			push(ev, ev->domain, false);
			continue;
		}
		f = top(ev);
		if (ev->exp_state > 0)
			run_exp(ev);
		else if (!f->have_rec)
			/* An answer took the record in; never here. */
			finish(ev, SPF_TEMPERROR, "internal: no record");
		else if (f->next < f->rec.nterms)
			run_term(ev);
		else
			no_match(ev);
	}
	*res_out = ev->result;
	return SPF_STEP_DONE;
}

/* A status that ends the evaluation with temperror (section 5). */
static bool
is_error(enum dns_status st)
{
	return st == DNS_SERVFAIL || st == DNS_TIMEOUT || st == DNS_MALFORMED;
}

static void
dns_error(struct spf_eval *ev, enum dns_status st)
{
	char	msg[160];

	snprintf(msg, sizeof(msg), "dns %s for %.120s", dns_status_str(st),
	    ev->q.name);
	finish(ev, SPF_TEMPERROR, msg);
}

/* Counts a void look-up; false when that passes the limit (finished). */
static bool
void_lookup(struct spf_eval *ev)
{
	if (++ev->voids > SPF_MAX_VOID) {
		finish(ev, SPF_PERMERROR, "more than 2 void lookups");
		return false;
	}
	return true;
}

static void
answer_record(struct spf_eval *ev, enum dns_status st,
    const struct dns_msg *msg)
{
	struct frame	*f = top(ev);
	struct dns_txt	*txts = NULL;
	struct err	 err;
	size_t		 n = 0, i, found = 0, which = 0;

	if (is_error(st)) {
		dns_error(ev, st);
		return;
	}
	if (st == DNS_OK && msg != NULL && dns_msg_txts_bin(msg, ev->q.name,
	    &txts, &n, &err) == -1) {
		finish(ev, SPF_TEMPERROR, err.msg);
		return;
	}
	/* Section 4.5: records starting "v=spf1", NUL bytes and all. */
	for (i = 0; i < n; i++)
		if (spf_record_is_spf(txts[i].data)) {
			found++;
			which = i;
		}
	if (found == 0) {
		dns_txts_bin_free(txts, n);
		frame_result(ev, SPF_NONE, NULL);
		return;
	}
	if (found > 1) {
		dns_txts_bin_free(txts, n);
		snprintf(ev->problem, sizeof(ev->problem), "%zu spf records "
		    "at %.100s", found, f->domain);
		finish(ev, SPF_PERMERROR, NULL);
		return;
	}
	if (memchr(txts[which].data, '\0', txts[which].len) != NULL) {
		dns_txts_bin_free(txts, n);
		snprintf(ev->problem, sizeof(ev->problem), "%.100s: nul byte "
		    "in the spf record", f->domain);
		finish(ev, SPF_PERMERROR, NULL);
		return;
	}
	if (spf_record_parse(txts[which].data, &f->rec, &err) == -1) {
		dns_txts_bin_free(txts, n);
		snprintf(ev->problem, sizeof(ev->problem), "%.60s: %.90s",
		    f->domain, err.msg);
		finish(ev, err.code == ERR_NOMEM ? SPF_TEMPERROR :
		    SPF_PERMERROR, NULL);
		return;
	}
	dns_txts_bin_free(txts, n);
	f->have_rec = true;
	f->next = 0;
}

/* Does the answer hold the client's address within the term's CIDR? */
static int
answer_addrs(struct spf_eval *ev, const struct dns_msg *msg, int bits,
    bool *match, size_t *count, struct err *err)
{
	struct dns_addr	*a;
	size_t		 n, i;

	*match = false;
	if (dns_msg_addrs(msg, ev->q.name, ev->q.type, &a, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (a[i].family == ev->ip.family &&
		    in_net(ev->ip.addr, a[i].addr, bits))
			*match = true;
	free(a);
	*count = n;
	return 0;
}

/*
 * The PTR validation (sections 5.5 and 4.6.4): DNS errors only leave
 * names unvalidated; running out of memory is a temperror.
 */
static void
answer_ptr(struct spf_eval *ev, enum want w, enum dns_status st,
    const struct dns_msg *msg)
{
	struct err	  e;
	char		**names;
	size_t		  n = 0, i;
	bool		  match = false;

	if (w == W_PTR) {
		if (st == DNS_OK && dns_msg_names(msg, ev->q.name, DNS_T_PTR,
		    &names, &n, &e) == -1) {
			if (e.code == ERR_NOMEM) {
				finish(ev, SPF_TEMPERROR, e.msg);
				return;
			}
			n = 0;
			names = NULL;
		}
		if (n > 0) {
			/* The first 10 only. */
			for (i = SPF_MAX_PTR_NAMES; i < n; i++)
				free(names[i]);
			ev->pnames = names;
			ev->npnames = n > SPF_MAX_PTR_NAMES ?
			    SPF_MAX_PTR_NAMES : n;
		}
		if ((st == DNS_NXDOMAIN || st == DNS_NODATA ||
		    (st == DNS_OK && n == 0)) && !void_lookup(ev))
			return;
		if ((ev->vnames = calloc(ev->npnames + 1,
		    sizeof(*ev->vnames))) == NULL)
			finish(ev, SPF_TEMPERROR, "out of memory");
		return;
	}
	if (st == DNS_OK && answer_addrs(ev, msg, ev->ip.family == AF_INET ?
	    32 : 128, &match, &n, &e) == -1 && e.code == ERR_NOMEM) {
		finish(ev, SPF_TEMPERROR, e.msg);
		return;
	}
	if (match) {
		if ((ev->vnames[ev->nvnames] =
		    strdup(ev->pnames[ev->ipname])) == NULL) {
			finish(ev, SPF_TEMPERROR, "out of memory");
			return;
		}
		ev->nvnames++;
	}
	ev->ipname++;
}

int
spf_eval_answer(struct spf_eval *ev, enum dns_status st,
    const struct dns_msg *msg, struct err *err)
{
	const struct spf_term	*t;
	struct err		 e;
	enum want		 w = ev->want;
	char			**names;
	size_t			 n, i;
	bool			 match = false;
	int			 bits;

	if (w == W_NONE || ev->done) {
		err_set(err, SPF_E_STATE, "spf: no question pending");
		return -1;
	}
	ev->want = W_NONE;
	if ((st == DNS_OK || st == DNS_NODATA) && msg == NULL)
		st = DNS_NODATA;
	if (w == W_RECORD) {
		answer_record(ev, st, msg);
		return 0;
	}
	if (w == W_EXP) {
		if (st == DNS_OK && dns_msg_txts(msg, ev->q.name, &names, &n,
		    &e) == 0) {
			if (n == 1) {
				ev->exp_text = names[0];
				names[0] = NULL;
			}
			dns_txts_free(names, n);
		}
		if (ev->exp_text == NULL)
			finish(ev, SPF_FAIL, NULL);
		else
			ev->exp_state = 2;
		return 0;
	}
	if (w == W_PTR || w == W_PTRADDR) {
		answer_ptr(ev, w, st, msg);
		return 0;
	}
	t = cur_term(ev);
	if (is_error(st)) {
		dns_error(ev, st);
		return 0;
	}
	bits = ev->ip.family == AF_INET ? t->cidr4 : t->cidr6;
	switch (w) {
	case W_A:
	case W_EXISTS:
		n = 0;
		if (st == DNS_OK && answer_addrs(ev, msg, w == W_EXISTS ? 0 :
		    bits, &match, &n, &e) == -1) {
			finish(ev, SPF_TEMPERROR, e.msg);
			return 0;
		}
		if (n == 0 && !void_lookup(ev))
			return 0;
		/* exists: any A record, whatever the client's family. */
		mech_done(ev, w == W_EXISTS ? n > 0 : match);
		return 0;
	case W_MX:
		names = NULL;
		n = 0;
		if (st == DNS_OK && dns_msg_names(msg, ev->q.name, DNS_T_MX,
		    &names, &n, &e) == -1) {
			finish(ev, SPF_TEMPERROR, e.msg);
			return 0;
		}
		if (n > SPF_MAX_MX_NAMES) {
			dns_txts_free(names, n);
			finish(ev, SPF_PERMERROR, "more than 10 mx names");
			return 0;
		}
		if (n == 0 && !void_lookup(ev))
			return 0;
		/* The null MX (RFC 7505) names the root: nothing to ask. */
		for (i = 0; i < n; i++)
			if (strcmp(names[i], ".") == 0)
				names[i][0] = '\0';
		ev->names = names;
		ev->nnames = n;
		ev->iname = 0;
		while (ev->iname < ev->nnames &&
		    ev->names[ev->iname][0] == '\0')
			ev->iname++;
		return 0;
	case W_MXADDR:
		if (st == DNS_OK && answer_addrs(ev, msg, bits, &match, &n,
		    &e) == -1) {
			finish(ev, SPF_TEMPERROR, e.msg);
			return 0;
		}
		ev->matched = match;
		ev->iname++;
		while (ev->iname < ev->nnames &&
		    ev->names[ev->iname][0] == '\0')
			ev->iname++;
		return 0;
	default:
		break;
	}
	return 0;
}

const char *
spf_eval_explanation(const struct spf_eval *ev)
{
	return ev->done ? ev->explanation : NULL;
}

const char *
spf_eval_mechanism(const struct spf_eval *ev)
{
	return ev->done && ev->have_mech ? ev->mechanism : NULL;
}

const char *
spf_eval_problem(const struct spf_eval *ev)
{
	return ev->done && (ev->result == SPF_TEMPERROR ||
	    ev->result == SPF_PERMERROR) ? ev->problem : NULL;
}

const char *
spf_eval_sender(const struct spf_eval *ev)
{
	return ev->sender;
}

const char *
spf_eval_domain(const struct spf_eval *ev)
{
	return ev->domain;
}

const char *
spf_eval_identity(const struct spf_eval *ev)
{
	return ev->helo_id ? "helo" : "mailfrom";
}

size_t
spf_eval_queries(const struct spf_eval *ev)
{
	return ev->queries;
}

int
spf_eval_terms(const struct spf_eval *ev)
{
	return ev->terms;
}

int
spf_eval_voids(const struct spf_eval *ev)
{
	return ev->voids;
}


/*
 * Received-SPF (section 9.1): "Received-SPF:" result, a comment, then
 * key-value pairs, each value a dot-atom or a quoted-string (RFC 5322).
 */
struct fold {
	struct buf	*out;
	size_t		 col;
	struct err	*err;
	int		 rc;
};

/* Appends a word, after a space or a fold to stay within 78 columns. */
static void
fold_word(struct fold *fo, const char *w, size_t len, bool space)
{
	if (fo->rc == -1)
		return;
	if (space && fo->col + 1 + len > 78 && fo->col > 1) {
		fo->rc = buf_add(fo->out, "\r\n ", 3, fo->err);
		fo->col = 1;
	} else if (space) {
		fo->rc = buf_addc(fo->out, ' ', fo->err);
		fo->col++;
	}
	if (fo->rc == 0)
		fo->rc = buf_add(fo->out, w, len, fo->err);
	fo->col += len;
}

static bool
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
is_dot_atom(const char *s)
{
	size_t	i;

	if (*s == '\0' || *s == '.')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '.' ? s[i + 1] == '.' || s[i + 1] == '\0' :
		    !is_atext((unsigned char)s[i]))
			return false;
	return true;
}

static void
fold_pair(struct fold *fo, struct buf *w, const char *key, const char *val,
    bool last)
{
	const char	*p;

	buf_reset(w);
	if (buf_printf(w, fo->err, "%s=", key) == -1) {
		fo->rc = -1;
		return;
	}
	if (is_dot_atom(val))
		fo->rc = buf_adds(w, val, fo->err);
	else {
		fo->rc = buf_addc(w, '"', fo->err);
		for (p = val; fo->rc == 0 && *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				fo->rc = buf_addc(w, '\\', fo->err);
			if (fo->rc == 0)
				fo->rc = buf_addc(w, (unsigned char)*p < 0x20 ||
				    (unsigned char)*p > 0x7e ? '?' : *p,
				    fo->err);
		}
		if (fo->rc == 0)
			fo->rc = buf_addc(w, '"', fo->err);
	}
	if (fo->rc == 0 && !last)
		fo->rc = buf_addc(w, ';', fo->err);
	if (fo->rc == 0)
		fold_word(fo, w->data, w->len, true);
}

int
spf_received_spf(const struct spf_eval *ev, struct buf *out, struct err *err)
{
	struct fold	 fo = { out, 0, err, 0 };
	struct buf	 w;
	const char	*c, *e;
	size_t		 start = out->len;

	if (!ev->done) {
		err_set(err, SPF_E_STATE, "received-spf: evaluation not done");
		return -1;
	}
	buf_init(&w, 4096);
	fold_word(&fo, "Received-SPF:", 13, false);
	c = spf_result_str(ev->result);
	fold_word(&fo, c, strlen(c), true);
	/* The comment, word by word, its specials escaped. */
	buf_reset(&w);
	if (buf_printf(&w, err, "(%s: %s)", ev->receiver,
	    ev->comment) == -1)
		fo.rc = -1;
	for (c = w.data; fo.rc == 0 && c != NULL && *c != '\0'; c = e) {
		struct buf	word;
		const char	*p;

		while (*c == ' ')
			c++;
		if (*c == '\0')
			break;
		for (e = c; *e != '\0' && *e != ' '; e++)
			;
		buf_init(&word, 4096);
		for (p = c; fo.rc == 0 && p < e; p++) {
			bool	edge = p == w.data || p == w.data + w.len - 1;

			if (!edge && (*p == '(' || *p == ')' || *p == '\\'))
				fo.rc = buf_addc(&word, '\\', err);
			if (fo.rc == 0)
				fo.rc = buf_addc(&word, (unsigned char)*p <
				    0x20 || (unsigned char)*p > 0x7e ? '?' : *p,
				    err);
		}
		if (fo.rc == 0)
			fold_word(&fo, word.data, word.len, true);
		buf_fini(&word);
	}
	fold_pair(&fo, &w, "client-ip", ev->ip_text, false);
	fold_pair(&fo, &w, "envelope-from", ev->mail_from, false);
	if (ev->helo != NULL && *ev->helo != '\0')
		fold_pair(&fo, &w, "helo", ev->helo, false);
	if (ev->result == SPF_TEMPERROR || ev->result == SPF_PERMERROR)
		fold_pair(&fo, &w, "problem", ev->problem, false);
	fold_pair(&fo, &w, "identity", spf_eval_identity(ev), false);
	fold_pair(&fo, &w, "receiver", ev->receiver, !ev->have_mech);
	if (ev->have_mech)
		fold_pair(&fo, &w, "mechanism", ev->mechanism, true);
	if (fo.rc == 0)
		fo.rc = buf_add(out, "\r\n", 2, err);
	buf_fini(&w);
	if (fo.rc == -1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}
