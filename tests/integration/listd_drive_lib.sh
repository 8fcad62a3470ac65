# tests/integration/listd_drive_lib.sh: what listd_deliver.sh,
# listd_mta.sh, listd_tls.sh and listd_sts.sh share: timbre-listd's delivery engine run by
# tests/unit/listd/deliver_drive over a database made by timbre list
# (skips when either is not built), $DB, the list dev@lists.test and a
# query helper.  Sourced after lib.sh, with integ_init done.

DRIVE=$top_builddir/tests/unit/listd/deliver_drive
TIMBRE=$top_builddir/tools/timbre
for p in "$DRIVE" "$TIMBRE"; do
	[ -x "$p" ] || integ_skip "$p is not built"
done
integ_need_cmd sqlite3
DB=$INTEG_TMP/lists.db

# drive_list: the database, with the list dev@lists.test moderated by
# owner@a.test.
drive_list()
{
	"$TIMBRE" list create "$DB"
	"$TIMBRE" list add "$DB" --domain lists.test dev --moderator owner@a.test
}

# q SQL: what the sqlite3 shell answers on $DB.
q()
{
	sqlite3 "$DB" "$1"
}

# drive_ca CN: a test CA, $INTEG_TMP/ca.pem and ca.key (skips when
# openssl cannot make one).
drive_ca()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$INTEG_TMP/ca.key" -out "$INTEG_TMP/ca.pem" -days 30 \
	    -subj "/CN=$1" -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
	    integ_skip "openssl cannot make a CA"
}

# drive_state DOMAIN: the state and attempts of message $M's copy to
# u@DOMAIN.test.
drive_state()
{
	q "SELECT state || ' ' || attempts FROM deliveries WHERE message = $M AND recipient = 'u@$1.test'"
}

# drive_reply DOMAIN: the same copy's state and last reply.
drive_reply()
{
	q "SELECT state || ' ' || last_reply FROM deliveries WHERE message = $M AND recipient = 'u@$1.test'"
}

# drive_got ADDR: the TLS the MTA at ADDR (listd_tls_mta.py, spooling
# under $INTEG_TMP/spool) saw for each message, one a line.
drive_got()
{
	cat "$INTEG_TMP/spool/$1"/* 2>/dev/null |
	    sed -n 's/^X-Lab-TLS: \([^\r]*\)\r*$/\1/p'
}
