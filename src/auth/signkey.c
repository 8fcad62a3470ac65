/*
 * signkey.c: the files of online signing in its state directory
 * (docs/interface.md, "timbre-primaryd"): each zone's key, ZONE.key, in
 * the BIND private-key format ldns reads and writes (mode 0600, in a
 * directory of mode 0700, never in git), and the last version signed,
 * ZONE.signed, a master file.  The key is made once, when a zone is first
 * signed; a zone that has been signed (its ZONE.signed is there) never
 * gets a new key silently, since the DS its parent holds names the old
 * one: a key file gone or unreadable stops signing that zone, and the
 * saved version is served.  The saved version also carries the
 * signatures' schedule over a restart: those still good are kept
 * (sign.c).
 *
 * Every key is a CSK (flags 257: it signs the DNSKEY RRset and the rest),
 * ECDSA P-256 with SHA-256 (RFC 6605) or Ed25519 (RFC 8080).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define CSK_FLAGS	257		/* zone key, secure entry point */

/* dir/zone + suffix, for a zone name that may be a file name. */
static int
state_path(char *out, size_t len, const char *dir, const char *zone,
    const char *suffix, struct err *err)
{
	if (zone[0] == '\0' || zone[0] == '.' || strchr(zone, '/') != NULL) {
		err_set(err, ERR_ARG, "zone %s: not a name for a key file",
		    zone);
		return -1;
	}
	if ((size_t)snprintf(out, len, "%s/%s%s", dir, zone, suffix) >= len) {
		err_set(err, ERR_LIMIT, "%s/%s%s: path too long", dir, zone,
		    suffix);
		return -1;
	}
	return 0;
}

int
auth_sign_alg(const char *name, int *alg_out)
{
	if (strcmp(name, "ecdsap256") == 0)
		*alg_out = LDNS_SIGN_ECDSAP256SHA256;
	else if (strcmp(name, "ed25519") == 0) {
		/* Debian 11's ldns 1.7.1 is built without Ed25519. */
#if defined(LDNS_BUILD_CONFIG_USE_ED25519) && LDNS_BUILD_CONFIG_USE_ED25519
		*alg_out = LDNS_SIGN_ED25519;
#else
		return -2;
#endif
	} else
		return -1;
	return 0;
}

/* Readies a key read or made for zone: its flags, owner and tag. */
static int
key_ready(ldns_key *k, const char *zone, struct err *err)
{
	ldns_rdf	*owner;
	ldns_rr		*rr;

	if ((owner = ldns_dname_new_frm_str(zone)) == NULL) {
		err_set(err, ERR_ARG, "zone %s: not a domain name", zone);
		return -1;
	}
	ldns_key_set_pubkey_owner(k, owner);
	ldns_key_set_flags(k, CSK_FLAGS);
	ldns_key_set_use(k, true);
	if ((rr = ldns_key2rr(k)) == NULL) {
		err_set(err, ERR_CRYPTO, "zone %s: the key has no public "
		    "part", zone);
		return -1;
	}
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_rr_free(rr);
	return 0;
}

/* Writes a new key for zone to path (which must not exist). */
static ldns_key *
key_make(const char *path, const char *zone, int alg, struct err *err)
{
	ldns_key	*k;
	FILE		*fp;
	int		 fd;

	if ((k = ldns_key_new_frm_algorithm((ldns_signing_algorithm)alg,
	    256)) == NULL) {
		err_set(err, ERR_CRYPTO, "zone %s: no key made", zone);
		return NULL;
	}
	if (key_ready(k, zone, err) == -1)
		goto fail;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		goto fail;
	}
	ldns_key_print(fp, k);
	if (fflush(fp) != 0 || fsync(fd) == -1 || ferror(fp)) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		fclose(fp);
		unlink(path);
		goto fail;
	}
	fclose(fp);
	return k;
fail:
	ldns_key_deep_free(k);
	return NULL;
}

static ldns_key *
key_read(const char *path, const char *zone, struct err *err)
{
	ldns_key	*k = NULL;
	ldns_status	 st;
	FILE		*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	st = ldns_key_new_frm_fp(&k, fp);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		err_set(err, ERR_SYNTAX, "%s: not a key: %s", path,
		    ldns_get_errorstr_by_id(st));
		return NULL;
	}
	if (key_ready(k, zone, err) == -1) {
		ldns_key_deep_free(k);
		return NULL;
	}
	return k;
}

ldns_key_list *
auth_sign_keys_load(const char *dir, const char *zone, int alg,
    bool *made_out, struct err *err)
{
	char		 path[4096], saved[4096];
	ldns_key_list	*keys;
	ldns_key	*k;
	struct stat	 sb;

	if (made_out != NULL)
		*made_out = false;
	if (state_path(path, sizeof(path), dir, zone, ".key", err) == -1 ||
	    state_path(saved, sizeof(saved), dir, zone, ".signed",
	    err) == -1)
		return NULL;
	if (alg != 0 && stat(path, &sb) == -1 && errno == ENOENT) {
		if (stat(saved, &sb) == 0) {
			err_set(err, ERR_IO, "%s: missing, but the zone was "
			    "signed with it: no new key made (the parent's DS "
			    "names the old one)", path);
			return NULL;
		}
		k = key_make(path, zone, alg, err);
		if (k != NULL && made_out != NULL)
			*made_out = true;
	} else
		k = key_read(path, zone, err);
	if (k == NULL)
		return NULL;
	if ((keys = ldns_key_list_new()) == NULL ||
	    !ldns_key_list_push_key(keys, k)) {
		ldns_key_deep_free(k);
		if (keys != NULL)
			ldns_key_list_free(keys);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return keys;
}

void
auth_sign_keys_free(ldns_key_list *keys)
{
	/* ldns_key_list_free frees the keys too (deeply). */
	if (keys != NULL)
		ldns_key_list_free(keys);
}

int
auth_sign_dir(const char *dir, struct err *err)
{
	struct stat	sb;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		err_set(err, ERR_IO, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1) {
		err_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) == -1) {
		err_set(err, ERR_IO, "chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
auth_sign_save(const char *dir, const struct auth_zone *z, struct err *err)
{
	char		 path[4096], tmp[4200];
	struct buf	 b;
	int		 fd = -1, rc = -1;

	if (state_path(path, sizeof(path), dir, z->name, ".signed",
	    err) == -1)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	buf_init(&b, 256 * 1024 * 1024);
	if (auth_zone_text(z, &b, err) == -1)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, b.data, b.len) != (ssize_t)b.len ||
	    fsync(fd) == -1 || close(fd) == -1) {
		err_set(err, ERR_IO, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			(void)close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	buf_fini(&b);
	return rc;
}

struct auth_zone *
auth_sign_saved(const char *dir, const struct auth_zone *plain,
    struct err *err)
{
	char			 path[4096];
	struct auth_zone	*z;
	struct stat		 sb;
	char			*text;
	FILE			*fp;
	size_t			 n;

	if (state_path(path, sizeof(path), dir, plain->name, ".signed",
	    err) == -1)
		return NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &sb) == -1 || sb.st_size < 0 ||
	    sb.st_size > 256 * 1024 * 1024 ||
	    (text = malloc((size_t)sb.st_size + 1)) == NULL) {
		err_set(err, ERR_IO, "%s: unreadable or too large", path);
		fclose(fp);
		return NULL;
	}
	n = fread(text, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	z = auth_zone_load(plain->name, text, n, path, err);
	free(text);
	if (z != NULL)
		z->plain = auth_zone_ref((struct auth_zone *)plain);
	return z;
}
