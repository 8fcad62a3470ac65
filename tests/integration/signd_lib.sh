# tests/integration/signd_lib.sh: what the timbre-signd integration tests
# share (signd_selfcheck.sh, signd_pool.sh), sourced after lib.sh and
# integ_init:
#
#	. "$top_srcdir/tests/integration/signd_lib.sh"
#	signd_need nsd smtp-sink	# skip unless built and installed
#	signd_sink_start		# smtp-sink into $SINK on $SINKPORT
#
# SIGND and TIMBRE are the programs under test.

SIGND=$top_builddir/daemons/signd/timbre-signd
TIMBRE=$top_builddir/tools/timbre

# signd_need CMD...: skip unless timbre-signd, timbre and every CMD are
# there.
signd_need()
{
	[ -x "$SIGND" ] || integ_skip "$SIGND not built"
	[ -x "$TIMBRE" ] || integ_skip "$TIMBRE not built"
	integ_need_cmd "$@"
}

# signd_sink_start: smtp-sink on 127.0.0.1:$SINKPORT (a free port),
# writing each message it takes to a file in $SINK, as nobody when root;
# its pid in SINK_PID, once it listens.
signd_sink_start()
{
	local i sink_user=

	SINK=$INTEG_TMP/sink
	mkdir -p "$SINK"
	SINKPORT=$(integ_free_port)
	[ "$(id -u)" -eq 0 ] && { chmod 755 "$INTEG_TMP";
	    chown nobody "$SINK"; sink_user="-u nobody"; }
	# shellcheck disable=SC2086
	integ_spawn "$INTEG_TMP/sink.log" smtp-sink $sink_user \
	    -d "$SINK/%Y%m%d%H%M%S." "127.0.0.1:$SINKPORT" 64
	SINK_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$SINKPORT " &&
		    return 0
		sleep 0.1
	done
}
