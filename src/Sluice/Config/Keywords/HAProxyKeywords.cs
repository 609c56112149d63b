namespace Sluice.Config.Keywords;

/// <summary>
/// Names that HAProxy's configuration language knows (configuration.txt §3, §4, §5), used for two things:
/// a known keyword that Sluice does not implement is refused as "not supported yet" (never ignored), and
/// an unknown one gets the nearest known name as a suggestion. Sluice's own tables say what is implemented;
/// these lists only say what exists.
/// </summary>
internal static class HAProxyKeywords
{
    public static readonly string[] SectionNames =
    [
        "global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers", "mailers",
        "program", "http-errors", "ring", "cache", "log-forward", "crt-store", "traces", "fcgi-app", "acme",
    ];

    public static readonly string[] Global =
    [
        "51degrees-data-file", "51degrees-property-name-list", "busy-polling", "ca-base", "chroot", "cluster-secret",
        "cpu-map", "cpu-policy", "crt-base", "daemon", "debug", "default-path", "description", "deviceatlas-json-file",
        "expose-experimental-directives", "external-check", "fd-hard-limit", "gid", "grace", "group",
        "h1-accept-payload-with-any-method", "h1-case-adjust", "h1-case-adjust-file", "h2-workaround-bogus-websocket-clients",
        "hard-stop-after", "harden.reject-privileged-ports.tcp", "harden.reject-privileged-ports.quic",
        "httpclient.resolvers.disabled", "httpclient.resolvers.id", "httpclient.resolvers.prefer", "httpclient.retries",
        "httpclient.ssl.ca-file", "httpclient.ssl.verify", "httpclient.timeout.connect", "insecure-fork-wanted",
        "insecure-setuid-wanted", "issuers-chain-path", "localpeer", "log", "log-send-hostname", "log-tag",
        "lua-load", "lua-load-per-thread", "lua-prepend-path", "master-worker", "max-spread-checks", "maxcompcpuusage",
        "maxcomprate", "maxconn", "maxconnrate", "maxpipes", "maxsessrate", "maxsslconn", "maxsslrate", "maxzlibmem",
        "mworker-max-reloads", "nbproc", "nbthread", "no-memory-trimming", "node", "noepoll", "noevports",
        "nogetaddrinfo", "nokqueue", "nopoll", "noreuseport", "nosplice", "numa-cpu-mapping", "pidfile",
        "pp2-never-send-local", "prealloc-fd", "presetenv", "profiling.memory", "profiling.tasks", "quiet",
        "resetenv", "set-dumpable", "set-var", "set-var-fmt", "setenv", "spread-checks", "ssl-default-bind-ciphers",
        "ssl-default-bind-ciphersuites", "ssl-default-bind-client-sigalgs", "ssl-default-bind-curves",
        "ssl-default-bind-options", "ssl-default-bind-sigalgs", "ssl-default-server-ciphers",
        "ssl-default-server-ciphersuites", "ssl-default-server-client-sigalgs", "ssl-default-server-curves",
        "ssl-default-server-options", "ssl-default-server-sigalgs", "ssl-dh-param-file", "ssl-engine",
        "ssl-load-extra-del-ext", "ssl-load-extra-files", "ssl-mode-async", "ssl-propquery", "ssl-provider",
        "ssl-provider-path", "ssl-server-verify", "ssl-skip-self-issued-ca", "stats", "strict-limits",
        "thread-group", "thread-groups", "trace", "uid", "ulimit-n", "unix-bind", "unsetenv", "user",
        "wurfl-data-file", "wurfl-information-list", "wurfl-information-list-separator", "wurfl-cache-size",
        "zero-warning", "tune.buffers.limit", "tune.buffers.reserve", "tune.bufsize", "tune.comp.maxlevel",
        "tune.disable-fast-forward", "tune.disable-zero-copy-forwarding", "tune.events.max-events-at-once",
        "tune.fail-alloc", "tune.fd.edge-triggered", "tune.h1.zero-copy-fwd-recv", "tune.h1.zero-copy-fwd-send",
        "tune.h2.be.glitches-threshold", "tune.h2.be.initial-window-size", "tune.h2.be.max-concurrent-streams",
        "tune.h2.fe.glitches-threshold", "tune.h2.fe.initial-window-size", "tune.h2.fe.max-concurrent-streams",
        "tune.h2.fe.max-total-streams", "tune.h2.header-table-size", "tune.h2.initial-window-size",
        "tune.h2.max-concurrent-streams", "tune.h2.max-frame-size", "tune.h2.zero-copy-fwd-send",
        "tune.http.cookielen", "tune.http.logurilen", "tune.http.maxhdr", "tune.idle-pool.shared", "tune.idletimer",
        "tune.listener.default-shards", "tune.listener.multi-queue", "tune.lua.burst-timeout", "tune.lua.forced-yield",
        "tune.lua.maxmem", "tune.lua.service-timeout", "tune.lua.session-timeout", "tune.lua.task-timeout",
        "tune.max-checks-per-thread", "tune.maxaccept", "tune.maxpollevents", "tune.maxrewrite", "tune.memory.hot-size",
        "tune.pattern.cache-size", "tune.peers.max-updates-at-once", "tune.pipesize", "tune.pool-high-fd-ratio",
        "tune.pool-low-fd-ratio", "tune.rcvbuf.backend", "tune.rcvbuf.client", "tune.rcvbuf.frontend",
        "tune.rcvbuf.server", "tune.recv_enough", "tune.runqueue-depth", "tune.sched.low-latency",
        "tune.sndbuf.backend", "tune.sndbuf.client", "tune.sndbuf.frontend", "tune.sndbuf.server",
        "tune.ssl.cachesize", "tune.ssl.capture-buffer-size", "tune.ssl.capture-cipherlist-size",
        "tune.ssl.default-dh-param", "tune.ssl.force-private-cache", "tune.ssl.hard-maxrecord", "tune.ssl.keylog",
        "tune.ssl.lifetime", "tune.ssl.maxrecord", "tune.ssl.ssl-ctx-cache-size", "tune.ssl.ocsp-update.maxdelay",
        "tune.ssl.ocsp-update.mindelay", "tune.stick-counters", "tune.vars.global-max-size", "tune.vars.proc-max-size",
        "tune.vars.reqres-max-size", "tune.vars.sess-max-size", "tune.vars.txn-max-size", "tune.zlib.memlevel",
        "tune.zlib.windowsize", "tune.h1.fe.glitches-threshold", "tune.h1.be.glitches-threshold",
        "tune.h2.fe.max-rst-at-once", "tune.h2.fe.rxbuf", "tune.h2.be.rxbuf", "tune.h2.fe.max-frames-at-once",
        "tune.h2.be.max-frames-at-once", "tune.glitches.kill.cpu-usage",
    ];

