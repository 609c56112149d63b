using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Protocols.Http1;

namespace Sluice.Transactions;

/// <summary>
/// What the HTTP transactions of one backend share: its live state, its timeouts in milliseconds, its replies,
/// and the response parser's options. Built once per configuration load.
/// </summary>
internal sealed class HttpBackendContext
{
    public HttpBackendContext(BackendState state, GlobalConfig global)
    {
        State = state;
        var config = state.Config;
        var t = config.Timeouts;
        ServerMs = TransactionContext.ToMs(t.Server);
        ConnectMs = TransactionContext.ToMs(t.Connect);
        ConnectTimeout = t.Connect;
        TunnelMs = t.Tunnel is { } tunnel ? TransactionContext.ToMs(tunnel) : TransactionContext.Infinite;
        Replies = new HttpReplies(config.ErrorFiles, config.HttpRequestRules.Concat(config.HttpResponseRules));
        ResponseParser = HttpParserOptions.ForResponses(global, config.AcceptInvalidHttpResponse);
    }

    public BackendState State { get; }

    public BackendConfig Config => State.Config;

    public long ServerMs { get; }

    public long ConnectMs { get; }

    public TimeSpan? ConnectTimeout { get; }

    /// <summary>`timeout tunnel`; <see cref="TransactionContext.Infinite"/> when not set (the client and server timeouts then apply).</summary>
    public long TunnelMs { get; }

    public HttpReplies Replies { get; }

    public Http1ParserOptions ResponseParser { get; }
}

/// <summary>What the HTTP sessions of one frontend share.</summary>
internal sealed class HttpFrontendContext
{
    public HttpFrontendContext(TransactionContext shared, IReadOnlyDictionary<BackendConfig, HttpBackendContext> backends, GlobalConfig global)
    {
        Shared = shared;
        var frontend = shared.Frontend;
        var t = frontend.Timeouts;
        ClientMs = TransactionContext.ToMs(t.Client);
        HttpRequestMs = t.HttpRequest is { } request ? TransactionContext.ToMs(request) : ClientMs;
        KeepAliveMs = t.HttpKeepAlive is { } keepAlive ? TransactionContext.ToMs(keepAlive) : HttpRequestMs;
        Replies = new HttpReplies(frontend.ErrorFiles, frontend.HttpRequestRules.Concat(frontend.HttpResponseRules));
        RequestParser = HttpParserOptions.ForRequests(global, frontend.AcceptInvalidHttpRequest);
        Http2 = Mux.Http2.Http2Limits.From(global);
        Http2Servers = Mux.Http2.Http2Limits.ForServers(global);
        DefaultBackend = frontend.DefaultBackend is { } be ? backends[be] : null;
        var rules = new HttpSwitchingRule[frontend.UseBackends.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = frontend.UseBackends[i];
            rules[i] = new HttpSwitchingRule(rule.Backend is { } target ? backends[target] : null, rule.DynamicName, rule.Condition);
        }

        UseBackends = rules;
        _backendsByName = backends.Values.ToDictionary(b => b.Config.Name, StringComparer.Ordinal);
        _backendLookup = _backendsByName.GetAlternateLookup<ReadOnlySpan<char>>();
        FrontendNameBytes = System.Text.Encoding.Latin1.GetBytes(frontend.Name);
        RequestCaptureSizes = [.. frontend.RequestCaptures.Select(c => c.Length)];
        ResponseCaptureSizes = [.. frontend.ResponseCaptures.Select(c => c.Length)];
        MonitorUri = frontend.MonitorUri is { } uri ? System.Text.Encoding.Latin1.GetBytes(uri) : null;
        var tables = new Dictionary<string, Backends.StickTable>(StringComparer.Ordinal);
        foreach (var backend in backends.Keys)
        {
            if (backend.StickTable is { } table)
            {
                tables[backend.Name] = table;
            }
        }

        if (frontend.StickTable is { } own)
        {
            tables[frontend.Name] = own;
        }

        StickTables = tables;
    }

    /// <summary>The stick tables of the frontend and of the backends, by proxy name, for `src_*(TABLE)`.</summary>
    public IReadOnlyDictionary<string, Backends.StickTable> StickTables { get; }

