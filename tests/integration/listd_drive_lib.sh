# tests/integration/listd_drive_lib.sh: what listd_deliver.sh and
# listd_mta.sh share: timbre-listd's delivery engine run by
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