    /// <summary>Proxy keywords (the keyword matrix of configuration.txt §4.1), first word only.</summary>
    public static readonly string[] Proxy =
    [
        "acl", "backlog", "balance", "bind", "capture", "clitcpka-cnt", "clitcpka-idle", "clitcpka-intvl", "compression",
        "cookie", "declare", "default-server", "default_backend", "description", "disabled", "dispatch", "email-alert",
        "enabled", "errorfiles", "error-log-format",
        "force-persist", "filter", "fullconn", "guid", "hash-balance-factor", "hash-key", "hash-type",
        "http-after-response", "http-check", "http-error", "http-response",
        "http-send-name-header", "id", "ignore-persist", "log", "log-format",
        "log-format-sd", "log-steps", "log-tag", "max-keep-alive-queue", "max-session-srv-conns", "maxconn", "mode",
        "monitor", "monitor-uri", "option", "persist", "rate-limit", "redirect", "retries", "server",
        "server-template", "source", "srvtcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl",
        "stats", "stick", "stick-table", "tcp-check", "tcp-request", "tcp-response", "timeout", "transparent",
        "use-fcgi-app", "use-server",
    ];

    public static readonly string[] Options =
    [
        "abortonclose",
        "accept-unsafe-violations-in-http-request", "accept-unsafe-violations-in-http-response", "allbackups",
        "checkcache", "clitcpka", "contstats", "disable-h2-upgrade", "dontlog-normal", "dontlognull",
        "external-check", "forwarded", "h1-case-adjust-bogus-client", "h1-case-adjust-bogus-server",
        "http-drop-request-trailers", "http-drop-response-trailers", "http-ignore-probes",
        "http-no-delay", "http-pretend-keepalive",
        "http-use-htx", "http-use-proxy-header", "httpchk", "httplog", "httpslog",
        "idle-close-on-response", "independent-streams", "ldap-check", "log-health-checks", "log-separate-errors",
        "logasap", "mysql-check", "nolinger", "persist", "pgsql-check", "prefer-last-server",
        "redis-check", "redispatch", "smtpchk", "socket-stats", "splice-auto", "splice-request", "splice-response",
        "spop-check", "srvtcpka", "ssl-hello-chk", "tcp-check", "tcp-smart-accept", "tcp-smart-connect", "tcpka",
        "tcplog", "transparent", "h2c-upgrade",
    ];

