// Package httpcall carries out Conductor's HTTP system task: it makes the
// request a task's input describes and turns the response into the task's
// outcome, refusing requests to internal addresses unless the server's
// configuration allow-lists them.
//
// # Input
//
// The request is read from the task input's http_request object, or, when
// there is none, from the same fields at the top level of the input (newer
// Conductor versions accept both):
//
//	uri                the URL to call; http or https only (required)
//	method             GET (default), PUT, POST, PATCH, DELETE, OPTIONS, HEAD or TRACE, any case
//	headers            name -> string, or name -> list of strings
//	body               a string is sent as-is; anything else is sent as JSON
//	accept             the Accept header; default application/json
//	contentType        the Content-Type of the body; default application/json
//	connectionTimeOut  ms to connect, including the TLS handshake; default 3000
//	readTimeOut        ms the server may stay silent, for the response headers and
//	                   then between pieces of the body; default 3000
//
// An explicit Accept, Content-Type or User-Agent in headers wins over accept,
// contentType and the configured user agent, and a Host header is sent as
// given. Content-Type is sent only with a body. Timeouts may be numbers or
// digit strings; 0 means the default. Conductor's Eureka fields (vipAddress,
// appName) are not supported.
//
// # Outcome
//
// When a response arrives the task's output is
//
//	{"response": {"statusCode": 200, "reasonPhrase": "OK",
//	              "headers": {"Content-Type": ["application/json"]},
//	              "body": <the body parsed as JSON, else the body as a string, null if empty>}}
//
// A 2xx status completes the task. Any other status fails it (FAILED, so the
// task's retry policy applies) with the reason "HTTP 404 Not Found: <the start
// of the body>", and the output is still set. Redirects are followed, at most
// 10 and only to http and https; net/http drops Authorization and Cookie
// headers when a redirect leaves the original domain. Connection failures,
// timeouts and a body
// larger than Config.MaxResponseBytes also give FAILED, with a reason naming
// the host and the cause. An invalid input (no uri, an unsupported scheme or
// method, a malformed header) and a refused destination give
// FAILED_WITH_TERMINAL_ERROR: retrying cannot change the answer. Call never
// returns a Go error.
//
// # Internal destinations (SSRF)
//
// Whoever can define a workflow can make the server send requests, so without
// a check a workflow could reach what only the server can reach: the cloud
// metadata service at 169.254.169.254 (and its credentials), Baton's own
// admin API on loopback, and services on the private network. Unless the
// address is inside a Config.Allow prefix, these destinations are refused:
//
//	loopback          127.0.0.0/8, ::1
//	unspecified       0.0.0.0/8, ::
//	private           10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7 (unique local)
//	link-local        169.254.0.0/16 (cloud metadata), fe80::/10
//	cloud metadata    fd00:ec2::254 (AWS IPv6), 192.0.0.0/24 (holds Oracle's legacy 192.0.0.192)
//	shared            100.64.0.0/10 (carrier-grade NAT; holds Alibaba's 100.100.100.200)
//	multicast         224.0.0.0/4, ff00::/8
//	broadcast, other  255.255.255.255, 240.0.0.0/4, 198.18.0.0/15 (benchmarking)
//	deprecated IPv6   ::/96 (IPv4-compatible), fec0::/10 (site-local)
//	NAT64             64:ff9b::/96 is judged by the IPv4 address it embeds; 64:ff9b:1::/48 is refused
//
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4
// address they carry, both when checked and when matched against Allow.
//
// The check is made on the addresses actually connected to, after DNS
// resolution, not on the text of the URL: the Transport's dialer resolves
// the host itself, refuses the whole request if any resolved address is
// refused, and then connects to the checked address literally, so a name
// that resolves to a public address when checked and to an internal one when
// connecting (DNS rebinding) gains nothing. The socket's Control hook checks
// the address once more just before connect. Because every connection goes
// through that dialer, the check also applies to every redirect. Proxies from
// the environment are not used: through a proxy the address checked would be
// the proxy's. A host written as a number in the forms inet_aton(3) and
// browsers accept (2130706433, 0x7f.1, 0177.0.0.1) is read as the IPv4
// address it denotes and checked as such.
//
// A refusal is FAILED_WITH_TERMINAL_ERROR with a reason such as
//
//	request to 169.254.169.254:80 refused: link-local addresses (cloud metadata) are not allowed; allow-list the network in the server configuration to permit it
//
// # Limits
//
// The response body is read up to Config.MaxResponseBytes after
// decompression, so a small compressed body cannot expand without bound.
// Response headers are capped at 1 MiB. Only HTTP/1.1 is spoken, which is what
// Conductor speaks too.
package httpcall
