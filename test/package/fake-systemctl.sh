#!/bin/sh
# A stand-in for systemctl inside the package test's chroot, where systemd
# cannot run as init. It is simulated service management, but it executes the
# PACKAGE'S OWN unit file: ExecStartPre/ExecStart on start, every ExecReload
# line with $MAINPID on reload, KillSignal on stop, EnvironmentFile read first.
# Not simulated: Type=notify readiness (it does not wait for READY=1),
# the watchdog, and the capability bounding set.
# Every call is appended to /run/fake-systemd/calls.log for the test.
set -u
state=/run/fake-systemd
mkdir -p "$state"
echo "$*" >>"$state/calls.log"

action=
unit=
for a in "$@"; do
	case "$a" in
	-*) ;;
	*) if [ -z "$action" ]; then action=$a; elif [ -z "$unit" ]; then unit=$a; fi ;;
	esac
done
case "$unit" in *.service) ;; ?*) unit=$unit.service ;; esac

unitfile=/lib/systemd/system/$unit
pidfile=$state/$unit.pid

directives() { # the values of KEY= lines of the unit, one a line
	sed -n "s/^$1=//p" "$unitfile"
}
mainpid() {
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}
load_env() {
	for f in $(directives EnvironmentFile); do
		f=${f#-}
		if [ -r "$f" ]; then set -a; . "$f"; set +a; fi
	done
}
run_lines() { # run each KEY= command; stop at the first failure, like systemd
	directives "$1" >"$state/lines"
	while IFS= read -r cmd; do
		MAINPID=${MAINPID:-}
		eval "$cmd" </dev/null || return 1
	done <"$state/lines"
}

case "$action" in
daemon-reload) exit 0 ;;
is-enabled)
	if [ -e "/etc/systemd/system/multi-user.target.wants/$unit" ]; then echo enabled; exit 0; fi
	echo disabled
	exit 1
	;;
is-active)
	if mainpid >/dev/null; then echo active; exit 0; fi
	echo inactive
	exit 3
	;;
start)
	mainpid >/dev/null && exit 0
	load_env
	run_lines ExecStartPre || exit 1
	cmd=$(directives ExecStart)
	# setsid + own log: the daemon must not hold dpkg's output pipes open
	# exec: the background subshell becomes the daemon, so $! is its pid
	eval "exec setsid $cmd" </dev/null >>"$state/$unit.log" 2>&1 &
	echo $! >"$pidfile"
	exit 0
	;;
reload)
	MAINPID=$(mainpid) || { echo "$unit is not active, cannot reload" >&2; exit 1; }
	export MAINPID
	load_env
	run_lines ExecReload
	exit $?
	;;
stop)
	pid=$(mainpid) || exit 0
	sig=$(directives KillSignal)
	kill -s "${sig#SIG}" "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$pidfile"
	exit 0
	;;
*)
	echo "fake systemctl: $action not simulated" >&2
	exit 1
	;;
esac
