package httpcall

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// blockedRange is a network that may not be called unless allow-listed, and
// what to call it in a refusal.
type blockedRange struct {
	prefix netip.Prefix
	what   string
}

// blockedRanges is checked in order, so the more specific ranges come first
// and name the address better.
var blockedRanges = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/32"), "unspecified addresses"},
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" addresses (0.0.0.0/8)`},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback addresses"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private addresses"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private addresses"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private addresses"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local addresses (cloud metadata)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT addresses"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol addresses (192.0.0.0/24, cloud metadata)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking addresses"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast addresses"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast addresses"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved addresses"},
	{netip.MustParsePrefix("::/128"), "unspecified addresses"},
	{netip.MustParsePrefix("::1/128"), "loopback addresses"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6 addresses"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata addresses"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local) addresses"},
	{netip.MustParsePrefix("fe80::/10"), "link-local addresses"},
	{netip.MustParsePrefix("fec0::/10"), "site-local addresses"},
	{netip.MustParsePrefix("ff00::/8"), "multicast addresses"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 addresses"},
}

// nat64 is the well-known NAT64 prefix; its addresses reach the IPv4 address
// in their last 32 bits, so they are judged by that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

const allowHint = "allow-list the network in the server configuration to permit it"

// policy decides which addresses may be called.
type policy struct {
	allow []netip.Prefix
}

// newPolicy returns a policy allowing the given networks. IPv4-mapped IPv6
// prefixes are turned into IPv4 ones, since addresses are unmapped before
// they are matched. It panics on an invalid prefix: netip.ParsePrefix
// already rejects malformed text, so one can only come from code.
func newPolicy(allow []netip.Prefix) policy {
	var p policy
	for _, pre := range allow {
		if !pre.IsValid() {
			panic(fmt.Sprintf("httpcall: invalid Allow prefix %v", pre))
		}
		pre = pre.Masked()
		if pre.Addr().Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(pre.Addr().Unmap(), pre.Bits()-96)
		}
		p.allow = append(p.allow, pre)
	}
	return p
}

// refusal returns why ip may not be called, or "" if it may.
func (p policy) refusal(ip netip.Addr) string {
	if !ip.IsValid() {
		return "the address is invalid"
	}
	ip = ip.WithZone("").Unmap()
	for _, pre := range p.allow {
		if pre.Contains(ip) {
			return ""
		}
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte(b[12:]))
		if why := p.refusal(v4); why != "" {
			return fmt.Sprintf("it is the NAT64 form of %s: %s", v4, why)
		}
		return ""
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(ip) {
			return r.what + " are not allowed; " + allowHint
		}
	}
	return ""
}

// parseNumericIPv4 reads host as an IPv4 address in the forms inet_aton(3)
// and the WHATWG URL standard accept: one to four parts separated by dots,
// each decimal, octal (leading 0) or hexadecimal (leading 0x), the last part
// filling the remaining bytes, so 2130706433, 0x7f.1 and 0177.0.0.1 are all
// 127.0.0.1. numeric is false when host is a name to resolve (its last label
// is not a number); err is set when it looks numeric but is not a valid
// address. Canonical dotted quads are for netip.ParseAddr.
func parseNumericIPv4(host string) (addr netip.Addr, numeric bool, err error) {
	host = strings.TrimSuffix(host, ".")
	parts := strings.Split(host, ".")
	if !numericPart(parts[len(parts)-1]) {
		return netip.Addr{}, false, nil
	}
	invalid := fmt.Errorf("host %q looks like an IPv4 address but is not a valid one", host)
	if len(parts) > 4 {
		return netip.Addr{}, true, invalid
	}
	var n uint64
	for i, part := range parts {
		v, ok := parseIPv4Part(part)
		if !ok {
			return netip.Addr{}, true, invalid
		}
		if i < len(parts)-1 {
			if v > 255 {
				return netip.Addr{}, true, invalid
			}
			n = n<<8 | v
			continue
		}
		rest := uint(8 * (4 - i)) // bits left for the last part
		if v >= 1<<rest {
			return netip.Addr{}, true, invalid
		}
		n = n<<rest | v
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true, nil
}

// numericPart reports whether s is all decimal digits, or 0x and hex
// digits: a host ending in such a label is an IPv4 address or invalid,
// never a name.
func numericPart(s string) bool {
	digits := "0123456789"
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, digits = s[2:], "0123456789abcdefABCDEF"
	} else if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(digits, s[i]) < 0 {
			return false
		}
	}
	return true
}

// parseIPv4Part reads one part of a numeric IPv4 host. A value too large
// for 64 bits comes back as the largest one, which no part may be.
func parseIPv4Part(s string) (uint64, bool) {
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true // "0x" alone is 0, as in browsers
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	if errors.Is(err, strconv.ErrRange) {
		return math.MaxUint64, true
	}
	return v, err == nil
}