    public int[] RequestCaptureSizes { get; }

    public int[] ResponseCaptureSizes { get; }

    /// <summary>`monitor-uri` encoded once; null when not set.</summary>
    public byte[]? MonitorUri { get; }

    private readonly Dictionary<string, HttpBackendContext> _backendsByName;
    private readonly Dictionary<string, HttpBackendContext>.AlternateLookup<ReadOnlySpan<char>> _backendLookup;

    /// <summary>The frontend's name encoded once, for fetches and logs.</summary>
    public byte[] FrontendNameBytes { get; }

    /// <summary>A backend by name, for dynamic `use_backend` names and fetches such as `nbsrv(name)`.</summary>
    public HttpBackendContext? FindBackend(ReadOnlySpan<byte> name)
    {
        if (name.Length > 256)
        {
            return null;
        }

        Span<char> chars = stackalloc char[name.Length];
        System.Text.Encoding.Latin1.GetChars(name, chars);
        return _backendLookup.TryGetValue(chars, out var backend) ? backend : null;
    }

    public HttpBackendContext? FindBackend(string name) => _backendsByName.GetValueOrDefault(name);

    public TransactionContext Shared { get; }

    public FrontendConfig Frontend => Shared.Frontend;

    public long ClientMs { get; }

    /// <summary>`timeout http-request`, else `timeout client`.</summary>
    public long HttpRequestMs { get; }

    /// <summary>`timeout http-keep-alive`, else `timeout http-request`, as in HAProxy.</summary>
    public long KeepAliveMs { get; }

    public HttpReplies Replies { get; }

    public Http1ParserOptions RequestParser { get; }

    /// <summary>The `tune.h2.*` limits of HTTP/2 client connections.</summary>
    public Mux.Http2.Http2Limits Http2 { get; }

    /// <summary>The limits of the HTTP/2 connections to servers.</summary>
    public Mux.Http2.Http2Limits Http2Servers { get; }

    public HttpBackendContext? DefaultBackend { get; }

    /// <summary>The `use_backend` rules, in order.</summary>
    public IReadOnlyList<HttpSwitchingRule> UseBackends { get; }

    /// <summary>A header name of the configuration as bytes, encoded once.</summary>
    public byte[] HeaderNameBytes(string name) =>
        _headerNames.GetOrAdd(name, static n => System.Text.Encoding.Latin1.GetBytes(n));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _headerNames = new(StringComparer.Ordinal);
}

/// <summary>A `use_backend` rule resolved to the backends' contexts: a fixed backend, or a name rendered per request.</summary>
internal readonly record struct HttpSwitchingRule(HttpBackendContext? Backend, Sluice.Logging.LogFormat? DynamicName, Sluice.Rules.Acls.Condition? Condition);

/// <summary>The HTTP/1 parser settings that follow from the global tunables and the `accept-invalid` options.</summary>
internal static class HttpParserOptions
{
    public static Http1ParserOptions ForRequests(GlobalConfig global, bool acceptInvalid) => Build(global, acceptInvalid, Http1ParserFlags.AllowObsTextInTarget);

    public static Http1ParserOptions ForResponses(GlobalConfig global, bool acceptInvalid) => Build(global, acceptInvalid, Http1ParserFlags.None);

    private static Http1ParserOptions Build(GlobalConfig global, bool acceptInvalid, Http1ParserFlags extraWhenRelaxed)
    {
        // Bare LF line ends are accepted as RFC 9112 §2.2 allows (and HAProxy does); the rest of the relaxations
        // only with `option accept-invalid-http-*`.
        var flags = acceptInvalid
            ? Http1ParserOptions.HaproxyCompatible.Flags | extraWhenRelaxed
            : Http1ParserFlags.AllowBareLf;
        var headRoom = Math.Max(1024, global.BufSize - global.MaxRewrite);
        return new Http1ParserOptions
        {
            Flags = flags,
            // HAProxy holds a head in its buffer less the rewrite room: the start line may take all of it (above, 414),
            // and the whole head must fit (above, 431).
            MaxHeaderSectionSize = headRoom,
            MaxHeadSize = headRoom,
            MaxStartLineLength = headRoom,
            MaxHeaderCount = global.MaxHeaders,
        };
    }
}
