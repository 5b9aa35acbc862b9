# debs.sh - sourced by the packaging tests that need the Debian packages
# (debs_test.sh, nspawn_test.sh): build them once per state of the tree.
#
# debs_ready WORKDIR makes "make dist" of the build tree, and builds the
# packages from that tarball with packaging/build-debs.sh unless
# $top_builddir/tests/packaging/debs/ already holds the packages of a
# tarball with the same file names and contents (a dist made by another
# test of the same suite).  It sets $debs to the folder of the .deb,
# .changes and .buildinfo files and $debs_how to "built in N s" or
# "reused", and returns non-zero (logs in WORKDIR: dist.log, build.err)
# when the build fails.  A lock serialises the tests that need the
# packages at the same time (make -j check), so the second one waits for
# the first one's build and reuses it.  The build is bounded to 600 s.
#
# Needs: $top_builddir, $top_srcdir, $MAKE (or make), gzip, tar, sha256sum.

debs_ready() {
	_dw=$1
	_dd=$top_builddir/tests/packaging/debs
	debs=
	debs_how=
	mkdir -p "$_dd" || return 1
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$_dd/lock"
		if ! flock -w 700 9; then
			echo "debs.sh: $_dd/lock held for 700 s" >"$_dw/build.err"
			exec 9>&-
			return 1
		fi
	fi
	debs_ready_locked "$_dw"
	_dr=$?
	# A copy of its own, taken under the lock: a later call for another
	# state of the tree removes the shared folder, maybe while this test
	# still reads it.
	if [ $_dr -eq 0 ]; then
		if cp -a "$debs" "$_dw/debs"; then
			debs=$_dw/debs
		else
			echo "debs.sh: cannot copy $debs to $_dw/debs" \
			    >"$_dw/build.err"
			_dr=1
		fi
	fi
	exec 9>&-
	return $_dr
}

debs_ready_locked() {
	_dw=$1
	_t0=$(date +%s)
	if ! (cd "$top_builddir" && ${MAKE:-make} dist-gzip \
	    distdir=fbdebs-dist) >"$_dw/dist.log" 2>&1; then
		echo "debs.sh: make dist-gzip failed in $top_builddir" \
		    >"$_dw/build.err"
		return 1
	fi
	mv "$top_builddir/fbdebs-dist.tar.gz" "$_dw/fbdebs-dist.tar.gz" ||
	    return 1
	# The names and contents, not the tar headers (a dist has fresh
	# directory times).
	_dk=$( { tar -tzf "$_dw/fbdebs-dist.tar.gz" &&
	    tar -xzOf "$_dw/fbdebs-dist.tar.gz"; } | sha256sum | cut -c1-16)
	[ -n "$_dk" ] || return 1
	if [ -f "$_dd/$_dk/complete" ]; then
		debs=$_dd/$_dk
		debs_how=reused
		return 0
	fi
	# Another state of the tree: its packages are of no further use.
	for _do in "$_dd"/*/; do
		[ -d "$_do" ] && rm -rf "$_do"
	done
	if ! TMPDIR=$_dw timeout -k 10 600 "$top_srcdir/packaging/build-debs.sh" \
	    -o "$_dd/$_dk.new" "$_dw/fbdebs-dist.tar.gz" \
	    >"$_dw/build.out" 2>"$_dw/build.err"; then
		rm -rf "$_dd/$_dk.new"
		return 1
	fi
	touch "$_dd/$_dk.new/complete" &&
	    mv "$_dd/$_dk.new" "$_dd/$_dk" || return 1
	debs=$_dd/$_dk
	debs_how="built in $(( $(date +%s) - _t0 )) s"
	return 0
}
