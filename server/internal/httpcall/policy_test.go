package httpcall

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPolicy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ip    string
		allow []string
		want  string // "" when allowed
	}{
		{"93.184.216.34", nil, ""},
		{"2606:2800:220:1:248:1893:25c8:1946", nil, ""},
		{"172.32.0.1", nil, ""},  // just outside 172.16.0.0/12
		{"100.128.0.1", nil, ""}, // just outside 100.64.0.0/10
		{"127.0.0.1", nil, "loopback addresses are not allowed; " + allowHint},
		{"127.255.255.254", nil, "loopback addresses"},
		{"::1", nil, "loopback addresses"},
		{"::ffff:127.0.0.1", nil, "loopback addresses"},
		{"::ffff:10.0.0.1", nil, "private addresses"},
		{"0.0.0.0", nil, "unspecified addresses"},
		{"0.1.2.3", nil, `"this network" addresses`},
		{"::", nil, "unspecified addresses"},
		{"10.255.0.1", nil, "private addresses"},
		{"172.31.255.255", nil, "private addresses"},
		{"192.168.0.1", nil, "private addresses"},
		{"fd12:3456::1", nil, "private (unique local) addresses"},
		{"169.254.169.254", nil, "link-local addresses (cloud metadata)"},
		{"fe80::1%eth0", nil, "link-local addresses"},
		{"fd00:ec2::254", nil, "cloud metadata addresses"},
		{"100.64.0.1", nil, "carrier-grade NAT addresses"},
		{"192.0.0.192", nil, "cloud metadata"},
		{"198.18.0.1", nil, "benchmarking addresses"},
		{"239.255.255.250", nil, "multicast addresses"},
		{"ff05::2", nil, "multicast addresses"},
		{"255.255.255.255", nil, "broadcast addresses"},
		{"250.1.2.3", nil, "reserved addresses"},
		{"::7f00:1", nil, "IPv4-compatible IPv6 addresses"},
		{"fec0::1", nil, "site-local addresses"},
		{"64:ff9b::a9fe:a9fe", nil, "NAT64 form of 169.254.169.254: link-local"},
		{"64:ff9b::5db8:d822", nil, ""}, // NAT64 form of 93.184.216.34
		{"64:ff9b:1::1", nil, "local-use NAT64 addresses"},
		{"", nil, "the address is invalid"},

		{"127.0.0.1", []string{"127.0.0.1/32"}, ""},
		{"::ffff:127.0.0.1", []string{"127.0.0.1/32"}, ""},
		{"127.0.0.1", []string{"::ffff:127.0.0.0/104"}, ""},
		{"127.0.0.2", []string{"127.0.0.1/32"}, "loopback addresses"},
		{"10.1.2.3", []string{"10.1.0.0/16"}, ""},
		{"10.2.0.1", []string{"10.1.0.0/16"}, "private addresses"},
		{"fe80::1%eth0", []string{"fe80::/10"}, ""},
		{"64:ff9b::7f00:1", []string{"127.0.0.1/32"}, ""},
		{"169.254.169.254", []string{"10.0.0.0/8", "169.254.169.254/32"}, ""},
	} {
		t.Run(tt.ip, func(t *testing.T) {
			var allow []netip.Prefix
			for _, p := range tt.allow {
				allow = append(allow, netip.MustParsePrefix(p))
			}
			var ip netip.Addr
			if tt.ip != "" {
				ip = netip.MustParseAddr(tt.ip)
			}
			got := newPolicy(allow).refusal(ip)
			if tt.want == "" {
				require.Empty(t, got)
			} else {
				require.Contains(t, got, tt.want)
			}
		})
	}
}

func TestNewPolicyPanicsOnInvalidPrefix(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "httpcall: invalid Allow prefix invalid Prefix", func() {
		newPolicy([]netip.Prefix{{}})
	})
}

func TestParseNumericIPv4(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host    string
		want    string // "" when not numeric or invalid
		numeric bool
	}{
		{"2130706433", "127.0.0.1", true},
		{"0x7f000001", "127.0.0.1", true},
		{"0X7F.1", "127.0.0.1", true},
		{"0x7f.0.0.1", "127.0.0.1", true},
		{"0177.0.0.1", "127.0.0.1", true},
		{"017700000001", "127.0.0.1", true},
		{"127.1", "127.0.0.1", true},
		{"127.0.1", "127.0.0.1", true},
		{"127.000.000.001", "127.0.0.1", true},
		{"127.0.0.1.", "127.0.0.1", true},
		{"0", "0.0.0.0", true},
		{"0x", "0.0.0.0", true},
		{"169.254.43518", "169.254.169.254", true},
		{"4294967295", "255.255.255.255", true},
		{"4294967296", "", true},
		{"1.2.3.256", "", true},
		{"1.2.65536", "", true},
		{"256.1", "", true},
		{"1.2.3.4.5", "", true},
		{"08.0.0.1", "", true},
		{"1.2.3.08", "", true},
		{"99999999999999999999999", "", true},
		{"example.123", "", true},
		{"1..1", "", true},
		{"example.com", "", false},
		{"1.2.3.4a", "", false},
		{"localhost", "", false},
		{"0x7f.example", "", false},
		{"-1", "", false},
		{"", "", false},
	} {
		t.Run(tt.host, func(t *testing.T) {
			addr, numeric, err := parseNumericIPv4(tt.host)
			require.Equal(t, tt.numeric, numeric)
			if tt.want == "" {
				require.False(t, addr.IsValid())
				require.Equal(t, tt.numeric, err != nil)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, addr.String())
		})
	}
}

// FuzzNumericIPv4 checks that whatever a host decodes to, its canonical
// form decodes to the same address, and that no input panics.
func FuzzNumericIPv4(f *testing.F) {
	for _, s := range []string{"2130706433", "0x7f.1", "0177.0.0.1", "127.0.0.1.", "1.2.3.256", "0x", "example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		addr, numeric, err := parseNumericIPv4(host)
		if !numeric || err != nil {
			require.False(t, addr.IsValid())
			return
		}
		again, numeric, err := parseNumericIPv4(addr.String())
		require.NoError(t, err)
		require.True(t, numeric)
		require.Equal(t, addr, again)
	})
}
