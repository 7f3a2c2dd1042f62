# unbound_conf.sh: sourced by the tests that run a real unbound.
# unbound_server DIR ADDRESS PORT ACL: print the "server:" block of a foreground unbound that
# keeps everything (log, pid) in DIR, listens on ADDRESS:PORT and answers ACL; the caller
# appends its own zones and options.
unbound_server() {
	cat <<CONF
server:
	interface: $2
	port: $3
	do-daemonize: no
	use-syslog: no
	logfile: "$1/unbound.log"
	chroot: ""
	username: ""
	directory: "$1"
	pidfile: "$1/unbound-own.pid"
	do-ip6: no
	access-control: $4 allow
CONF
}
