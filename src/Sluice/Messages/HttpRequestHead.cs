using System.Text;

namespace Sluice.Messages;

/// <summary>The methods the proxy treats specially; everything else is <see cref="Other"/>.</summary>
internal enum HttpMethod
{
    Other = 0,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
}

/// <summary>A request head: method, target, version, fields. HTTP/2's pseudo-headers map to <see cref="Scheme"/>, <see cref="Authority"/> and <see cref="Target"/>.</summary>
internal sealed class HttpRequestHead : HttpMessageHead
{
    private ByteRange _method;
    private ByteRange _target;
    private ByteRange _scheme;
    private ByteRange _authority;
    private ByteRange _receivedMethod;
    private ByteRange _receivedTarget;
    private ByteRange _receivedScheme;
    private ByteRange _receivedAuthority;
    private bool _receivedKept;

    public HttpMethod Method { get; private set; }

    public ReadOnlySpan<byte> MethodBytes => Headers.Bytes(_method);

    /// <summary>The request-target as received (origin, absolute, authority or asterisk form), or the H2 `:path`.</summary>
    public ReadOnlySpan<byte> Target => Headers.Bytes(_target);

    /// <summary>The scheme of an absolute-form target or of H2's `:scheme`; empty when none.</summary>
    public ReadOnlySpan<byte> Scheme => Headers.Bytes(_scheme);

    /// <summary>The authority of an absolute-form or authority-form target or of H2's `:authority`; empty when none.</summary>
    public ReadOnlySpan<byte> Authority => Headers.Bytes(_authority);

    /// <summary>True when the request is idempotent (RFC 9110 §9.2.2) and so may be sent again after a failure.</summary>
    public bool IsIdempotent => Method is HttpMethod.Get or HttpMethod.Head or HttpMethod.Put or HttpMethod.Delete
        or HttpMethod.Options or HttpMethod.Trace;

    /// <summary>The method as the client sent it, before any rule rewrote it (what HAProxy's logs show).</summary>
    public ReadOnlySpan<byte> ReceivedMethodBytes => _receivedKept ? Headers.Bytes(_receivedMethod) : MethodBytes;

    /// <summary>The target as the client sent it, before `set-path`, `set-uri`, `normalize-uri` and the like.</summary>
    public ReadOnlySpan<byte> ReceivedTarget => _receivedKept ? Headers.Bytes(_receivedTarget) : Target;

    public ReadOnlySpan<byte> ReceivedScheme => _receivedKept ? Headers.Bytes(_receivedScheme) : Scheme;

    public ReadOnlySpan<byte> ReceivedAuthority => _receivedKept ? Headers.Bytes(_receivedAuthority) : Authority;

    /// <summary>
    /// Remembers the request line as received, before the rules run. Rewrites store new bytes and leave the old ones
    /// in the arena, so this keeps ranges only.
    /// </summary>
    public void KeepReceivedLine()
    {
        _receivedMethod = _method;
        _receivedTarget = _target;
        _receivedScheme = _scheme;
        _receivedAuthority = _authority;
        _receivedKept = true;
    }

    public void SetMethod(ReadOnlySpan<byte> method)
    {
        _method = Headers.Store(method);
        Method = Classify(method);
    }

    public void SetTarget(ReadOnlySpan<byte> target) => _target = Headers.Store(target);

    public void SetScheme(ReadOnlySpan<byte> scheme) => _scheme = Headers.Store(scheme);

    public void SetAuthority(ReadOnlySpan<byte> authority) => _authority = Headers.Store(authority);

    public override void Reset()
    {
        base.Reset();
        Method = HttpMethod.Other;
        _method = default;
        _target = default;
        _scheme = default;
        _authority = default;
        _receivedKept = false;
    }

    /// <summary>"GET /path HTTP/1.1", for logs and debugging (allocates).</summary>
    public string Describe() => string.Concat(
        Encoding.Latin1.GetString(MethodBytes), " ", Encoding.Latin1.GetString(Target), " ", HttpVersions.Name(Version));

    private static HttpMethod Classify(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => HttpMethod.Get,
        3 when method.SequenceEqual("PUT"u8) => HttpMethod.Put,
        4 when method.SequenceEqual("HEAD"u8) => HttpMethod.Head,
        4 when method.SequenceEqual("POST"u8) => HttpMethod.Post,
        5 when method.SequenceEqual("TRACE"u8) => HttpMethod.Trace,
        5 when method.SequenceEqual("PATCH"u8) => HttpMethod.Patch,
        6 when method.SequenceEqual("DELETE"u8) => HttpMethod.Delete,
        7 when method.SequenceEqual("CONNECT"u8) => HttpMethod.Connect,
        7 when method.SequenceEqual("OPTIONS"u8) => HttpMethod.Options,
        _ => HttpMethod.Other,
    };
}

/// <summary>A response head: status, reason, version, fields.</summary>
internal sealed class HttpResponseHead : HttpMessageHead
{
    private ByteRange _reason;

    public int Status { get; set; }

    public ReadOnlySpan<byte> Reason => Headers.Bytes(_reason);

    public bool IsInterim => Status is >= 100 and < 200;

    /// <summary>
    /// True when this response turns the connection into a byte tunnel: 101 Switching Protocols, or a 2xx
    /// to CONNECT (RFC 9110 §9.3.6, §15.2.2).
    /// </summary>
    public bool SwitchesProtocols(HttpRequestHead request) =>
        Status == 101 || (request.Method == HttpMethod.Connect && Status is >= 200 and < 300);

    public void SetReason(ReadOnlySpan<byte> reason) => _reason = Headers.Store(reason);

    public override void Reset()
    {
        base.Reset();
        Status = 0;
        _reason = default;
    }
}

internal static class HttpVersions
{
    public static string Name(HttpVersion version) => version switch
    {
        HttpVersion.Http10 => "HTTP/1.0",
        HttpVersion.Http20 => "HTTP/2.0",
        _ => "HTTP/1.1",
    };
}
