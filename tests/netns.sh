# netns.sh: sourced by the scripts that build test hosts in network namespaces.
# pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, a /24 address on
# each end, both up.
pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}