    public static readonly string[] Timeouts =
    [
        "client", "server", "connect", "check", "queue", "http-keep-alive", "http-request", "tunnel", "tarpit",
        "client-fin", "server-fin", "client-hs",
    ];

    public static readonly string[] BindOptions =
    [
        "accept-netscaler-cip", "accept-proxy", "allow-0rtt", "alpn", "backlog", "ca-file", "ca-ignore-err",
        "ca-sign-file", "ca-sign-pass", "ca-verify-file", "ciphers", "ciphersuites", "client-sigalgs", "crl-file",
        "crt", "crt-ignore-err", "crt-list", "curves", "default-crt", "defer-accept", "expose-fd", "force-sslv3",
        "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", "generate-certificates", "gid", "group",
        "guid-prefix", "id", "idle-ping", "interface", "ktls", "label", "level", "maxconn", "mode", "mss", "name",
        "namespace", "nbconn", "nice", "no-alpn", "no-ca-names", "no-sslv3", "no-tls-tickets", "no-tlsv10",
        "no-tlsv11", "no-tlsv12", "no-tlsv13", "npn", "ocsp-update", "prefer-client-ciphers", "process", "proto",
        "quic-cc-algo", "quic-force-retry", "quic-socket", "severity-output", "shards", "sigalgs", "ssl",
        "ssl-max-ver", "ssl-min-ver", "strict-sni", "tcp-md5sig", "tcp-ut", "tfo", "thread", "tls-ticket-keys",
        "transparent", "uid", "user", "v4v6", "v6only", "verify",
    ];

    public static readonly string[] ServerOptions =
    [
        "addr", "agent-addr", "agent-check", "agent-inter", "agent-port", "agent-send", "allow-0rtt", "alpn",
        "backup", "ca-file", "check", "check-alpn", "check-proto", "check-reuse-pool", "check-send-proxy",
        "check-sni", "check-ssl", "check-via-socks4", "ciphers", "ciphersuites", "client-sigalgs", "cookie",
        "crl-file", "crt", "curves", "disabled", "downinter", "enabled", "error-limit", "fall", "fastinter",
        "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", "guid", "hash-key", "id",
        "idle-ping", "init-addr", "init-state", "inter", "interface", "log-bufsize", "log-proto", "max-reuse",
        "maxconn", "maxqueue", "minconn", "namespace", "no-agent-check", "no-backup", "no-check", "no-check-ssl",
        "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl", "no-send-proxy-v2-ssl-cn", "no-ssl",
        "no-ssl-reuse", "no-sslv3", "no-tfo", "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13",
        "no-verifyhost", "non-stick", "npn", "observe", "on-error", "on-marked-down", "on-marked-up",
        "pool-conn-name", "pool-low-conn", "pool-max-conn", "pool-purge-delay", "port", "proto", "proxy-v2-options",
        "redir", "resolve-net", "resolve-opts", "resolve-prefer", "resolvers", "rise", "send-proxy",
        "send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "set-proxy-v2-tlv-fmt", "shard", "sigalgs",
        "slowstart", "sni", "socks4", "source", "ssl", "ssl-max-ver", "ssl-min-ver", "ssl-reuse", "stick",
        "strict-maxconn", "tcp-md5sig", "tcp-ut", "tfo", "track", "usesrc", "verify", "verifyhost", "weight", "ws",
    ];
}
